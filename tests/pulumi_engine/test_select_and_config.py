"""Choosing the engine, and the pure pieces of the pulumi engine's workspace set-up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestrator.engines.pulumi import INSTALL_URL, PulumiEngine, command_error_text
from orchestrator.engines.pulumi_config import (
    ConfigEntry,
    aws_provider_config,
    config_entries,
    needs_passphrase,
    structured_entries,
)
from orchestrator.engines.pulumi_env import assume_role_env, aws_env_vars, session_name
from orchestrator.engines.select import engine_for
from orchestrator.errors import UserError
from orchestrator.models import AwsSettings, StackSpec


def _spec(**overrides: object) -> StackSpec:
    values: dict[str, object] = {
        "project": "webapp", "environment": "dev", "stack_name": "dev", "directory": Path("/nowhere"),
        "backend": "file:///state", "engine": "pulumi",
    }
    values.update(overrides)
    return StackSpec(**values)  # type: ignore[arg-type]


def test_pulumi_engine_without_the_cli_on_path_says_how_to_install_it_or_use_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `pulumi` anywhere

    with pytest.raises(UserError) as caught:
        engine_for("pulumi")

    text = str(caught.value)
    assert "no `pulumi` executable is on PATH" in text
    assert INSTALL_URL in text
    assert "engine: local" in text


def test_pulumi_engine_is_chosen_when_the_cli_is_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "pulumi"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    engine = engine_for("pulumi", parallel=4)
    assert isinstance(engine, PulumiEngine)
    assert engine.parallel == 4


def test_local_engine_is_chosen_for_local() -> None:
    engine = engine_for("local")
    assert type(engine).__name__ == "LocalEngine"
    assert type(engine).__module__ == "orchestrator.engines.local.engine"


def test_unknown_engine_name_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown engine 'terraform'"):
        engine_for("terraform")


def test_provider_config_only_sets_endpoints_for_a_custom_endpoint() -> None:
    assert aws_provider_config(AwsSettings(region="eu-west-1"), None) == {"aws:region": "eu-west-1"}
    with_endpoint = aws_provider_config(AwsSettings(), "http://127.0.0.1:5000")
    assert with_endpoint["aws:endpoints"][0]["dynamodb"] == "http://127.0.0.1:5000"
    assert with_endpoint["aws:skipCredentialsValidation"] is True
    # a profile used to assume a role is not the provider's profile
    assert "aws:profile" not in aws_provider_config(AwsSettings(profile="p", role_arn="arn:aws:iam::1:role/r"), None)


def test_aws_env_vars_use_real_credentials_when_there_are_some() -> None:
    aws = AwsSettings(region="us-east-2")
    endpoint = "http://127.0.0.1:5000"
    assert aws_env_vars(aws, endpoint, {})["AWS_ACCESS_KEY_ID"] == "test"
    assert "AWS_ACCESS_KEY_ID" not in aws_env_vars(aws, endpoint, {"AWS_ACCESS_KEY_ID": "AKIA..."})
    assert "AWS_ACCESS_KEY_ID" not in aws_env_vars(aws, None, {})
    assert aws_env_vars(aws, None, {})["AWS_DEFAULT_REGION"] == "us-east-2"


def test_config_entries_merge_order_and_value_forms() -> None:
    spec = _spec(
        config={"aws:region": "us-east-1", "replicas": 3, "flags": {"a": True}, "list": [1, 2],
                "debug": False, "owner": "env-owner", "pw": {"secret": "pa55word"}},
        aws=AwsSettings(region="eu-west-1", profile="ops"),
    )
    entries, secure, secrets = config_entries(
        spec, project="webapp", stack_file_keys={"webapp:owner"}, endpoint=None, environ={}
    )
    assert entries["aws:region"].value == "us-east-1"  # the environment's config over the AWS settings
    assert entries["aws:profile"].value == "ops"
    assert entries["webapp:replicas"].value == "3"
    # structures go leaf by leaf with --path, so providers and programs see real objects
    assert entries["webapp:flags.a"] == ConfigEntry("true", path=True)
    assert entries["webapp:list[1]"] == ConfigEntry("2", path=True)
    assert entries["webapp:debug"].value == "false"
    assert "webapp:owner" not in entries  # the stack file wins
    assert entries["webapp:pw"].secret and not entries["webapp:replicas"].secret
    assert secrets == ("pa55word",)
    assert secure == {}


def test_structured_entries_quote_keys_that_are_not_identifiers() -> None:
    entries = structured_entries("k8s:labels", {"app.kubernetes.io/name": "web", "tier": ["a"]})
    assert entries == {
        'k8s:labels["app.kubernetes.io/name"]': ConfigEntry("web", path=True),
        "k8s:labels.tier[0]": ConfigEntry("a", path=True),
    }


def test_passphrase_is_needed_for_diy_backends_with_the_default_provider() -> None:
    assert needs_passphrase(_spec(), {})
    assert needs_passphrase(_spec(backend="s3://bucket/state"), {"secretsprovider": "passphrase"})
    assert not needs_passphrase(_spec(backend="https://api.pulumi.com"), {})
    assert not needs_passphrase(_spec(), {"secretsprovider": "awskms://alias/pulumi"})
    assert not needs_passphrase(_spec(secrets_provider="awskms://alias/x"), {})


def test_command_error_text_prefers_stderr() -> None:
    text = "\n code: 255\n stdout: Previewing...\nerror: a\n stderr: error: the real reason"
    assert command_error_text(Exception(text)) == "error: the real reason"
    assert command_error_text(Exception("\n code: 1\n stdout: line1\nline2\n stderr: ")) == "line1\nline2"


def test_session_name_is_valid_for_sts() -> None:
    name = session_name(_spec(project="a b/c" * 20))
    assert len(name) <= 64
    assert all(ch.isalnum() or ch in "_+=,.@-" for ch in name)


def test_assume_role_through_sts_gives_temporary_credentials(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    aws = AwsSettings(region="us-east-1", role_arn="arn:aws:iam::123456789012:role/deployer")

    env = assume_role_env(aws, moto_endpoint, "gitops-orchestrator-webapp-dev")

    assert set(env) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert env["AWS_SECRET_ACCESS_KEY"] != "testing"


def test_assume_role_failure_is_a_user_error_naming_the_role(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws = AwsSettings(region="us-east-1", role_arn="arn:aws:iam::123456789012:role/deployer")
    with pytest.raises(UserError, match="cannot assume role arn:aws:iam::123456789012:role/deployer"):
        assume_role_env(aws, "http://127.0.0.1:9", "s")  # nothing listens on port 9


def test_the_cli_start_up_does_not_import_pulumi_or_boto3() -> None:
    import subprocess
    import sys

    code = (
        "import sys, orchestrator.engines.select, orchestrator.engines.pulumi, orchestrator.engines.pulumi_events; "
        "print(sorted(m for m in ('pulumi', 'boto3', 'yaml', 'moto') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ}).stdout
    assert out.strip() == "[]"
