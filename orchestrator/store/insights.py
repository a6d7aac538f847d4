"""What insights read from the store: deployments, drift findings, server jobs, and commit times.

Commit times are a table of their own (`commit_times`): the stack results name a commit but
not when it was made, which lead time needs. Like every later table it is created by
`ensure_schema` on databases made before it existed. The indexes insights queries use are
declared on the store's tables here; `create_all` only makes them with a new table, so
opening an existing database creates the missing ones (`CREATE INDEX IF NOT EXISTS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from orchestrator.insights.model import DEPLOYING_FLOWS, Deployment, FindingSpan, JobSpan
from orchestrator.store import schema
from orchestrator.store.database import Transactional
from orchestrator.store.drift import drift_findings
from orchestrator.store.jobs import server_jobs
from orchestrator.store.schema import UtcDateTime, metadata

commit_times = sa.Table(
    "commit_times",
    metadata,
    sa.Column("commit", sa.String(64), primary_key=True),
    sa.Column("committed_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
)

_results = schema.stack_results
INDEXES = (
    # Covering: the deployments of a window are read from the index alone, not the wide rows.
    sa.Index("ix_stack_results_insights", _results.c.flow, _results.c.finished_at, _results.c.operation,
             _results.c.status, _results.c.project, _results.c.environment, _results.c.commit),
    sa.Index("ix_server_jobs_created", server_jobs.c.created_at),
)
# Operations that put a commit on a stack (an update) or take it away (a destroy).
_DEPLOY_OPERATIONS = ("update", "destroy")
_BATCH = 500


class InsightsStore:
    """Read-only queries for insights, plus the commit times they record."""

    def __init__(self, store: Transactional) -> None:
        self._store = store
        store.ensure_schema()  # commit_times, drift and job tables, now in `metadata`
        with store.transaction(write=True) as conn:
            for index in INDEXES:
                index.create(conn, checkfirst=True)

    def deployments(self, *, since: datetime, until: datetime) -> list[Deployment]:
        """Stack updates and destroys by deploying flows that finished in [since, until), in no order."""
        r = _results
        with self._store.transaction(write=False) as conn:
            query = (
                sa.select(r.c.flow, r.c.project, r.c.environment, r.c.commit, r.c.status,
                          _epoch(conn, r.c.finished_at))
                .where(r.c.flow.in_(DEPLOYING_FLOWS), r.c.finished_at >= since, r.c.finished_at < until,
                       r.c.operation.in_(_DEPLOY_OPERATIONS), r.c.status != "skipped")
            )
            return list(map(Deployment._make, conn.execute(query).all()))

    def finding_spans(self) -> list[FindingSpan]:
        """Every stored drift finding; a resolved one ends when the check that resolved it ran."""
        f, runs = drift_findings, schema.runs
        with self._store.transaction(write=False) as conn:
            query = (
                sa.select(f.c.environment, f.c.stack, f.c.kind, f.c.state, f.c.key,
                          _epoch(conn, f.c.first_seen).label("opened"), _epoch(conn, f.c.last_seen).label("last"),
                          _epoch(conn, runs.c.started_at).label("run_started"))
                .select_from(f.outerjoin(runs, runs.c.id == f.c.run_id))
            )
            rows = conn.execute(query).all()
        return [
            FindingSpan(
                key=row.key, environment=row.environment,
                project=None if row.stack is None else row.stack.rpartition("/")[0], kind=row.kind,
                opened_at=row.opened,
                resolved_at=(row.run_started if row.run_started is not None else row.last)
                if row.state == "resolved" else None,
            )
            for row in rows
        ]

    def jobs(self, *, since: datetime, until: datetime) -> list[JobSpan]:
        j = server_jobs
        with self._store.transaction(write=False) as conn:
            query = (
                sa.select(j.c.kind, j.c.status, _epoch(conn, j.c.created_at), _epoch(conn, j.c.started_at),
                          _epoch(conn, j.c.finished_at))
                .where(j.c.created_at >= since, j.c.created_at < until)
                .order_by(j.c.id)
            )
            return [JobSpan(*row) for row in conn.execute(query)]

    def commit_times(self) -> dict[str, float]:
        """Commit → when it was made, in POSIX seconds."""
        with self._store.transaction(write=False) as conn:
            query = sa.select(commit_times.c.commit, _epoch(conn, commit_times.c.committed_at))
            return {commit: at for commit, at in conn.execute(query)}

    def record_commit_times(self, times: Mapping[str, datetime]) -> None:
        """Remember when commits were made; a commit's time never changes, so known ones are kept
        (ON CONFLICT DO NOTHING: two processes recording the same commit both succeed)."""
        now = datetime.now(UTC)
        rows = [{"commit": c, "committed_at": t, "recorded_at": now} for c, t in sorted(times.items())]
        with self._store.transaction(write=True) as conn:
            insert = _dialect_insert(conn)
            for start in range(0, len(rows), _BATCH):
                conn.execute(insert(commit_times).on_conflict_do_nothing(index_elements=["commit"]),
                             rows[start:start + _BATCH])


def _epoch(conn: Connection, column: sa.ColumnElement[Any]) -> sa.ColumnElement[float]:
    """A stored (naive UTC) time as POSIX seconds, computed by the database: converting 100,000
    datetimes in Python would cost more than all the measures."""
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.extract("epoch", column), sa.Float)
    return sa.type_coerce((sa.func.julianday(column) - 2440587.5) * 86400.0, sa.Float)


def _dialect_insert(conn: Connection) -> Any:
    # ON CONFLICT lives in the dialects' own insert constructs.
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert
