"""Redaction of known secrets and credential-looking strings."""

from __future__ import annotations

import json

import pytest

from orchestrator.engines.base import (
    SECRET,
    Diagnostic,
    OpCounts,
    PolicyViolation,
    PropertyDiff,
    ResourceChange,
    StackResult,
    redact_result,
)
from orchestrator.redact import MIN_SECRET_LENGTH, Redactor

# Built by concatenation so this file itself does not look like it holds credentials.
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SESSION_KEY_ID = "ASIA" + "Y34FZKBOKMUTVV7A"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
GITHUB_TOKEN = "ghp_" + "a" * 36
GITHUB_PAT = "github_pat_" + "11ABCDEFG0123456789_" + "x" * 40
GITLAB_TOKEN = "glpat-" + "xYz12345678901234567"
SLACK_TOKEN = "xoxb-" + "123456789012-abcdefABCDEF"


def test_known_secret_values_are_replaced_everywhere_they_occur() -> None:
    redactor = Redactor(["hunter2-db-password"])
    text = "connect with hunter2-db-password; again: hunter2-db-password."
    assert redactor.text(text) == f"connect with {SECRET}; again: {SECRET}."


def test_secrets_shorter_than_the_minimum_are_ignored_so_text_is_not_shredded() -> None:
    assert MIN_SECRET_LENGTH == 4
    redactor = Redactor(["abc", "", "   ", "abcd"])
    assert redactor.text("abc and abcd") == f"abc and {SECRET}"


def test_a_secret_is_also_caught_in_its_json_escaped_spelling() -> None:
    secret = 'pa"ss\\word\nline2'
    redactor = Redactor([secret])
    printed = json.dumps({"password": secret})
    assert secret not in redactor.text(printed)
    assert json.dumps(secret)[1:-1] not in redactor.text(printed)
    assert SECRET in redactor.text(printed)


def test_longer_secret_wins_over_a_secret_it_contains() -> None:
    redactor = Redactor(["token", "token-extended-value"])
    assert redactor.text("x token-extended-value y") == f"x {SECRET} y"


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        (f"key id {AWS_KEY_ID} in use", AWS_KEY_ID),
        (f"session {AWS_SESSION_KEY_ID}", AWS_SESSION_KEY_ID),
        (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
        (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET),
        (f'{{"SecretAccessKey": "{AWS_SECRET}"}}', AWS_SECRET),
        (f"token {GITHUB_TOKEN}", GITHUB_TOKEN),
        (f"pat={GITHUB_PAT}", GITHUB_PAT),
        (f"gitlab {GITLAB_TOKEN}", GITLAB_TOKEN),
        (f"slack {SLACK_TOKEN}", SLACK_TOKEN),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9.payload.sig"),
        ("postgres://app:s3cretPw@db.internal:5432/app", "s3cretPw"),
        ("Server=db;Password=Tr0ub4dor;Database=app", "Tr0ub4dor"),
        ('    + masterPassword: "Tr0ub4dor&3"', "Tr0ub4dor"),
        ("DB_PASSWORD=Tr0ub4dor", "Tr0ub4dor"),
    ],
)
def test_credential_looking_strings_are_replaced(text: str, gone: str) -> None:
    redacted = Redactor().text(text)
    assert gone not in redacted
    assert SECRET in redacted


def test_labels_and_url_structure_survive_redaction() -> None:
    redactor = Redactor()
    assert redactor.text(f"aws_secret_access_key = {AWS_SECRET}") == f"aws_secret_access_key = {SECRET}"
    assert redactor.text("https://bob:pw1234@example.com/x") == f"https://bob:{SECRET}@example.com/x"
    assert redactor.text("Bearer abcdefgh12345678") == f"Bearer {SECRET}"


def test_private_key_blocks_are_replaced_whole() -> None:
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    redacted = Redactor().text(f"key:\n{block}\nafter")
    assert redacted == f"key:\n{SECRET}\nafter"
    cut_short = Redactor().text("-----BEGIN OPENSSH PRIVATE KEY-----b3BlbnNzaC1rZXk")
    assert "b3BlbnNzaC1rZXk" not in cut_short


@pytest.mark.parametrize(
    "text",
    [
        "arn:aws:s3:::logs-qa",
        "https://example.com:8443/path?q=1",
        "the bearer of bad news",
        "ASIA is a continent",
        "secret rotation enabled",
        "10.0.0.0/16",
        "    ~ passwordLength: 12 => 16",
        "the password is not valid",
        "password: [secret]",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor(["abc"]).text(text) == text


def test_value_redacts_deeply_including_keys_and_keeps_other_types() -> None:
    redactor = Redactor(["s3cr3t-value"])
    value = {
        "list": ["s3cr3t-value", 3, None],
        "tuple": ("prefix-s3cr3t-value",),
        "s3cr3t-value": {"nested": f"id {AWS_KEY_ID}"},
        "n": 1.5,
        "flag": True,
    }
    redacted = redactor.value(value)
    assert redacted == {
        "list": [SECRET, 3, None],
        "tuple": (f"prefix-{SECRET}",),
        SECRET: {"nested": f"id {SECRET}"},
        "n": 1.5,
        "flag": True,
    }
    assert value["list"] == ["s3cr3t-value", 3, None]  # the input is not modified


def test_with_secrets_merges() -> None:
    redactor = Redactor(["first-secret"]).with_secrets(["second-secret"])
    assert redactor.text("first-secret second-secret") == f"{SECRET} {SECRET}"


def test_redact_result_covers_every_free_text_field() -> None:
    secret = "planted-secret-42"
    result = StackResult(
        stack="app/qa",
        operation="preview",
        status="failed",
        counts=OpCounts(update=1),
        changes=(
            ResourceChange(
                urn=f"urn:pulumi:qa::app::aws:ssm/parameter:Parameter::p-{secret}",
                type="aws:ssm/parameter:Parameter",
                name=f"p-{secret}",
                op="update",
                diffs=(PropertyDiff(path="value", kind="update", old=secret, new={"v": [secret]}),),
            ),
        ),
        diagnostics=(Diagnostic(severity="error", message=f"bad {secret}", urn=f"urn:x::{secret}"),),
        policy_violations=(
            PolicyViolation(policy_pack="pack", policy="p", enforcement="mandatory", message=f"m {secret}"),
        ),
        outputs={"conn": f"postgres://u:{secret}@h/db", "plain": secret},
        error=f"Traceback: {secret} and {GITHUB_TOKEN}",
    )
    redacted = redact_result(result, Redactor([secret]))
    dumped = json.dumps(redacted.to_json())
    assert secret not in dumped
    assert GITHUB_TOKEN not in dumped
    assert redacted.changes[0].diffs[0].new == {"v": [SECRET]}
    assert redacted.status == "failed"
    assert redacted.counts == result.counts
