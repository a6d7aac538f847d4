"""The store's tables: one SQLAlchemy `MetaData`, created with `create_all` (no migrations).

Later features (drift findings, the server's job queue) add their own tables to
`metadata` in a module of their own and call `SqlStore.ensure_schema()` (which runs at
construction too) after importing it; `create_all` creates whatever is missing and never
alters an existing table, so add tables, not columns. Use `SqlStore.transaction(write=...)`
for their queries: it brings SQLite's write locking and the clear connection errors.

Times are stored as UTC (`UtcDateTime`) and always come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData()


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no time zones) and PostgreSQL alike.

    Stored as naive UTC: SQLite keeps the fixed-width ISO text, so comparing two stored
    times (lease expiry) compares strings that sort like the times they spell.
    """

    impl = sa.DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json() -> sa.types.TypeEngine[Any]:
    from sqlalchemy.dialects.postgresql import JSONB

    return sa.JSON().with_variant(JSONB(), "postgresql")


runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("flow", sa.String(32), nullable=False),
    sa.Column("commit", sa.String(64), nullable=False),
    sa.Column("branch", sa.String(255)),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("pr", sa.Integer),
    sa.Column("environments", _json(), nullable=False),
    sa.Column("details", _json(), nullable=False),
    sa.Column("holder_pid", sa.Integer),
    sa.Column("holder_host", sa.String(255)),
    # Touched by renew_lock/heartbeat: how unfinished_runs judges a run started on another host.
    sa.Column("heartbeat_at", UtcDateTime(), nullable=False),
    sa.Index("ix_runs_status", "status"),
    sa.Index("ix_runs_started_at", "started_at"),
)

stack_results = sa.Table(
    "stack_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("flow", sa.String(32), nullable=False),
    sa.Column("stack", sa.String(255), nullable=False),
    sa.Column("project", sa.String(255), nullable=False),
    sa.Column("environment", sa.String(255), nullable=False),
    sa.Column("commit", sa.String(64), nullable=False),
    sa.Column("operation", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("counts", _json(), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("changes", _json(), nullable=False),
    sa.Index("ix_stack_results_stack_finished", "stack", "finished_at"),
    sa.Index("ix_stack_results_env_finished", "environment", "finished_at"),
    sa.Index("ix_stack_results_run", "run_id"),
)

environment_results = sa.Table(
    "environment_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("environment", sa.String(255), nullable=False),
    sa.Column("commit", sa.String(64), nullable=False),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Index("ix_environment_results_env_commit", "environment", "commit"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("run_id", sa.String(64)),
    sa.Column("environment", sa.String(255)),
    sa.Column("stack", sa.String(255)),
    sa.Column("commit", sa.String(64)),
    sa.Column("details", _json(), nullable=False),
    sa.Index("ix_audit_log_run", "run_id"),
)

locks = sa.Table(
    "locks",
    metadata,
    sa.Column("stack", sa.String(255), primary_key=True),
    sa.Column("holder", sa.String(1024), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("commit", sa.String(64), nullable=False),
    sa.Column("purpose", sa.String(16), nullable=False),
    sa.Column("pr", sa.Integer),
    sa.Column("acquired_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)

promotions = sa.Table(
    "promotions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("environment", sa.String(255), nullable=False),
    sa.Column("commit", sa.String(64), nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Index("ix_promotions_env_commit", "environment", "commit"),
)

# The audit log is append-only in the database too, not only by the absence of an API:
# an UPDATE, DELETE (or, on PostgreSQL, TRUNCATE) of audit_log raises.
_SQLITE_AUDIT_GUARDS = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)
_POSTGRES_AUDIT_GUARDS = (
    "CREATE OR REPLACE FUNCTION orchestrator_audit_log_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION USING MESSAGE = 'audit_log is append-only: ' || TG_OP || ' refused'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION orchestrator_audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION orchestrator_audit_log_append_only()",
)
for _statement in _SQLITE_AUDIT_GUARDS:
    sa.event.listen(audit_log, "after_create", sa.DDL(_statement).execute_if(dialect="sqlite"))  # type: ignore[no-untyped-call]
for _statement in _POSTGRES_AUDIT_GUARDS:
    sa.event.listen(audit_log, "after_create", sa.DDL(_statement).execute_if(dialect="postgresql"))  # type: ignore[no-untyped-call]
