"""Contract of the pulumi engine's record of the applied commit, at the process boundary: the real
Automation API SDK drives the scripted `pulumi` STAND-IN (tests/pulumi_engine/standin/), which
keeps an update history and serves it as `pulumi stack history --json` does (format in
tests/fixtures/pulumi/SOURCES.md, "Update history").

The commit goes out as the update's `--message` and comes back through `Stack.history()`, so
a CI job with no database of its own knows what each stack runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from orchestrator.engines.applied import RecordsApplied
from orchestrator.engines.pulumi import PulumiEngine
from orchestrator.models import AwsSettings, StackSpec, UpdateOrigin
from tests.support.pulumi_standin import Standin, events

NI = "--non-interactive"
COMMIT_A = "1f" * 20
COMMIT_B = "2e" * 20


def _spec(directory: Path, tmp_path: Path, origin: UpdateOrigin | None = None) -> StackSpec:
    return StackSpec(project="webapp", environment="dev", stack_name="dev", directory=directory,
                     backend=f"file://{tmp_path / 'state'}", engine="pulumi", config={"aws:region": "us-east-1"},
                     aws=AwsSettings(region="us-east-1"), origin=origin)


def _history_calls(standin: Standin) -> list[list[str]]:
    return [c for c in standin.commands() if c[1:3] == ["stack", "history"]]


def test_an_update_sends_the_commit_as_its_message_and_reads_it_back_from_the_history(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"up": events("aws_webserver_replace")})
    engine = PulumiEngine()
    assert isinstance(engine, RecordsApplied)
    deployed = engine.update(_spec(project_dir, tmp_path, UpdateOrigin(COMMIT_A, "deploy", "run-1")))
    assert deployed.status == "succeeded", deployed.error
    [up] = [c for c in standin.commands() if c[1:2] == ["up"]]
    assert up[up.index("--message") + 1] == f"orchestrator deploy {COMMIT_A} run run-1"
    standin.reset()

    applied = engine.applied(_spec(project_dir, tmp_path))

    assert applied is not None
    assert (applied.commit, applied.flow, applied.run_id, applied.operation) == (COMMIT_A, "deploy", "run-1", "update")
    assert applied.at is not None and applied.at.tzinfo is not None
    assert standin.commands() == [
        ["version"],
        [NI, "stack", "select", "--stack", "dev"],  # select, never init: reading creates nothing
        [NI, "stack", "history", "--json", "--page-size", "50", "--page", "1", "--stack", "dev"],
    ]


def test_a_failed_update_or_a_refresh_leaves_the_applied_commit_where_it_was(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"up": events("aws_webserver_replace"), "refresh": events("refresh_preview_drift")})
    engine = PulumiEngine()
    engine.update(_spec(project_dir, tmp_path, UpdateOrigin(COMMIT_A, "deploy", "run-1")))
    engine.refresh(_spec(project_dir, tmp_path))
    standin.script(fail={"up": {"stderr": "error: update failed", "replay": True}},
                   events={"up": events("aws_webserver_replace")})
    failed = engine.update(_spec(project_dir, tmp_path, UpdateOrigin(COMMIT_B, "deploy", "run-2")))
    assert failed.status == "failed"

    history = _stack_history(project_dir)
    assert [(h["kind"], h["result"]) for h in history] == [
        ("update", "failed"), ("refresh", "succeeded"), ("update", "succeeded")]
    assert history[0]["message"] == f"orchestrator deploy {COMMIT_B} run run-2"

    applied = engine.applied(_spec(project_dir, tmp_path))
    assert applied is not None and applied.commit == COMMIT_A


def test_a_rollback_and_a_destroy_are_told_apart(standin: Standin, project_dir: Path, tmp_path: Path) -> None:
    standin.script(events={"up": events("aws_webserver_replace")})
    engine = PulumiEngine()
    engine.update(_spec(project_dir, tmp_path, UpdateOrigin(COMMIT_B, "deploy", "run-1")))
    engine.update(_spec(project_dir, tmp_path, UpdateOrigin(COMMIT_A, "rollback", "run-2")))
    rolled_back = engine.applied(_spec(project_dir, tmp_path))
    assert rolled_back is not None and (rolled_back.commit, rolled_back.flow) == (COMMIT_A, "rollback")

    engine.destroy(_spec(project_dir, tmp_path, UpdateOrigin(COMMIT_B, "deploy", "run-3")), preview_only=False)
    [destroy] = [c for c in standin.commands() if c[1:2] == ["destroy"] and "--preview-only" not in c]
    assert destroy[destroy.index("--message") + 1] == f"orchestrator deploy {COMMIT_B} run run-3"
    destroyed = engine.applied(_spec(project_dir, tmp_path))
    assert destroyed is not None and destroyed.destroyed and destroyed.commit == COMMIT_B


def test_an_update_run_by_hand_from_a_clean_checkout_is_named_by_the_clis_git_metadata(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    checkout = project_dir.parents[1]
    (checkout / ".gitignore").write_text("Pulumi.dev.yaml\n")  # `stack init` writes the salt there
    identity = ["-c", "user.name=Ops", "-c", "user.email=ops@example.com"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], [*identity, "commit", "-q", "-m", "webapp by hand"]):
        subprocess.run(["git", "-C", str(checkout), *args], check=True, capture_output=True)
    head = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    standin.script(events={"up": events("aws_webserver_replace")})
    engine = PulumiEngine()

    engine.update(_spec(project_dir, tmp_path))  # no origin: like `pulumi up` typed by a person

    [entry] = _stack_history(project_dir)
    assert entry["message"] == "webapp by hand"  # the CLI's default: the commit's title
    assert entry["environment"]["git.head"] == head and entry["environment"]["git.dirty"] == "false"
    applied = engine.applied(_spec(project_dir, tmp_path))
    assert applied is not None
    assert (applied.commit, applied.flow, applied.recorded_by) == (head, "manual", "git.head")


def test_a_stack_never_created_has_no_applied_commit_and_is_not_created(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    assert PulumiEngine().applied(_spec(project_dir, tmp_path)) is None
    assert [c[1:3] for c in standin.commands()[1:]] == [["stack", "select"]]


def test_the_history_is_read_a_page_at_a_time_until_an_update_decides(
    standin: Standin, project_dir: Path, tmp_path: Path
) -> None:
    standin.script(events={"up": events("aws_webserver_replace")})
    engine = PulumiEngine()
    engine.update(_spec(project_dir, tmp_path, UpdateOrigin(COMMIT_A, "deploy", "run-1")))
    # Sixty scheduled refreshes since (written straight into the stand-in's store: running
    # them one by one would take a minute).
    state_file = standin.home / "state.json"
    state: dict[str, Any] = json.loads(state_file.read_text())
    update = state["stacks"]["dev"]["history"][-1]
    state["stacks"]["dev"]["history"].extend(
        {**update, "kind": "refresh", "message": "drift check"} for _ in range(60))
    state_file.write_text(json.dumps(state))
    standin.reset()

    applied = engine.applied(_spec(project_dir, tmp_path))

    assert applied is not None and applied.commit == COMMIT_A
    assert [c[c.index("--page") + 1] for c in _history_calls(standin)] == ["1", "2"]


def _stack_history(project_dir: Path) -> list[dict[str, Any]]:
    """`pulumi stack history --json` as the stand-in prints it (newest first)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "standin" / "pulumi_standin.py"),
         "stack", "history", "--json", "--stack", "dev"],
        cwd=project_dir, capture_output=True, text=True, check=True, env=dict(os.environ),
    )
    history: list[dict[str, Any]] = json.loads(done.stdout)
    return history
