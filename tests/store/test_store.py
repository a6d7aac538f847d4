"""The store on SQLite and PostgreSQL: runs, results, history, current commits, audit, promotions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from orchestrator.engines.base import OpCounts, PropertyDiff, ResourceChange, StackResult
from orchestrator.store import schema
from orchestrator.store.api import Store
from orchestrator.store.sql import SqlStore


def _result(stack: str, operation: str = "update", status: str = "succeeded", **extra: object) -> StackResult:
    return StackResult(stack=stack, operation=operation, status=status, **extra)  # type: ignore[arg-type]


def _deploy(store: SqlStore, stack: str, commit: str, *, flow: str = "deploy", operation: str = "update",
            status: str = "succeeded") -> str:
    run = store.start_run(flow=flow, commit=commit, branch="main", actor="alice")  # type: ignore[arg-type]
    store.record_stack_result(run.id, commit=commit, result=_result(stack, operation, status),
                              started_at=datetime.now(UTC))
    store.finish_run(run.id, "succeeded" if status == "succeeded" else "failed")
    return run.id


def test_satisfies_the_store_protocol(store: SqlStore) -> None:
    as_protocol: Store = store
    assert as_protocol is store


def test_runs_round_trip_with_aware_utc_times(store: SqlStore) -> None:
    before = datetime.now(UTC)
    run = store.start_run(flow="deploy", commit="a" * 40, branch="main", actor="alice", pr=7,
                          environments=("qa", "uat"), details={"event": "push"})
    loaded = store.get_run(run.id)
    assert loaded == run
    assert loaded.started_at.tzinfo == UTC and before <= loaded.started_at <= datetime.now(UTC)
    assert loaded.status == "running" and loaded.finished_at is None
    assert loaded.environments == ("qa", "uat") and loaded.pr == 7

    store.finish_run(run.id, "failed", details={"reason": "wave 0 failed"})
    finished = store.get_run(run.id)
    assert finished is not None and finished.status == "failed"
    assert finished.details == {"event": "push", "reason": "wave 0 failed"}  # merged, not replaced
    assert finished.finished_at is not None and finished.finished_at.tzinfo == UTC
    assert finished.finished_at >= finished.started_at
    assert store.get_run("nope") is None
    with pytest.raises(ValueError, match="unknown run"):
        store.finish_run("nope", "failed")


def test_naive_datetimes_are_refused(store: SqlStore) -> None:
    run = store.start_run(flow="deploy", commit="c1", branch="main", actor="alice")
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        store.record_stack_result(run.id, commit="c1", result=_result("app/dev"), started_at=datetime.now())


def test_runs_newest_first_and_filtered_by_flow(store: SqlStore) -> None:
    ids = [store.start_run(flow=flow, commit=f"c{i}", branch=None, actor="bob").id  # type: ignore[arg-type]
           for i, flow in enumerate(["deploy", "preview", "deploy", "rollback"])]
    assert [r.id for r in store.runs()] == ids[::-1]
    assert [r.id for r in store.runs(flow="deploy")] == [ids[2], ids[0]]
    assert [r.id for r in store.runs(limit=2)] == ids[:1:-1]


def test_stack_results_and_history_newest_first_with_filters(store: SqlStore) -> None:
    run = store.start_run(flow="deploy", commit="c1", branch="main", actor="alice")
    change = ResourceChange(urn="urn:pulumi:dev::app::aws:s3/bucket:Bucket::logs", type="aws:s3/bucket:Bucket",
                            name="logs", op="update", diffs=(PropertyDiff("tags.team", "update", "a", "b"),))
    started = datetime.now(UTC) - timedelta(seconds=3)
    for stack in ("network/dev", "app/dev", "app/qa"):
        store.record_stack_result(
            run.id, commit="c1", started_at=started,
            result=_result(stack, counts=OpCounts(update=1, same=2), changes=(change,)),
        )
    all_records = store.history()
    assert [r.stack for r in all_records] == ["app/qa", "app/dev", "network/dev"]
    first = all_records[-1]
    assert (first.project, first.environment, first.flow, first.run_id) == ("network", "dev", "deploy", run.id)
    assert first.counts == {"create": 0, "update": 1, "replace": 0, "delete": 0, "same": 2}
    assert first.changes == [change.to_json()]
    assert first.started_at == started and first.finished_at >= started
    assert [r.stack for r in store.history(environment="dev")] == ["app/dev", "network/dev"]
    assert [r.stack for r in store.history(project="app")] == ["app/qa", "app/dev"]
    assert [r.stack for r in store.history(project="app", environment="dev")] == ["app/dev"]
    assert len(store.history(limit=1)) == 1


def test_credentials_in_results_audit_and_run_details_are_redacted(store: SqlStore) -> None:
    key = "AKIA" + "ABCDEFGHIJKLMNOP"
    run = store.start_run(flow="deploy", commit="c1", branch="main", actor="alice", details={"note": key})
    diff = PropertyDiff("env.KEY", "update", key, key)
    change = ResourceChange(urn="u", type="t", name="n", op="update", diffs=(diff,))
    failed = _result("app/dev", "update", "failed", changes=(change,), error=f"denied for {key}")
    store.record_stack_result(run.id, commit="c1", started_at=datetime.now(UTC), result=failed)
    store.audit(actor="alice", action="deploy.started", details={"url": "https://bob:hunter22@example.com/x"})
    stored = [repr(store.history()), repr(store.audit_log()), repr(store.get_run(run.id))]
    assert all(key not in text and "hunter22" not in text for text in stored)
    assert "[secret]" in stored[0]


def test_unknown_run_or_bad_stack_id_is_refused(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="unknown run"):
        store.record_stack_result("nope", commit="c", result=_result("app/dev"), started_at=datetime.now(UTC))
    run = store.start_run(flow="deploy", commit="c", branch=None, actor="a")
    with pytest.raises(ValueError, match="<project>/<environment>"):
        store.record_stack_result(run.id, commit="c", result=_result("app"), started_at=datetime.now(UTC))


def test_current_commits_follow_successful_updates_rollbacks_and_destroys(store: SqlStore) -> None:
    _deploy(store, "app/dev", "A")
    _deploy(store, "net/dev", "A")
    _deploy(store, "app/dev", "B")
    assert store.current_commits() == {"app/dev": "B", "net/dev": "A"}
    _deploy(store, "app/dev", "C", status="failed")  # a failed update changes nothing
    _deploy(store, "app/dev", "D", flow="preview", operation="preview")  # nor does a preview
    _deploy(store, "net/dev", "X", flow="drift", operation="drift")  # nor a drift check
    assert store.current_commits() == {"app/dev": "B", "net/dev": "A"}
    _deploy(store, "app/dev", "A", flow="rollback")
    assert store.current_commits() == {"app/dev": "A", "net/dev": "A"}
    _deploy(store, "net/dev", "E", operation="destroy")  # destroyed: runs nothing now
    assert store.current_commits() == {"app/dev": "A"}


def test_environment_succeeded_needs_a_successful_deploy_of_that_commit(store: SqlStore, store_url: str) -> None:
    deploy = store.start_run(flow="deploy", commit="A", branch="main", actor="ci")
    preview = store.start_run(flow="preview", commit="P", branch="main", actor="ci")
    rollback = store.start_run(flow="rollback", commit="R", branch="main", actor="ci")
    store.record_environment_result("qa", "A", deploy.id, "succeeded")
    store.record_environment_result("uat", "A", deploy.id, "failed")
    store.record_environment_result("qa", "P", preview.id, "succeeded")
    store.record_environment_result("qa", "R", rollback.id, "succeeded")
    assert store.environment_succeeded("qa", "A")
    assert not store.environment_succeeded("uat", "A")
    assert not store.environment_succeeded("qa", "B")
    assert not store.environment_succeeded("qa", "P")  # a preview deploys nothing
    assert store.environment_succeeded("qa", "R")
    other = SqlStore(store_url)  # another connection pool sees it too
    try:
        assert other.environment_succeeded("qa", "A")
    finally:
        other.close()


def test_audit_log_is_append_only(store: SqlStore) -> None:
    run = store.start_run(flow="deploy", commit="A", branch="main", actor="alice")
    store.audit(actor="alice", action="deploy.started", run_id=run.id, commit="A")
    store.audit(actor="ci", action="gate.passed", run_id=run.id, environment="qa", details={"gate": "requires"})
    store.audit(actor="bob", action="lock.released", stack="app/qa")
    entries = store.audit_log()
    assert [e.action for e in entries] == ["lock.released", "gate.passed", "deploy.started"]
    assert entries[1].details == {"gate": "requires"} and entries[1].environment == "qa"
    assert entries[0].at.tzinfo == UTC and entries[0].id > entries[1].id
    assert [e.action for e in store.audit_log(run_id=run.id)] == ["gate.passed", "deploy.started"]
    assert len(store.audit_log(limit=1)) == 1

    # No API changes it, and the database itself refuses to.
    verbs = ("del", "upd", "edit", "set")
    mutators = [name for name in dir(store) if "audit" in name and any(verb in name for verb in verbs)]
    assert mutators == []
    for statement in (sa.delete(schema.audit_log), sa.update(schema.audit_log).values(actor="mallory")):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(statement)
    if store.backend == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE audit_log"))
    assert [e.actor for e in store.audit_log()] == ["bob", "ci", "alice"]


def test_promotions(store: SqlStore) -> None:
    assert store.promotion("prod", "A") is None
    store.record_promotion("prod", "A", "alice", reason="hotfix")
    second = store.record_promotion("prod", "A", "bob")
    found = store.promotion("prod", "A")
    assert found == second and found.actor == "bob" and found.at.tzinfo == UTC
    assert store.promotion("prod", "B") is None and store.promotion("uat", "A") is None


def test_schema_creation_is_idempotent(store: SqlStore, store_url: str) -> None:
    store.audit(actor="a", action="x")
    again = SqlStore(store_url)
    try:
        again.ensure_schema()
        assert [e.action for e in again.audit_log()] == ["x"]
    finally:
        again.close()


def test_later_features_add_tables_to_an_existing_database(store: SqlStore) -> None:
    store.audit(actor="a", action="x")
    findings = sa.Table("test_findings", schema.metadata, sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("state", sa.String(16)))
    try:
        store.ensure_schema()
        with store.transaction(write=True) as conn:
            conn.execute(sa.insert(findings).values(state="new"))
        with store.transaction(write=False) as conn:
            assert conn.execute(sa.select(findings.c.state)).scalars().all() == ["new"]
        assert [e.action for e in store.audit_log()] == ["x"]  # existing tables untouched
    finally:
        schema.metadata.remove(findings)
