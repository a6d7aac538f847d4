"""The adapter at the process boundary: the real Automation API SDK drives the scripted `pulumi`
stand-in (tests/pulumi_engine/standin/), which records each command and replays real event logs.
These tests pin the exact commands and flags the SDK is asked to run for each operation."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from orchestrator.engines.base import SECRET, OpCounts
from orchestrator.engines.pulumi import PulumiEngine
from orchestrator.models import AwsSettings, PolicyPackRef, StackSpec
from tests.support.pulumi_standin import STACK_FILE, Standin, events

NI = "--non-interactive"
LOCK_STDERR = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
    "or delete the lock file with `pulumi cancel`.\n"
    "  file:///state/.pulumi/locks/webapp/dev/1.json: created by ci@runner (pid 4242) at 2024-05-30T16:42:54Z"
)


def _spec(directory: Path, tmp_path: Path, **overrides: Any) -> StackSpec:
    values: dict[str, Any] = {
        "project": "webapp",
        "environment": "dev",
        "stack_name": "dev",
        "directory": directory,
        "backend": f"file://{tmp_path / 'state'}",
        "engine": "pulumi",
        "config": {"aws:region": "us-east-1", "replicas": 2, "db_password": {"secret": "s3cr3t-value"}},
        "aws": AwsSettings(region="us-east-1"),
    }
    values.update(overrides)
    return StackSpec(**values)


def _select_init_config(stack: str = "dev") -> list[list[str]]:
    return [
        ["version"],
        [NI, "stack", "select", "--stack", stack],
        [NI, "stack", "init", stack],
        [NI, "config", "set-all", "--stack", stack, "--plaintext", "webapp:replicas=2",
         "--secret", "webapp:db_password=[secret]"],
    ]


def _select_config(stack: str = "dev") -> list[list[str]]:
    return [
        ["version"],
        [NI, "stack", "select", "--stack", stack],
        [NI, "config", "set-all", "--stack", stack, "--plaintext", "webapp:replicas=2",
         "--secret", "webapp:db_password=[secret]"],
    ]


def test_preview_creates_the_stack_sets_config_and_previews_with_a_file_event_log(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace")})
    spec = _spec(project_dir, tmp_path)

    result = PulumiEngine().preview(spec)

    assert result.status == "succeeded", result.error
    assert standin.commands() == [
        *_select_init_config(),
        [NI, "preview", "--exec-kind", "auto.local", "--event-log", "<event-log>", "--stack", "dev"],
    ]
    assert result.operation == "preview"
    assert result.stack == "webapp/dev"
    assert result.counts == OpCounts(replace=1, same=2)
    assert [(c.op, c.name) for c in result.changes] == [("replace", "web-server-www")]
    assert result.changes[0].diffs[0].path == "userData"


def test_every_command_gets_the_backend_region_and_a_passphrase_never_its_value(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace")})
    spec = _spec(project_dir, tmp_path)
    PulumiEngine().preview(spec)

    for call in standin.calls()[1:]:  # the first is the SDK's `pulumi version` probe
        assert call["env"]["PULUMI_BACKEND_URL"] == spec.backend
        assert call["env"]["AWS_REGION"] == "us-east-1"
        assert call["env"]["PULUMI_CONFIG_PASSPHRASE"] == "(set)"
        assert call["cwd"] == str(project_dir)
    assert "correct horse" not in (standin.home / "calls.jsonl").read_text()


def test_environment_config_is_merged_under_the_stack_file_only_while_the_operation_runs(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace")})
    spec = _spec(project_dir, tmp_path)
    engine = PulumiEngine()
    engine.preview(spec)  # creates the stack: `stack init` writes the encryption salt
    after_init = (project_dir / "Pulumi.dev.yaml").read_bytes()
    assert b"encryptionsalt" in after_init and b"replicas" not in after_init
    standin.reset()

    engine.preview(spec)

    [preview] = [c for c in standin.calls() if c["command"] == "preview"]
    config = preview["stack_file_config"]
    assert config["aws:region"] == "eu-west-1"  # the stack file wins over the environment's us-east-1
    assert config["webapp:owner"] == "team-a"
    assert config["webapp:replicas"] == "2"
    secure = config["webapp:db_password"]["secure"]  # sent with --secret
    assert base64.b64decode(secure.removeprefix("standin:")) == b"s3cr3t-value"
    assert (project_dir / "Pulumi.dev.yaml").read_bytes() == after_init


def test_stack_file_is_restored_even_when_the_operation_fails(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace")})
    spec = _spec(project_dir, tmp_path)
    engine = PulumiEngine()
    engine.preview(spec)
    before = (project_dir / "Pulumi.dev.yaml").read_bytes()
    standin.script(fail={"preview": {"stderr": "error: boom", "replay": True}})

    result = engine.preview(spec)

    assert result.status == "failed"
    assert (project_dir / "Pulumi.dev.yaml").read_bytes() == before


def test_update_runs_up_then_reads_outputs_and_history_without_showing_secrets(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(
        events={"up": events("aws_webserver_replace")},
        outputs={"url": "http://web.example", "admin_password": "hunter2-hunter2"},
        secret_outputs=["admin_password"],
    )

    result = PulumiEngine().update(_spec(project_dir, tmp_path))

    assert result.status == "succeeded", result.error
    assert result.operation == "update"
    assert standin.commands() == [
        *_select_init_config(),
        [NI, "up", "--yes", "--skip-preview", "--exec-kind", "auto.local", "--event-log", "<event-log>",
         "--stack", "dev"],
        [NI, "stack", "output", "--json", "--stack", "dev"],
        [NI, "stack", "output", "--json", "--show-secrets", "--stack", "dev"],
        [NI, "stack", "history", "--json", "--page-size", "1", "--page", "1", "--stack", "dev"],
    ]
    assert result.outputs == {"url": "http://web.example", "admin_password": SECRET}
    assert "hunter2" not in str(result.to_json())
    assert result.counts == OpCounts(replace=1, same=2)


def test_drift_is_a_refresh_preview_of_an_existing_stack(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace"),
                           "refresh": events("refresh_preview_drift")})
    engine = PulumiEngine()
    spec = _spec(project_dir, tmp_path)
    engine.preview(spec)
    standin.reset()

    result = engine.drift(spec)

    assert result.status == "succeeded", result.error
    assert standin.commands() == [
        *_select_config(),
        [NI, "refresh", "--preview-only", "--exec-kind", "auto.local", "--event-log", "<event-log>",
         "--stack", "dev"],
    ]
    assert result.operation == "drift"
    [change] = result.changes
    assert (change.op, change.name) == ("update", "resB")
    assert change.diffs[0].path == "foo"
    assert result.counts == OpCounts(update=1)


def test_refresh_writes_the_live_cloud_into_the_state(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace"),
                           "refresh": events("refresh_preview_drift")})
    engine = PulumiEngine()
    spec = _spec(project_dir, tmp_path)
    engine.preview(spec)
    standin.reset()

    result = engine.refresh(spec)

    assert result.status == "succeeded", result.error
    # A real refresh (no --preview-only), with --yes as the SDK passes for non-interactive runs.
    [refresh] = [c for c in standin.commands() if "refresh" in c[:2]]
    assert "--preview-only" not in refresh
    assert "--yes" in refresh and refresh[-2:] == ["--stack", "dev"]
    assert result.operation == "refresh"
    assert [(c.op, c.name) for c in result.changes] == [("update", "resB")]


def test_drift_and_destroy_of_a_stack_never_deployed_create_nothing(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    engine = PulumiEngine()
    spec = _spec(project_dir, tmp_path)

    drift = engine.drift(spec)
    destroy = engine.destroy(spec, preview_only=False)

    for result in (drift, destroy):
        assert result.status == "succeeded"
        assert result.changes == ()
        assert any("does not exist" in d.message for d in result.diagnostics)
    assert [c for c in standin.commands() if "init" in c] == []
    assert engine.outputs(spec) == {}


def test_destroy_preview_and_destroy_commands(standin: Standin, project_dir: Path, tmp_path: Path) -> None:
    standin.script(events={"preview": events("aws_webserver_replace"),
                           "destroy": events("replace_keys_detailedDiff")})
    engine = PulumiEngine()
    spec = _spec(project_dir, tmp_path)
    engine.preview(spec)
    standin.reset()

    preview = engine.destroy(spec, preview_only=True)
    destroy = engine.destroy(spec, preview_only=False)

    assert (preview.operation, preview.status) == ("destroy-preview", "succeeded")
    assert (destroy.operation, destroy.status) == ("destroy", "succeeded")
    assert standin.commands() == [
        *_select_config(),
        [NI, "destroy", "--preview-only", "--exec-kind", "auto.local", "--event-log", "<event-log>",
         "--stack", "dev"],
        *_select_config(),
        [NI, "destroy", "--skip-preview", "--yes", "--exec-kind", "auto.local", "--event-log", "<event-log>",
         "--stack", "dev"],
        [NI, "stack", "history", "--json", "--page-size", "1", "--page", "1", "--stack", "dev"],
    ]


def test_outputs_reads_without_touching_config(standin: Standin, project_dir: Path, tmp_path: Path) -> None:
    standin.script(events={}, outputs={"vpc_id": "vpc-123", "token": "tok-secret-1"}, secret_outputs=["token"])
    engine = PulumiEngine()
    spec = _spec(project_dir, tmp_path)
    engine.update(spec)
    standin.reset()

    assert engine.outputs(spec) == {"vpc_id": "vpc-123", "token": SECRET}
    assert standin.commands() == [
        ["version"],
        [NI, "stack", "select", "--stack", "dev"],
        [NI, "stack", "output", "--json", "--stack", "dev"],
        [NI, "stack", "output", "--json", "--show-secrets", "--stack", "dev"],
    ]


def test_a_locked_stack_is_status_locked(standin: Standin, project_dir: Path, tmp_path: Path) -> None:
    standin.script(fail={"up": {"stderr": LOCK_STDERR}})

    result = PulumiEngine().update(_spec(project_dir, tmp_path))

    assert result.status == "locked"
    assert "currently locked" in (result.error or "")
    assert "pid 4242" in (result.error or "")


def test_a_failed_command_carries_stderr_redacted_and_the_replayed_diagnostics(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(
        events={"preview": events("diagnostic_error")},
        fail={"preview": {
            "replay": True,
            "stderr": "error: preview failed: db password s3cr3t-value rejected; key AKIAIOSFODNN7EXAMPLE",
        }},
    )

    result = PulumiEngine().preview(_spec(project_dir, tmp_path))

    assert result.status == "failed"
    assert result.error is not None
    assert "preview failed" in result.error
    assert "s3cr3t-value" not in result.error and "AKIAIOSFODNN7EXAMPLE" not in result.error
    assert result.error.count(SECRET) == 2
    [diag] = result.diagnostics
    assert (diag.severity, diag.message) == ("error", "oh no, check had an error")


def test_policy_violations_reach_the_result(standin: Standin, project_dir: Path, tmp_path: Path) -> None:
    standin.script(events={"preview": events("policy_violation")},
                   fail={"preview": {"replay": True, "stderr": "error: preview failed: 1 policy violation"}})

    result = PulumiEngine().preview(_spec(project_dir, tmp_path))

    assert result.status == "failed"
    [violation] = result.policy_violations
    assert (violation.policy_pack, violation.policy, violation.enforcement) == (
        "analyzerA", "always-fails", "mandatory")


def test_missing_passphrase_for_a_file_backend_fails_before_running_the_cli(
    standin: Standin, project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")

    result = PulumiEngine().preview(_spec(project_dir, tmp_path))

    assert result.status == "failed"
    assert "PULUMI_CONFIG_PASSPHRASE" in (result.error or "")
    assert standin.calls() == []


def test_secret_from_environment_variable_and_a_missing_one(
    standin: Standin, project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace")})
    config = {"api_token": {"secret_env": "WEBAPP_API_TOKEN"}}
    monkeypatch.setenv("WEBAPP_API_TOKEN", "tok-from-env-123")

    ok = PulumiEngine().preview(_spec(project_dir, tmp_path, config=config))
    assert ok.status == "succeeded", ok.error
    assert [NI, "config", "set-all", "--stack", "dev", "--secret", "webapp:api_token=[secret]"] in standin.commands()

    monkeypatch.delenv("WEBAPP_API_TOKEN")
    missing = PulumiEngine().preview(_spec(project_dir, tmp_path, config=config))
    assert missing.status == "failed"
    assert "WEBAPP_API_TOKEN" in (missing.error or "")


def test_secure_environment_values_are_written_as_they_are_for_the_run_only(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace")})
    secure = "v1:T1ftqhY0hqr+EJK6:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA=="

    result = PulumiEngine().preview(_spec(project_dir, tmp_path, config={"dsn": {"secure": secure}}))

    assert result.status == "succeeded", result.error
    [preview] = [c for c in standin.calls() if c["command"] == "preview"]
    assert preview["stack_file_config"]["webapp:dsn"] == {"secure": secure}
    assert "dsn" not in (project_dir / "Pulumi.dev.yaml").read_text()


def test_custom_endpoint_becomes_structured_provider_config_and_emulator_credentials(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace")})
    (project_dir / "Pulumi.dev.yaml").write_text("config:\n  webapp:owner: team-a\n")
    aws = AwsSettings(region="eu-central-1", endpoint="http://127.0.0.1:4566")

    result = PulumiEngine().preview(_spec(project_dir, tmp_path, aws=aws, config={"limits": {"cpu": 2}}))

    assert result.status == "succeeded", result.error
    set_all = [c for c in standin.commands() if c[1:3] == ["config", "set-all"]]
    assert set_all[0] == [
        NI, "config", "set-all", "--stack", "dev",
        "--plaintext", "aws:region=eu-central-1",
        "--plaintext", "aws:skipCredentialsValidation=true",
        "--plaintext", "aws:skipRequestingAccountId=true",
        "--plaintext", "aws:skipMetadataApiCheck=true",
        "--plaintext", "aws:s3UsePathStyle=true",
    ]
    assert set_all[1][:6] == [NI, "config", "set-all", "--stack", "dev", "--path"]
    assert "aws:endpoints[0].s3=http://127.0.0.1:4566" in set_all[1]
    assert "webapp:limits.cpu=2" in set_all[1]
    [preview] = [c for c in standin.calls() if c["command"] == "preview"]
    config = preview["stack_file_config"]
    assert config["aws:endpoints"][0]["s3"] == config["aws:endpoints"][0]["sqs"] == "http://127.0.0.1:4566"
    assert config["webapp:limits"] == {"cpu": "2"}
    assert preview["env"]["AWS_REGION"] == "eu-central-1"
    assert preview["env"]["AWS_ACCESS_KEY_ID"].startswith("(set, test")


def test_profile_is_provider_config_and_environment(standin: Standin, project_dir: Path, tmp_path: Path) -> None:
    standin.script(events={"preview": events("aws_webserver_replace")})
    aws = AwsSettings(region="us-west-2", profile="deployer")

    PulumiEngine().preview(_spec(project_dir, tmp_path, aws=aws, config={}))

    [preview] = [c for c in standin.calls() if c["command"] == "preview"]
    assert preview["stack_file_config"]["aws:profile"] == "deployer"
    assert preview["env"]["AWS_PROFILE"] == "deployer"
    assert "aws:endpoints" not in preview["stack_file_config"]
    assert "AWS_ACCESS_KEY_ID" not in preview["env"]


def test_on_event_receives_the_stack_and_every_engine_event(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"preview": events("refresh_preview_drift")})
    seen: list[tuple[str, Any]] = []
    spec = _spec(project_dir, tmp_path)

    PulumiEngine(on_event=lambda s, e: seen.append((s.id, e))).preview(spec)

    assert {stack for stack, _ in seen} == {"webapp/dev"}
    assert len(seen) == 5
    assert seen[-1][1].cancel_event is not None


def test_the_stack_file_text_is_untouched_when_nothing_is_merged(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace")})
    engine = PulumiEngine()
    spec = _spec(project_dir, tmp_path, config={})
    engine.preview(spec)
    (project_dir / "Pulumi.dev.yaml").write_text(STACK_FILE + "encryptionsalt: v1:abc:v1:def\n")
    standin.reset()

    engine.preview(spec)

    assert (project_dir / "Pulumi.dev.yaml").read_text() == STACK_FILE + "encryptionsalt: v1:abc:v1:def\n"
    assert not any(c[1:3] == ["config", "set-all"] for c in standin.commands())


def test_assumed_role_credentials_reach_the_cli_and_never_the_result(
    standin: Standin, project_dir: Path, tmp_path: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # the caller's own (moto accepts any)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    standin.script(
        events={"preview": events("diagnostic_error")},
        fail={"preview": {
            "replay": True,
            "stderr": "error: denied for $AWS_ACCESS_KEY_ID / $AWS_SECRET_ACCESS_KEY / $AWS_SESSION_TOKEN",
        }},
    )
    aws = AwsSettings(region="us-east-1", role_arn="arn:aws:iam::123456789012:role/deployer", endpoint=moto_endpoint)

    result = PulumiEngine().preview(_spec(project_dir, tmp_path, aws=aws))

    [preview] = [c for c in standin.calls() if c["command"] == "preview"]
    assert preview["env"]["AWS_ACCESS_KEY_ID"] == "(set, ASIA...)"
    assert preview["env"]["AWS_SECRET_ACCESS_KEY"] == "(set)"
    assert preview["env"]["AWS_SESSION_TOKEN"] == "(set)"
    assert "AWS_PROFILE" not in preview["env"]
    assert result.status == "failed"
    assert result.error == f"error: denied for {SECRET} / {SECRET} / {SECRET}"


def test_secrets_are_redacted_from_errors_before_the_operation_starts(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(fail={"config set-all": {"stderr": "error: invalid value 's3cr3t-value' for webapp:db_password"}})

    result = PulumiEngine().preview(_spec(project_dir, tmp_path))

    assert result.status == "failed"
    assert result.error == f"error: invalid value '{SECRET}' for webapp:db_password"
    assert not any("preview" in c for c in standin.commands())
    assert (project_dir / "Pulumi.dev.yaml").read_text() != ""  # put back, with the salt of `stack init`
    assert "db_password" not in (project_dir / "Pulumi.dev.yaml").read_text()


def _packs(tmp_path: Path) -> tuple[PolicyPackRef, ...]:
    packs = []
    for name, config in (("guard", {"standard-tags": {"required_tags": ["Owner"]}, "all": "mandatory"}),
                         ("prod-guard", {})):
        directory = tmp_path / "policies" / name
        directory.mkdir(parents=True)
        (directory / "PulumiPolicy.yaml").write_text("runtime: python\n")
        packs.append(PolicyPackRef(path=f"policies/{name}", directory=directory, config=config, source="test"))
    return tuple(packs)


def _policy_args(call: dict[str, Any]) -> list[tuple[str, str]]:
    args = call["args"]
    return [(a, args[i + 1]) for i, a in enumerate(args[:-1]) if a in ("--policy-pack", "--policy-pack-config")]


@pytest.mark.parametrize("operation", ["preview", "update"])
def test_policy_packs_and_their_config_files_go_to_preview_and_up(
    standin: Standin, project_dir: Path, tmp_path: Path, operation: str
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace"), "up": events("aws_webserver_replace")})
    packs = _packs(tmp_path)
    engine = PulumiEngine()

    result = engine.preview(_spec(project_dir, tmp_path, policy_packs=packs)) if operation == "preview" else \
        engine.update(_spec(project_dir, tmp_path, policy_packs=packs))

    assert result.status == "succeeded", result.error
    [call] = [c for c in standin.calls() if c["command"] in ("preview", "up")]
    flags = _policy_args(call)
    # In order, and one config file per pack, as the CLI requires when any pack has config.
    assert [value for flag, value in flags if flag == "--policy-pack"] == [
        str((tmp_path / "policies/guard").resolve()), str((tmp_path / "policies/prod-guard").resolve())]
    assert [flag for flag, _ in flags].count("--policy-pack-config") == 2
    assert call["policy_pack_configs"] == [
        {"all": "mandatory", "standard-tags": {"required_tags": ["Owner"]}}, {}]
    assert not any(Path(value).exists() for flag, value in flags if flag == "--policy-pack-config")  # cleaned up


def test_packs_without_config_are_passed_without_config_files(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace")})
    packs = tuple(replace(p, config={}) for p in _packs(tmp_path))

    result = PulumiEngine().preview(_spec(project_dir, tmp_path, policy_packs=packs))

    assert result.status == "succeeded", result.error
    [call] = [c for c in standin.calls() if c["command"] == "preview"]
    assert [flag for flag, _ in _policy_args(call)] == ["--policy-pack", "--policy-pack"]


def test_no_policy_flags_for_a_stack_without_packs_nor_for_destroy_and_drift(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"preview": events("aws_webserver_replace")})
    engine = PulumiEngine()
    engine.preview(_spec(project_dir, tmp_path))
    spec = _spec(project_dir, tmp_path, policy_packs=_packs(tmp_path))
    engine.destroy(spec, preview_only=True)
    engine.drift(spec)
    assert all(not _policy_args(c) for c in standin.calls())


def test_a_recorded_mandatory_violation_fails_the_preview_with_the_policy_named(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    # The CLI exits non-zero after a preview with a mandatory violation; its event log says which.
    standin.script(events={"preview": events("policy_violation")},
                   fail={"preview": {"replay": True, "stderr": "error: preview failed: 1 policy violation"}})

    result = PulumiEngine().preview(_spec(project_dir, tmp_path, policy_packs=_packs(tmp_path)))

    assert result.status == "failed"
    assert result.error is not None and "1 policy violation" in result.error
    [violation] = result.policy_violations
    assert (violation.policy_pack, violation.policy, violation.enforcement, violation.urn) == (
        "analyzerA", "always-fails", "mandatory", "urn:pulumi:test::test::pkgA:m:typA::resA")
