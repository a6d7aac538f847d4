"""The run store on SQLAlchemy 2 (`store.database`): runs, per-stack results, the audit log
and promotions here; lock leases in `store.leases`.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from orchestrator.engines.base import StackResult
from orchestrator.fsutil import pid_alive
from orchestrator.store import schema
from orchestrator.store.api import AuditEntry, Flow, Promotion, Run, RunStatus, StackRunRecord, new_run_id
from orchestrator.store.database import utcnow
from orchestrator.store.leases import SqlLeases
from orchestrator.store.policy import insert_violations
from orchestrator.store.rows import audit_entry_from_row, run_from_row, stack_run_record_from_row

# Flows whose success in an environment satisfies a `requires` gate.
_DEPLOYING_FLOWS = ("deploy", "rollback", "promote", "reconcile")
# Operations that decide what a stack runs now: an update sets it, a destroy clears it.
_STATE_SETTING_OPERATIONS = ("update", "destroy")


class SqlStore(SqlLeases):
    """The `Store` protocol on a SQLAlchemy database URL.

    `stale_after_s`: a run started on another host counts as unfinished when its heartbeat
    (start, `heartbeat`, `renew_lock`) is older than this. `busy_timeout_s`: how long a
    SQLite writer waits for the file's write lock before failing.
    """

    def __init__(self, url: str, *, stale_after_s: float = 600.0, busy_timeout_s: float = 30.0) -> None:
        self.stale_after_s = stale_after_s
        super().__init__(url, busy_timeout_s=busy_timeout_s)

    # ------------------------------------------------------------------ runs
    def start_run(
        self,
        *,
        flow: Flow,
        commit: str,
        branch: str | None,
        actor: str,
        pr: int | None = None,
        environments: tuple[str, ...] = (),
        details: dict[str, Any] | None = None,
    ) -> Run:
        now = utcnow()
        run = Run(
            id=new_run_id(now),
            flow=flow,
            commit=commit,
            branch=branch,
            actor=actor,
            status="running",
            started_at=now,
            pr=pr,
            environments=tuple(environments),
            details=_redacted(details or {}),
            holder_pid=os.getpid(),
            holder_host=socket.gethostname(),
        )
        with self.transaction(write=True) as conn:
            conn.execute(
                sa.insert(schema.runs).values(
                    id=run.id,
                    flow=run.flow,
                    commit=run.commit,
                    branch=run.branch,
                    actor=run.actor,
                    status=run.status,
                    started_at=run.started_at,
                    pr=run.pr,
                    environments=list(run.environments),
                    details=run.details,
                    holder_pid=run.holder_pid,
                    holder_host=run.holder_host,
                    heartbeat_at=now,
                )
            )
        return run

    def finish_run(self, run_id: str, status: RunStatus, *, details: dict[str, Any] | None = None) -> None:
        runs = schema.runs
        with self.transaction(write=True) as conn:
            row = conn.execute(sa.select(runs.c.details).where(runs.c.id == run_id).with_for_update()).first()
            if row is None:
                raise ValueError(f"unknown run {run_id!r}")
            merged = {**(row.details or {}), **_redacted(details or {})}
            conn.execute(
                sa.update(runs).where(runs.c.id == run_id).values(status=status, finished_at=utcnow(), details=merged)
            )

    def heartbeat(self, run_id: str) -> None:
        """Show that the run's process is alive (for runs judged from another host)."""
        with self.transaction(write=True) as conn:
            conn.execute(sa.update(schema.runs).where(schema.runs.c.id == run_id).values(heartbeat_at=utcnow()))

    def get_run(self, run_id: str) -> Run | None:
        with self.transaction(write=False) as conn:
            row = conn.execute(sa.select(schema.runs).where(schema.runs.c.id == run_id)).mappings().first()
        return None if row is None else run_from_row(row)

    def runs(self, *, flow: Flow | None = None, limit: int = 50) -> list[Run]:
        runs = schema.runs
        query = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)
        if flow is not None:
            query = query.where(runs.c.flow == flow)
        with self.transaction(write=False) as conn:
            return [run_from_row(row) for row in conn.execute(query).mappings()]

    def unfinished_runs(self) -> list[Run]:
        """Runs marked running whose process is gone.

        Started on this host: the recorded pid no longer runs (or is a zombie). Started on
        another host, where we cannot look at its processes: no heartbeat for `stale_after_s`.
        """
        runs = schema.runs
        with self.transaction(write=False) as conn:
            rows = list(
                conn.execute(sa.select(runs).where(runs.c.status == "running").order_by(runs.c.started_at)).mappings()
            )
        host = socket.gethostname()
        stale_before = utcnow() - timedelta(seconds=self.stale_after_s)
        gone = []
        for row in rows:
            if row["holder_host"] == host and row["holder_pid"] is not None:
                if not pid_alive(row["holder_pid"]):
                    gone.append(run_from_row(row))
            elif row["heartbeat_at"] < stale_before:
                gone.append(run_from_row(row))
        return gone

    def mark_interrupted(self, run_id: str) -> None:
        runs = schema.runs
        with self.transaction(write=True) as conn:
            conn.execute(
                sa.update(runs)
                .where(runs.c.id == run_id, runs.c.status == "running")
                .values(status="interrupted", finished_at=utcnow())
            )

    # ------------------------------------------------------------------ results
    def record_stack_result(self, run_id: str, *, commit: str, result: StackResult, started_at: datetime) -> None:
        from orchestrator.engines.base import redact_result
        from orchestrator.redact import Redactor

        project, environment = _split_stack_id(result.stack)
        # Engines redact what they know is secret; this catches credential-looking text
        # that reached a result anyway, since the store keeps it for good.
        clean = redact_result(result, Redactor())
        payload = clean.to_json()
        with self.transaction(write=True) as conn:
            flow = conn.execute(sa.select(schema.runs.c.flow).where(schema.runs.c.id == run_id)).scalar()
            if flow is None:
                raise ValueError(f"unknown run {run_id!r}")
            conn.execute(
                sa.insert(schema.stack_results).values(
                    run_id=run_id,
                    flow=flow,
                    stack=result.stack,
                    project=project,
                    environment=environment,
                    commit=commit,
                    operation=result.operation,
                    status=result.status,
                    counts=payload["counts"],
                    started_at=started_at,
                    finished_at=utcnow(),
                    error=clean.error,
                    changes=payload["changes"],
                )
            )
            insert_violations(conn, run_id=run_id, commit=commit, result=clean, at=utcnow())

    def record_environment_result(self, environment: str, commit: str, run_id: str, status: RunStatus) -> None:
        with self.transaction(write=True) as conn:
            conn.execute(
                sa.insert(schema.environment_results).values(
                    environment=environment, commit=commit, run_id=run_id, status=status, at=utcnow()
                )
            )

    def environment_succeeded(self, environment: str, commit: str) -> bool:
        env, runs = schema.environment_results, schema.runs
        query = (
            sa.select(env.c.id)
            .join(runs, runs.c.id == env.c.run_id)
            .where(
                env.c.environment == environment,
                env.c.commit == commit,
                env.c.status == "succeeded",
                runs.c.flow.in_(_DEPLOYING_FLOWS),
            )
            .limit(1)
        )
        with self.transaction(write=False) as conn:
            return conn.execute(query).first() is not None

    def history(
        self, *, environment: str | None = None, project: str | None = None, limit: int = 50
    ) -> list[StackRunRecord]:
        results = schema.stack_results
        query = sa.select(results).order_by(results.c.finished_at.desc(), results.c.id.desc()).limit(limit)
        if environment is not None:
            query = query.where(results.c.environment == environment)
        if project is not None:
            query = query.where(results.c.project == project)
        with self.transaction(write=False) as conn:
            return [stack_run_record_from_row(row) for row in conn.execute(query).mappings()]

    def current_commits(self) -> dict[str, str]:
        results = schema.stack_results
        newest_first = sa.func.row_number().over(
            partition_by=results.c.stack, order_by=(results.c.finished_at.desc(), results.c.id.desc())
        )
        ranked = (
            sa.select(results.c.stack, results.c.commit, results.c.operation, newest_first.label("rank"))
            .where(results.c.status == "succeeded", results.c.operation.in_(_STATE_SETTING_OPERATIONS))
            .subquery()
        )
        query = (
            sa.select(ranked.c.stack, ranked.c.commit)
            .where(ranked.c.rank == 1, ranked.c.operation == "update")
            .order_by(ranked.c.stack)
        )
        with self.transaction(write=False) as conn:
            return {row.stack: row.commit for row in conn.execute(query)}

    # ------------------------------------------------------------------ audit
    def audit(
        self,
        *,
        actor: str,
        action: str,
        run_id: str | None = None,
        environment: str | None = None,
        stack: str | None = None,
        commit: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        with self.transaction(write=True) as conn:
            conn.execute(
                sa.insert(schema.audit_log).values(
                    at=utcnow(),
                    actor=actor,
                    action=action,
                    run_id=run_id,
                    environment=environment,
                    stack=stack,
                    commit=commit,
                    details=_redacted(details or {}),
                )
            )

    def audit_log(self, *, limit: int = 100, run_id: str | None = None) -> list[AuditEntry]:
        """Newest first."""
        log = schema.audit_log
        query = sa.select(log).order_by(log.c.id.desc()).limit(limit)
        if run_id is not None:
            query = query.where(log.c.run_id == run_id)
        with self.transaction(write=False) as conn:
            return [audit_entry_from_row(row) for row in conn.execute(query).mappings()]

    # ------------------------------------------------------------------ promotions
    def record_promotion(self, environment: str, commit: str, actor: str, reason: str | None = None) -> Promotion:
        promotion = Promotion(environment=environment, commit=commit, actor=actor, at=utcnow(), reason=reason)
        with self.transaction(write=True) as conn:
            conn.execute(
                sa.insert(schema.promotions).values(
                    environment=environment, commit=commit, actor=actor, at=promotion.at, reason=reason
                )
            )
        return promotion

    def promotion(self, environment: str, commit: str) -> Promotion | None:
        """The latest promotion of `commit` into `environment`."""
        promotions = schema.promotions
        query = (
            sa.select(promotions)
            .where(promotions.c.environment == environment, promotions.c.commit == commit)
            .order_by(promotions.c.id.desc())
            .limit(1)
        )
        with self.transaction(write=False) as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        return Promotion(
            environment=row["environment"], commit=row["commit"], actor=row["actor"], at=row["at"], reason=row["reason"]
        )


# ---------------------------------------------------------------------- helpers
def _split_stack_id(stack: str) -> tuple[str, str]:
    project, sep, environment = stack.rpartition("/")
    if not sep or not project or not environment:
        raise ValueError(f"stack id {stack!r} is not <project>/<environment>")
    return project, environment


def _redacted(details: Mapping[str, Any]) -> dict[str, Any]:
    from orchestrator.redact import Redactor

    value = Redactor().value(dict(details))
    assert isinstance(value, dict)
    return value
