"""Which alerts were sent: one row per event key, so an event is announced once across retries,
re-runs and servers sharing the database (the insert that wins the key sends)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from orchestrator.store.schema import UtcDateTime, metadata

alerts_sent = sa.Table(
    "alerts_sent",
    metadata,
    sa.Column("key", sa.String(1024), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("environment", sa.String(255), nullable=False),
    sa.Column("run_id", sa.String(64)),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("outcome", sa.String(255)),  # sent, or why not (never the URL)
)


class _Transactional(Protocol):
    def transaction(self, *, write: bool) -> AbstractContextManager[Connection]: ...

    def ensure_schema(self) -> None: ...


class AlertLog:
    def __init__(self, store: _Transactional) -> None:
        self._store = store
        store.ensure_schema()

    def claim(self, key: str, *, kind: str, environment: str, run_id: str | None) -> bool:
        """True for the one caller that records `key` first: it sends the alert."""
        row = {"key": key, "kind": kind, "environment": environment, "run_id": run_id, "at": datetime.now(UTC)}
        with self._store.transaction(write=True) as conn:
            statement: Any
            if conn.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                statement = pg_insert(alerts_sent).values(**row).on_conflict_do_nothing(index_elements=["key"])
            else:
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                statement = sqlite_insert(alerts_sent).values(**row).on_conflict_do_nothing(index_elements=["key"])
            return bool(conn.execute(statement).rowcount)

    def record(self, key: str, outcome: str) -> None:
        with self._store.transaction(write=True) as conn:
            conn.execute(sa.update(alerts_sent).where(alerts_sent.c.key == key).values(outcome=outcome[:255]))

    def outcomes(self) -> dict[str, str | None]:
        with self._store.transaction(write=False) as conn:
            return {row.key: row.outcome for row in conn.execute(sa.select(alerts_sent.c.key, alerts_sent.c.outcome))}
