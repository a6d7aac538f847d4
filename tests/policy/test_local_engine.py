"""The sample policy packs through the local engine, run as the Pulumi CLI runs them: violations
with their policy, enforcement and resource; mandatory ones fail the preview and block the update
(nothing reaches the cloud); per-policy config as `--policy-pack-config` takes it."""

from __future__ import annotations

import pytest

from orchestrator.engines.base import StackResult
from orchestrator.engines.local.engine import LocalEngine
from tests.support.policy_packs import SAMPLE_PACKS, GuardedStack, pack
from tests.support.sandbox import aws_client as client

TAGS = '{"Organization": "acme", "Project": "reports", "Environment": "dev", "ManagedBy": "pulumi"}'
REPORTS = f'''
import json
import pulumi_aws as aws

aws.s3.Bucket("exports", tags={{"Project": "reports"}})
aws.iam.Role(
    "exporter",
    assume_role_policy=json.dumps({{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
        "Principal": {{"Service": "lambda.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}}),
    inline_policies=[{{"name": "everything", "policy": json.dumps({{"Version": "2012-10-17",
        "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*"}}]}})}}],
    tags={TAGS},
)
'''
TIDY = f'''
import pulumi_aws as aws

aws.s3.Bucket("exports", tags={TAGS})
aws.sqs.Queue("jobs")
'''


def _by_policy(result: StackResult) -> dict[str, tuple[str, str | None]]:
    return {v.policy: (v.enforcement, v.urn.rsplit("::", 1)[-1] if v.urn else None) for v in result.policy_violations}


def test_preview_reports_each_violation_and_a_mandatory_one_fails_it(guarded: GuardedStack) -> None:
    spec = guarded(REPORTS, (pack(SAMPLE_PACKS / "aws-guard"),))
    result = LocalEngine().preview(spec)
    assert result.status == "failed"
    assert _by_policy(result) == {
        "standard-tags": ("advisory", "exports"),
        "iam-no-wildcard-admin": ("mandatory", "exporter"),
    }
    [violation] = [v for v in result.policy_violations if v.enforcement == "mandatory"]
    assert violation.policy_pack == "aws-guard"
    assert "allows every action on every resource (*:*)" in violation.message
    assert result.error == "1 mandatory policy violation: aws-guard/iam-no-wildcard-admin on exporter"
    assert {c.name for c in result.changes} >= {"exports", "exporter"}  # the preview itself is complete


def test_a_mandatory_violation_blocks_the_update_and_the_cloud_is_unchanged(
    guarded: GuardedStack, endpoint: str
) -> None:
    spec = guarded(REPORTS, (pack(SAMPLE_PACKS / "aws-guard"),), name="blocked")
    roles_before = {r["RoleName"] for r in client("iam", endpoint).list_roles()["Roles"]}
    buckets_before = {b["Name"] for b in client("s3", endpoint).list_buckets()["Buckets"]}
    result = LocalEngine().update(spec)
    assert result.status == "failed"
    assert result.error is not None and result.error.endswith("the update was blocked: nothing was applied")
    assert "aws-guard/iam-no-wildcard-admin on exporter" in result.error
    assert {r["RoleName"] for r in client("iam", endpoint).list_roles()["Roles"]} == roles_before
    assert {b["Name"] for b in client("s3", endpoint).list_buckets()["Buckets"]} == buckets_before
    assert not (spec.directory.parent / "backend" / ".pulumi" / "stacks" / "blocked").exists()


def test_advisory_violations_are_reported_and_the_update_goes_on(guarded: GuardedStack, endpoint: str) -> None:
    spec = guarded(TIDY, (pack(SAMPLE_PACKS / "aws-guard"),), name="tidy")
    result = LocalEngine().update(spec)
    assert result.ok, result.error
    assert _by_policy(result) == {"standard-tags": ("advisory", "jobs")}
    queues = client("sqs", endpoint).list_queues().get("QueueUrls", [])
    assert any("/jobs" in url for url in queues)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"iam-no-wildcard-admin": "advisory"}, ("succeeded", {"standard-tags": "advisory",
                                                               "iam-no-wildcard-admin": "advisory"})),
        ({"all": "disabled"}, ("succeeded", {})),
        ({"standard-tags": {"required_tags": ["Team"]}, "iam-no-wildcard-admin": "disabled"},
         ("succeeded", {"standard-tags": "advisory"})),
        ({"standard-tags": "mandatory", "iam-no-wildcard-admin": "disabled"},
         ("failed", {"standard-tags": "mandatory"})),
    ],
    ids=["downgraded", "all-disabled", "properties", "upgraded"],
)
def test_per_policy_config_as_the_cli_takes_it(
    guarded: GuardedStack, config: dict[str, object], expected: tuple[str, dict[str, str]]
) -> None:
    spec = guarded(REPORTS, (pack(SAMPLE_PACKS / "aws-guard", config),))
    result = LocalEngine().preview(spec)
    assert (result.status, {v.policy: v.enforcement for v in result.policy_violations}) == expected


def test_required_tags_from_config_are_what_is_checked(guarded: GuardedStack) -> None:
    config = {"standard-tags": {"required_tags": ["Team"]}, "iam-no-wildcard-admin": "disabled"}
    result = LocalEngine().preview(guarded(REPORTS, (pack(SAMPLE_PACKS / "aws-guard", config),)))
    messages = [v.message for v in result.policy_violations]
    assert any("exports lacks the tag Team" in m for m in messages), messages
    assert any("exporter lacks the tag Team" in m for m in messages), messages
