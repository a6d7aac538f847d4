"""The store's database: a SQLAlchemy engine on SQLite (default, one file shared by processes) or
PostgreSQL (shared use), and what every part of the store shares on it.

- SQLite runs in WAL mode with a busy timeout; every write transaction starts with
  `BEGIN IMMEDIATE`, so writers queue for the file's write lock instead of failing
  when a read transaction tries to upgrade.
- Times that several hosts must agree on (leases) come from the database's clock on
  PostgreSQL and from this machine's clock on SQLite (one machine).
- ON CONFLICT lives in the dialects' own insert constructs: `insert` picks the right one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from orchestrator.errors import UserError
from orchestrator.store import schema
from orchestrator.store.urls import mask_password, with_driver

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
# Serializes create_all across processes on PostgreSQL (an arbitrary, fixed key).
_PG_SCHEMA_LOCK_KEY = 7_305_911_201


def utcnow() -> datetime:
    return datetime.now(UTC)


class Transactional(Protocol):
    """What the parts of the store that keep tables of their own (drift memory, job queue,
    insights) need from the database they share with the run store."""

    @property
    def backend(self) -> str: ...

    def transaction(self, *, write: bool) -> AbstractContextManager[Connection]: ...

    def ensure_schema(self) -> None: ...

    def insert(self, table: sa.Table) -> Any: ...

    def now(self, conn: Connection) -> datetime: ...


class Database:
    """A database URL opened: transactions, the schema of `schema.metadata`, clear errors.

    `busy_timeout_s`: how long a SQLite writer waits for the file's write lock before failing.
    """

    def __init__(self, url: str, *, busy_timeout_s: float = 30.0) -> None:
        self.url = with_driver(url)
        self.display_url = mask_password(url)  # as the user wrote it, minus the password
        self._engine = self._create_engine(busy_timeout_s)
        self.ensure_schema()

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
            parsed.port  # noqa: B018 (SQLAlchemy reads the port lazily: `h:port` fails here)
        except (sa.exc.ArgumentError, ValueError) as exc:
            raise _invalid_url(self.display_url, exc) from None
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
        except sa.exc.NoSuchModuleError as exc:
            raise UserError(
                f"no database driver for {self.display_url}: {exc}",
                "install psycopg 3 (pip install 'psycopg[binary]') or use a plain postgresql:// URL",
            ) from None
        except (sa.exc.ArgumentError, ValueError) as exc:  # e.g. a user and password in a SQLite URL
            raise _invalid_url(self.display_url, exc) from None
        except ModuleNotFoundError as exc:
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

    def now(self, conn: Connection) -> datetime:
        """The time leases are judged by: the database server's clock on PostgreSQL, so every
        host sharing the server agrees when a lease lapses, whatever their clocks say."""
        if self.backend != "postgresql":
            return utcnow()
        server_now = conn.execute(sa.text("SELECT clock_timestamp() AT TIME ZONE 'UTC'")).scalar_one()
        assert isinstance(server_now, datetime)
        return server_now.replace(tzinfo=UTC)

    def insert(self, table: sa.Table) -> Any:
        """An INSERT construct of this database's dialect (they hold ON CONFLICT)."""
        if self.backend == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)


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


def _invalid_url(display_url: str, exc: Exception) -> UserError:
    # A value with no `scheme://` is no URL at all; it may be a password pasted into the wrong
    # variable, so it is not echoed. A URL is shown with its password masked.
    shown = display_url if "://" in display_url else "(not shown: it has no scheme://)"
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return UserError(
        f"invalid database URL {shown}: {reason}",
        "use a SQLAlchemy URL such as sqlite:////abs/path/orchestrator.db or "
        "postgresql://USER@HOST:5432/DBNAME (the password after USER:, percent-encoded or not)",
    )
