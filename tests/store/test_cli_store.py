"""`orchestrator history` and `orchestrator locks list|release` on a real SQLite store."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrator.cli.store import history, locks
from orchestrator.engines.base import OpCounts, StackResult
from orchestrator.errors import UserError
from orchestrator.store import ENV_VAR
from orchestrator.store.sql import SqlStore


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose orchestrator.yaml names the database."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    (tmp_path / "orchestrator.yaml").write_text("database: sqlite:///state/o.db\n")
    (tmp_path / "state").mkdir()
    return tmp_path


def _seed(url: str) -> SqlStore:
    store = SqlStore(url)
    for commit, status in (("a" * 40, "succeeded"), ("b" * 40, "succeeded"), ("c" * 40, "failed")):
        run = store.start_run(flow="deploy", commit=commit, branch="main", actor="alice")
        for stack in ("app/dev", "net/qa"):
            result = StackResult(stack=stack, operation="update", status=status,  # type: ignore[arg-type]
                                 counts=OpCounts(create=1, update=2))
            store.record_stack_result(run.id, commit=commit, result=result, started_at=datetime.now(UTC))
    return store


def test_history_shows_current_commits_and_recent_results(repo: Path) -> None:
    _seed(f"sqlite:///{repo / 'state' / 'o.db'}").close()
    out = CliRunner().invoke(history, ["--repo", str(repo)], catch_exceptions=False).output
    current, recent = out.split("Recent stack results")
    assert "app/dev  bbbbbbbbbbbb" in current and "net/qa   bbbbbbbbbbbb" in current
    lines = [line for line in recent.splitlines() if "deploy" in line]
    assert len(lines) == 6 and "cccccccccccc" in lines[0] and "failed" in lines[0]
    assert "1 2 0 0" in lines[0]

    data = json.loads(CliRunner().invoke(history, ["--repo", str(repo), "--env", "dev", "--json", "-n", "2"]).output)
    assert data["current"] == {"app/dev": "b" * 40}
    assert [(r["stack"], r["commit"][0], r["status"]) for r in data["history"]] == [
        ("app/dev", "c", "failed"), ("app/dev", "b", "succeeded")]
    data = json.loads(CliRunner().invoke(history, ["--repo", str(repo), "--project", "net", "--json"]).output)
    assert set(data["current"]) == {"net/qa"} and {r["project"] for r in data["history"]} == {"net"}


def test_history_of_an_empty_store_and_the_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{tmp_path / 'env.db'}")
    out = CliRunner().invoke(history, ["--repo", str(tmp_path / "no-such-repo")], catch_exceptions=False).output
    assert out.count("none recorded") == 2 and (tmp_path / "env.db").is_file()


def test_locks_list_and_release(repo: Path) -> None:
    store = SqlStore(f"sqlite:///{repo / 'state' / 'o.db'}")
    store.acquire_lock("app/dev", holder="deploy run r1 by alice", run_id="r1", commit="a" * 40, ttl_s=600)
    store.acquire_lock("net/dev", holder="preview of PR #4", run_id="p4", commit="b" * 40, ttl_s=0.1,
                       purpose="pr", pr=4)
    time.sleep(0.2)
    runner = CliRunner()
    out = runner.invoke(locks, ["list", "--repo", str(repo)], catch_exceptions=False).output
    app_line, net_line = (line for line in out.splitlines() if "/dev" in line)
    assert "deploy" in app_line and "in 59" in app_line and "deploy run r1 by alice" in app_line
    assert "pr #4" in net_line and "expired" in net_line
    listed = json.loads(runner.invoke(locks, ["list", "--repo", str(repo), "--json"]).output)
    assert [(lease["stack"], lease["expired"]) for lease in listed] == [("app/dev", False), ("net/dev", True)]

    refused = runner.invoke(locks, ["release", "app/dev", "--repo", str(repo)], input="n\n")
    assert refused.exit_code != 0 and store.get_lock("app/dev") is not None
    done = runner.invoke(locks, ["release", "app/dev", "--repo", str(repo)], input="y\n", catch_exceptions=False)
    assert "released the lock on app/dev (was held by deploy run r1 by alice)" in done.output
    assert store.get_lock("app/dev") is None
    runner.invoke(locks, ["release", "net/dev", "--yes", "--repo", str(repo)], catch_exceptions=False)
    assert store.locks(include_expired=True) == []
    entries = store.audit_log()
    assert [(e.action, e.stack, e.details["forced"], e.details["expired"]) for e in entries] == [
        ("lock.released", "net/dev", True, True), ("lock.released", "app/dev", True, False)]
    assert entries[1].run_id == "r1" and entries[1].details["holder"] == "deploy run r1 by alice"

    missing = runner.invoke(locks, ["release", "web/dev", "--yes", "--repo", str(repo)])
    assert isinstance(missing.exception, UserError) and "no lock on stack 'web/dev'" in missing.exception.message
    store.close()
