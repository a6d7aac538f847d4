"""report_to_actions: annotations on stdout, the job summary, and GITHUB_OUTPUT in GitHub's formats."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestrator.ci.actions_report import report_to_actions
from orchestrator.drift.model import DriftReport, Finding, StackDrift
from orchestrator.engines.base import OpCounts, PropertyDiff, ResourceChange, StackResult


def _outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and "=" not in line.split("<<", 1)[0]:
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            values[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        name, _, value = line.partition("=")
        values[name] = value
        i += 1
    return values


@pytest.fixture
def actions(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "summary.md").write_text("# earlier step\n", encoding="utf-8")
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }


def _ok(stack: str, *, create: int = 0) -> StackResult:
    changes = tuple(
        ResourceChange(
            urn=f"urn:pulumi:dev::p::aws:s3/bucket:Bucket::b{i}", type="aws:s3/bucket:Bucket", name=f"b{i}", op="create"
        )
        for i in range(create)
    )
    return StackResult(
        stack=stack,
        operation="preview",
        status="succeeded",
        counts=OpCounts(create=create, same=2),
        changes=changes,
    )


def _failed(stack: str, error: str) -> StackResult:
    return StackResult(stack=stack, operation="update", status="failed", error=error)


def test_failed_and_locked_stacks_are_annotated_and_listed(actions: dict[str, str]) -> None:
    results = {
        "network/dev": _ok("network/dev"),
        "data/dev": _failed("data/dev", "Traceback...\nValueError: bucket name 'A' is invalid\n100% sure"),
        "app/dev": StackResult(stack="app/dev", operation="update", status="locked", error="held by run 42 (alice)"),
        "app/qa": StackResult(stack="app/qa", operation="update", status="skipped", error="depends on data/dev"),
    }
    out = io.StringIO()
    report_to_actions("deploy", results, markdown="## Deployed\n| stack | status |", env=actions, stream=out)

    assert out.getvalue().splitlines() == [
        # Workflow-command escaping: newlines and % in the message, `:` and `,` in properties.
        "::error title=data/dev::update failed: Traceback...%0AValueError: bucket name 'A' is invalid%0A100%25 sure",
        "::warning title=app/dev::locked: held by run 42 (alice)",
    ]
    summary = Path(actions["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary == "# earlier step\n## Deployed\n| stack | status |\n"  # appended, never replaced
    outputs = _outputs(Path(actions["GITHUB_OUTPUT"]))
    assert outputs["has_changes"] == "false"
    assert json.loads(outputs["failed_stacks"]) == ["data/dev"]
    assert json.loads(outputs["locked_stacks"]) == ["app/dev"]
    assert outputs["drift"] == "false"
    assert outputs["summary"] == "data/dev: failed\napp/dev: locked"  # multi-line: the <<DELIMITER form
    raw = Path(actions["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    assert 'failed_stacks=["data/dev"]\n' in raw
    assert "summary<<ghadelimiter_" in raw


def test_changes_and_a_clean_run(actions: dict[str, str]) -> None:
    out = io.StringIO()
    report_to_actions("preview", [_ok("app/dev", create=2), _ok("app/qa")], markdown=None, env=actions, stream=out)

    assert out.getvalue() == ""
    assert Path(actions["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8") == "# earlier step\n"  # markdown=None
    outputs = _outputs(Path(actions["GITHUB_OUTPUT"]))
    assert outputs == {
        "has_changes": "true",
        "failed_stacks": "[]",
        "locked_stacks": "[]",
        "drift": "false",
        "stacks_behind": "[]",
        "summary": "all 2 stack(s): preview succeeded or skipped",
    }


def test_nothing_happens_outside_github_actions(tmp_path: Path) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary"), "GITHUB_OUTPUT": str(tmp_path / "output")}
    out = io.StringIO()
    report_to_actions("deploy", {"a/dev": _failed("a/dev", "boom")}, markdown="# report", env=env, stream=out)
    assert out.getvalue() == ""
    assert not (tmp_path / "summary").exists() and not (tmp_path / "output").exists()


def test_annotations_are_capped_as_github_shows_them(actions: dict[str, str]) -> None:
    results = {f"p{i:02d}/dev": _failed(f"p{i:02d}/dev", f"error {i}") for i in range(14)}
    out = io.StringIO()
    report_to_actions("preview", results, markdown="x", env=actions, stream=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[0] == "::error title=p00/dev::preview failed: error 0"
    assert lines[8] == "::error title=p08/dev::preview failed: error 8"
    assert lines[9] == (
        "::error title=more stacks::5 more stacks: p09/dev, p10/dev, p11/dev, p12/dev, p13/dev; "
        "the job summary has them all"
    )
    assert len(json.loads(_outputs(Path(actions["GITHUB_OUTPUT"]))["failed_stacks"])) == 14


def test_credentials_in_an_error_do_not_reach_the_log(actions: dict[str, str]) -> None:
    key = "AKIAIOSFODNN7EXAMPLE"
    out = io.StringIO()
    report_to_actions(
        "deploy", {"a/dev": _failed("a/dev", f"denied for {key}")}, markdown=None, env=actions, stream=out
    )
    assert key not in out.getvalue()
    assert out.getvalue().startswith("::error title=a/dev::update failed: denied for ")


def test_drift_report_sets_drift_and_annotates_drifted_and_failed_checks(actions: dict[str, str]) -> None:
    now = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    report = DriftReport(
        generated_at=now,
        run_id="r1",
        environments=("dev",),
        stacks=(
            StackDrift(stack="data/dev", project="data", environment="dev", status="drifted", findings=2),
            StackDrift(stack="net/dev", project="net", environment="dev", status="clean"),
            StackDrift(stack="app/dev", project="app", environment="dev", status="error", error="read failed: 500"),
        ),
        findings=(
            Finding(
                key="dev:drifted:urn1",
                environment="dev",
                kind="drifted",
                type="aws:s3/bucket:Bucket",
                name="b",
                stack="data/dev",
                diffs=(PropertyDiff("tags.owner", "update", "a", "b"),),
            ),
        ),
    )
    results = {
        "data/dev": StackResult(stack="data/dev", operation="drift", status="succeeded", counts=OpCounts(update=1)),
        "net/dev": StackResult(stack="net/dev", operation="drift", status="succeeded"),
    }
    out = io.StringIO()
    report_to_actions("drift", results, markdown="# Drift", drift=report, env=actions, stream=out)

    assert out.getvalue().splitlines() == [
        "::error title=app/dev::drift check failed: read failed: 500",
        "::warning title=data/dev::2 drifted resources: see the drift report",
    ]
    outputs = _outputs(Path(actions["GITHUB_OUTPUT"]))
    assert outputs["drift"] == "true"
    assert outputs["has_changes"] == "true"


def test_drift_without_findings_is_not_drift(actions: dict[str, str]) -> None:
    report = DriftReport(
        generated_at=datetime(2026, 1, 2, tzinfo=UTC),
        run_id=None,
        environments=("dev",),
        stacks=(StackDrift(stack="a/dev", project="a", environment="dev", status="clean"),),
        findings=(),
    )
    report_to_actions("drift", [], markdown=None, drift=report, env=actions, stream=io.StringIO())
    assert _outputs(Path(actions["GITHUB_OUTPUT"]))["drift"] == "false"


def test_stacks_behind_their_branch_are_drift_in_the_job(actions: dict[str, str]) -> None:
    """Git drift (a run that never happened, a rollback) is what exit code 2 says too: a warning
    per stack naming the fix, `drift` true and the stacks in `stacks_behind`."""
    from orchestrator.models import GitDrift

    behind = GitDrift(stack="network/dev", environment="dev", operation="update", applied="5a56daa22a92" + "0" * 28,
                      flow="rollback", standing="behind", commits_behind=3, reasons=("rolled back",),
                      branch="develop", head="9f8e7d6c5b4a" + "1" * 28)
    report = DriftReport(
        generated_at=datetime(2026, 1, 2, tzinfo=UTC), run_id=None, environments=("dev",),
        stacks=(StackDrift(stack="network/dev", project="network", environment="dev", status="clean"),),
        findings=(), git_drift=(behind,),
    )
    out = io.StringIO()
    report_to_actions("drift", [], markdown=None, drift=report, env=actions, stream=out)
    assert out.getvalue().splitlines() == [
        "::warning title=network/dev::behind develop by 3 commit(s): `orchestrator reconcile --env dev` would update it"
    ]
    outputs = _outputs(Path(actions["GITHUB_OUTPUT"]))
    assert outputs["drift"] == "true" and outputs["stacks_behind"] == '["network/dev"]'
