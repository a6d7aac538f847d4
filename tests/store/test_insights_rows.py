"""The rows insights read from a real store (SQLite and PostgreSQL), and the commit times they record."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from orchestrator.engines.base import StackResult
from orchestrator.flows.insights import load_insights, load_rows
from orchestrator.insights.model import Window
from orchestrator.store.insights import INDEXES, InsightsStore, commit_times
from orchestrator.store.sql import SqlStore


def _repo(tmp_path: Path) -> tuple[Path, str, datetime]:
    root = tmp_path / "infra"
    root.mkdir()
    when = "2025-02-03T04:05:06+00:00"
    env = {"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for args in (["init", "-q", "-b", "main"], ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit",
                                                  "-q", "--allow-empty", "-m", "one"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env)
    sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True, capture_output=True,
                         text=True).stdout.strip()
    return root, sha, datetime.fromisoformat(when)


def _run(store: SqlStore, flow: str, commit: str, results: list[tuple[str, str, str]]) -> str:
    run = store.start_run(flow=flow, commit=commit, branch="main", actor="t")  # type: ignore[arg-type]
    for stack, operation, status in results:
        store.record_stack_result(run.id, commit=commit, started_at=datetime.now(UTC) - timedelta(seconds=5),
                                  result=StackResult(stack=stack, operation=operation,  # type: ignore[arg-type]
                                                     status=status))  # type: ignore[arg-type]
    store.finish_run(run.id, "succeeded")
    return run.id


def _window() -> Window:
    return Window.last(timedelta(days=1), now=datetime.now(UTC) + timedelta(seconds=1))


def test_deployments_are_stack_updates_of_deploying_flows_that_were_attempted(store: SqlStore) -> None:
    _run(store, "deploy", "a" * 40, [("app/prod", "update", "succeeded"), ("net/prod", "update", "skipped"),
                                      ("db/prod", "destroy", "failed")])
    _run(store, "preview", "a" * 40, [("app/prod", "preview", "succeeded")])
    _run(store, "drift", "a" * 40, [("app/prod", "drift", "succeeded")])
    _run(store, "rollback", "b" * 40, [("app/prod", "update", "locked")])
    rows = InsightsStore(store).deployments(since=_window().start, until=_window().end)
    assert [(d.flow, d.stack, d.status) for d in rows] == [
        ("deploy", "app/prod", "succeeded"), ("deploy", "db/prod", "failed"), ("rollback", "app/prod", "locked")]
    # POSIX seconds, as UTC: the database computed them from the stored times.
    assert all(abs(d.finished_at - datetime.now(UTC).timestamp()) < 60 for d in rows)


def test_commit_times_come_from_the_clone_once_then_from_the_store(store: SqlStore, tmp_path: Path) -> None:
    root, sha, committed = _repo(tmp_path)
    _run(store, "deploy", sha, [("app/prod", "update", "succeeded")])
    _run(store, "deploy", "f" * 40, [("app/qa", "update", "succeeded")])  # not in the clone
    rows = load_rows(store, _window(), repo_root=root)
    assert rows.commit_times == {sha: pytest.approx(committed.timestamp())}
    # Recorded: a later reader without the clone still knows it.
    assert load_rows(store, _window(), repo_root=None).commit_times == {sha: pytest.approx(committed.timestamp())}
    insights = load_insights(store, _window(), repo_root=None)
    assert insights.delivery.lead_time.count == 1
    lead = insights.delivery.lead_time.median_s
    assert lead is not None and lead > (datetime.now(UTC) - committed).total_seconds() - 60


def test_recording_a_known_commit_time_again_keeps_the_first(store: SqlStore) -> None:
    data = InsightsStore(store)
    first = datetime(2025, 1, 1, tzinfo=UTC)
    data.record_commit_times({"c" * 40: first})
    data.record_commit_times({"c" * 40: first + timedelta(days=1), "d" * 40: first})
    assert data.commit_times() == {"c" * 40: pytest.approx(first.timestamp()),
                                   "d" * 40: pytest.approx(first.timestamp())}


def test_a_resolved_finding_ends_when_the_check_that_resolved_it_ran(store: SqlStore) -> None:
    from orchestrator.drift.model import Finding
    from orchestrator.store.drift import DriftStore

    drift = DriftStore(store)
    opened = datetime(2025, 1, 1, tzinfo=UTC)
    run = store.start_run(flow="drift", commit="a" * 40, branch=None, actor="scheduler")
    base = Finding(key="prod:drifted:u", environment="prod", kind="drifted", type="t", name="n",
                   stack="app/prod", urn="u", first_seen=opened, last_seen=opened)
    drift.save_findings([base], run_id=None)
    drift.save_findings([Finding(key="prod:unmanaged:x", environment="prod", kind="unmanaged", type="t", name="x",
                                 first_seen=opened, last_seen=opened)], run_id=None)
    from dataclasses import replace

    drift.save_findings([replace(base, state="resolved")], run_id=run.id)
    spans = {s.key: s for s in InsightsStore(store).finding_spans()}
    assert spans["prod:drifted:u"].project == "app"
    assert spans["prod:drifted:u"].opened_at == pytest.approx(opened.timestamp())
    assert spans["prod:drifted:u"].resolved_at == pytest.approx(run.started_at.timestamp())
    assert spans["prod:unmanaged:x"].project is None and spans["prod:unmanaged:x"].resolved_at is None


def test_a_database_made_before_insights_gets_the_table_and_indexes(store: SqlStore) -> None:
    InsightsStore(store)
    with store.transaction(write=True) as conn:
        for index in INDEXES:
            index.drop(conn)
        commit_times.drop(conn)
    InsightsStore(store)  # as opening an older database does
    inspector = sa.inspect(store.engine)
    assert "commit_times" in inspector.get_table_names()
    names = {i["name"] for table in ("stack_results", "server_jobs") for i in inspector.get_indexes(table)}
    assert {i.name for i in INDEXES} <= names
