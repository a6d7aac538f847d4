"""The store on SQLAlchemy 2: SQLite (default, one file shared by processes) or PostgreSQL (shared use).

Concurrency:
- SQLite runs in WAL mode with a busy timeout; every write transaction starts with
  `BEGIN IMMEDIATE`, so writers queue for the file's write lock instead of failing
  when a read transaction tries to upgrade.
- A lock is a lease row per stack. `acquire_lock` is one `INSERT ... ON CONFLICT DO
  UPDATE ... WHERE <expired or ours> RETURNING` statement: the database decides the
  winner atomically on both SQLite and PostgreSQL, with no read-then-write race.
- Lease times come from the database's clock on PostgreSQL (hosts sharing it may
  disagree on the time) and from this machine's clock on SQLite (one machine).
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from orchestrator.engines.base import StackResult
from orchestrator.errors import UserError
from orchestrator.store import schema
from orchestrator.store.api import (
    AuditEntry,
    Flow,
    Lease,
    LockPurpose,
    Promotion,
    Run,
    RunStatus,
    StackRunRecord,
)
from orchestrator.store.urls import mask_password, with_driver

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
# Flows whose success in an environment satisfies a `requires` gate.
_DEPLOYING_FLOWS = ("deploy", "rollback", "promote")
# Operations that decide what a stack runs now: an update sets it, a destroy clears it.
_STATE_SETTING_OPERATIONS = ("update", "destroy")
# Serializes create_all across processes on PostgreSQL (an arbitrary, fixed key).
_PG_SCHEMA_LOCK_KEY = 7_305_911_201


def utcnow() -> datetime:
    return datetime.now(UTC)


class SqlStore:
    """The `Store` protocol on a SQLAlchemy database URL.

    `stale_after_s`: a run started on another host counts as unfinished when its heartbeat
    (start, `heartbeat`, `renew_lock`) is older than this. `busy_timeout_s`: how long a
    SQLite writer waits for the file's write lock before failing.
    """

    def __init__(self, url: str, *, stale_after_s: float = 600.0, busy_timeout_s: float = 30.0) -> None:
        self.url = with_driver(url)
        self.display_url = mask_password(url)  # as the user wrote it, minus the password
        self.stale_after_s = stale_after_s
        self._engine = self._create_engine(busy_timeout_s)
        self.ensure_schema()

    # ------------------------------------------------------------------ plumbing
    @property
    def engine(self) -> Engine:
        """For stores of later features (drift findings, job queue) sharing this database."""
        return self._engine

    @property
    def backend(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    def ensure_schema(self) -> None:
        """Create the missing tables of `schema.metadata`; safe when several processes start at once."""
        with self.transaction(write=True) as conn:
            if self.backend == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SCHEMA_LOCK_KEY})
            schema.metadata.create_all(conn)

    def _create_engine(self, busy_timeout_s: float) -> Engine:
        try:
            parsed = sa.engine.make_url(self.url)
        except sa.exc.ArgumentError as exc:
            raise UserError(
                f"invalid database URL {self.display_url}: {exc}",
                "use a SQLAlchemy URL such as sqlite:////abs/path/orchestrator.db or "
                "postgresql://user:password@host:5432/dbname",
            ) from None
        backend = parsed.get_backend_name()
        if backend not in SUPPORTED_BACKENDS:
            raise UserError(
                f"unsupported database {backend!r} in URL {self.display_url}",
                "the store runs on SQLite (the default) or PostgreSQL (postgresql://...)",
            )
        try:
            if backend == "sqlite":
                return _sqlite_engine(parsed, busy_timeout_s)
            return sa.create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})
        except (sa.exc.NoSuchModuleError, ModuleNotFoundError) as exc:
            raise UserError(
                f"no database driver for {self.display_url}: {exc}",
                "install psycopg 3 (pip install 'psycopg[binary]') or use a plain postgresql:// URL",
            ) from None

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Connection]:
        """One transaction; `write=True` takes SQLite's write lock up front (BEGIN IMMEDIATE).

        For later stores sharing this database; connection failures become a UserError
        naming the URL without its password.
        """
        try:
            with self._engine.connect() as conn:
                conn.execution_options(orchestrator_write=write)
                with conn.begin():
                    yield conn
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise self._database_error(exc) from None

    def _database_error(self, exc: sa.exc.DBAPIError) -> UserError:
        reason = mask_password(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc))
        password = sa.engine.make_url(self.url).password
        if password:
            reason = reason.replace(str(password), "***")
        if self.backend == "sqlite":
            hint = (
                "check that the directory of the SQLite file exists and is writable; if another process "
                "holds the database for long, retry"
            )
        else:
            hint = (
                "check that the PostgreSQL server is running and reachable, and the user, password and "
                "database name; the URL comes from $ORCHESTRATOR_DATABASE_URL or `database` in orchestrator.yaml"
            )
        return UserError(f"database {self.display_url} failed: {reason}", hint)

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
            id=_new_run_id(now),
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
        return None if row is None else _run(row)

    def runs(self, *, flow: Flow | None = None, limit: int = 50) -> list[Run]:
        runs = schema.runs
        query = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)
        if flow is not None:
            query = query.where(runs.c.flow == flow)
        with self.transaction(write=False) as conn:
            return [_run(row) for row in conn.execute(query).mappings()]

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
                if not _pid_alive(row["holder_pid"]):
                    gone.append(_run(row))
            elif row["heartbeat_at"] < stale_before:
                gone.append(_run(row))
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
            return [_stack_run_record(row) for row in conn.execute(query).mappings()]

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
            return [_audit_entry(row) for row in conn.execute(query).mappings()]

    # ------------------------------------------------------------------ locks
    def acquire_lock(
        self,
        stack: str,
        *,
        holder: str,
        run_id: str,
        commit: str,
        ttl_s: float,
        purpose: LockPurpose = "deploy",
        pr: int | None = None,
    ) -> Lease | None:
        with self.transaction(write=True) as conn:
            now = self._lease_clock(conn)
            row = conn.execute(self._acquire_statement(
                stack, holder=holder, run_id=run_id, commit=commit, purpose=purpose, pr=pr, now=now,
                expires_at=now + timedelta(seconds=ttl_s),
            )).mappings().first()
        return None if row is None else _lease(row)

    def _acquire_statement(
        self, stack: str, *, holder: str, run_id: str, commit: str, purpose: LockPurpose, pr: int | None,
        now: datetime, expires_at: datetime,
    ) -> Any:
        locks = schema.locks
        insert = self._insert(locks).values(
            stack=stack,
            holder=holder,
            run_id=run_id,
            commit=commit,
            purpose=purpose,
            pr=pr,
            acquired_at=now,
            expires_at=expires_at,
        )
        proposed = insert.excluded
        same_run = locks.c.run_id == proposed.run_id
        return insert.on_conflict_do_update(
            index_elements=[locks.c.stack],
            set_={
                "holder": proposed.holder,
                "run_id": proposed.run_id,
                "commit": proposed.commit,
                "purpose": proposed.purpose,
                "pr": proposed.pr,
                # Re-acquiring our own lease keeps when we first got it.
                "acquired_at": sa.case((same_run, locks.c.acquired_at), else_=proposed.acquired_at),
                "expires_at": proposed.expires_at,
            },
            # The row is taken over only when its lease expired or it is already ours.
            where=sa.or_(locks.c.expires_at <= proposed.acquired_at, same_run),
        ).returning(*locks.c)

    def renew_lock(self, stack: str, run_id: str, ttl_s: float) -> bool:
        """Extend the lease while the row still names `run_id`: nobody else took it, even if it lapsed."""
        locks, runs = schema.locks, schema.runs
        with self.transaction(write=True) as conn:
            now = self._lease_clock(conn)
            renewed = conn.execute(
                sa.update(locks)
                .where(locks.c.stack == stack, locks.c.run_id == run_id)
                .values(expires_at=now + timedelta(seconds=ttl_s))
            ).rowcount
            if renewed:
                conn.execute(sa.update(runs).where(runs.c.id == run_id).values(heartbeat_at=utcnow()))
        return bool(renewed)

    def release_lock(self, stack: str, run_id: str) -> bool:
        locks = schema.locks
        with self.transaction(write=True) as conn:
            deleted = conn.execute(sa.delete(locks).where(locks.c.stack == stack, locks.c.run_id == run_id)).rowcount
        return bool(deleted)

    def force_release(self, stack: str) -> Lease | None:
        """Remove the lease on `stack` whoever holds it (expired or not); the removed lease."""
        locks = schema.locks
        with self.transaction(write=True) as conn:
            row = conn.execute(sa.delete(locks).where(locks.c.stack == stack).returning(*locks.c)).mappings().first()
        return None if row is None else _lease(row)

    def get_lock(self, stack: str) -> Lease | None:
        locks = schema.locks
        with self.transaction(write=False) as conn:
            query = sa.select(locks).where(locks.c.stack == stack, locks.c.expires_at > self._lease_clock(conn))
            row = conn.execute(query).mappings().first()
        return None if row is None else _lease(row)

    def locks(self, *, include_expired: bool = False) -> list[Lease]:
        locks = schema.locks
        query = sa.select(locks).order_by(locks.c.stack)
        with self.transaction(write=False) as conn:
            if not include_expired:
                query = query.where(locks.c.expires_at > self._lease_clock(conn))
            return [_lease(row) for row in conn.execute(query).mappings()]

    def release_pr_locks(self, pr: int) -> list[str]:
        locks = schema.locks
        statement = sa.delete(locks).where(locks.c.purpose == "pr", locks.c.pr == pr).returning(locks.c.stack)
        with self.transaction(write=True) as conn:
            return sorted(conn.execute(statement).scalars())

    def lease_clock(self) -> datetime:
        """The time leases are judged by (the database server's on PostgreSQL)."""
        with self.transaction(write=False) as conn:
            return self._lease_clock(conn)

    def _lease_clock(self, conn: Connection) -> datetime:
        if self.backend != "postgresql":
            return utcnow()
        # Every host sharing the server then agrees when a lease lapses, whatever their clocks say.
        server_now = conn.execute(sa.text("SELECT clock_timestamp() AT TIME ZONE 'UTC'")).scalar_one()
        assert isinstance(server_now, datetime)
        return server_now.replace(tzinfo=UTC)

    def _insert(self, table: sa.Table) -> Any:
        # ON CONFLICT lives in the dialects' own insert constructs.
        if self.backend == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)

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


# ---------------------------------------------------------------------- engines
def _sqlite_engine(parsed: sa.engine.URL, busy_timeout_s: float) -> Engine:
    in_memory = parsed.database in (None, "", ":memory:")
    if not in_memory:
        # SQLite cannot create directories; name the missing one instead of "unable to open".
        directory = Path(str(parsed.database)).parent
        if not directory.is_dir():
            raise UserError(
                f"the directory {directory} of the SQLite database {parsed.render_as_string()} does not exist",
                "create it, or point `database` in orchestrator.yaml / ORCHESTRATOR_DATABASE_URL elsewhere",
            )
    options: dict[str, Any] = {"connect_args": {"timeout": busy_timeout_s, "check_same_thread": False}}
    if in_memory:
        options["poolclass"] = sa.pool.StaticPool  # one connection, or every connection sees an empty database
    engine = sa.create_engine(parsed, **options)
    busy_ms = int(busy_timeout_s * 1000)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); the driver's implicit transactions would defer
        # the write lock to the first write and fail instead of waiting on contention.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # In WAL mode NORMAL never corrupts the file; only a power loss may drop the
        # last commits. It saves an fsync per transaction (lock acquisitions, audit rows).
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("orchestrator_write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


# ---------------------------------------------------------------------- rows → values
def _run(row: RowMapping) -> Run:
    return Run(
        id=row["id"],
        flow=cast(Flow, row["flow"]),
        commit=row["commit"],
        branch=row["branch"],
        actor=row["actor"],
        status=cast(RunStatus, row["status"]),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        pr=row["pr"],
        environments=tuple(row["environments"] or ()),
        details=dict(row["details"] or {}),
        holder_pid=row["holder_pid"],
        holder_host=row["holder_host"],
    )


def _stack_run_record(row: RowMapping) -> StackRunRecord:
    return StackRunRecord(
        run_id=row["run_id"],
        flow=cast(Flow, row["flow"]),
        stack=row["stack"],
        project=row["project"],
        environment=row["environment"],
        commit=row["commit"],
        operation=row["operation"],
        status=row["status"],
        counts=dict(row["counts"] or {}),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        error=row["error"],
        changes=list(row["changes"] or []),
    )


def _audit_entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        run_id=row["run_id"],
        environment=row["environment"],
        stack=row["stack"],
        commit=row["commit"],
        details=dict(row["details"] or {}),
    )


def _lease(row: RowMapping) -> Lease:
    return Lease(
        stack=row["stack"],
        holder=row["holder"],
        run_id=row["run_id"],
        commit=row["commit"],
        purpose=cast(LockPurpose, row["purpose"]),
        acquired_at=row["acquired_at"],
        expires_at=row["expires_at"],
        pr=row["pr"],
    )


# ---------------------------------------------------------------------- helpers
def _new_run_id(now: datetime) -> str:
    # Sortable by eye and short enough to type into `rollback --to`.
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"


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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    # A killed child its parent has not reaped yet is a zombie: gone for our purposes.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]
