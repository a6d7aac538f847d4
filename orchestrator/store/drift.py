"""Drift memory in the store: findings with their states, acknowledgements, last run per environment.

Tables of their own, added to the store's `metadata` (created by `ensure_schema`, which
never alters existing tables). Queries go through `SqlStore.transaction`, which brings
SQLite's write locking and the store's clear connection errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from orchestrator.drift.findings import ACTIVE_STATES, Acknowledgement
from orchestrator.drift.model import Finding
from orchestrator.engines.base import PropertyDiff
from orchestrator.store import schema
from orchestrator.store.database import Transactional
from orchestrator.store.schema import UtcDateTime, metadata

drift_findings = sa.Table(
    "drift_findings",
    metadata,
    sa.Column("key", sa.String(1024), primary_key=True),
    sa.Column("environment", sa.String(255), nullable=False),
    sa.Column("stack", sa.String(255)),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("first_seen", UtcDateTime(), nullable=False),
    sa.Column("last_seen", UtcDateTime(), nullable=False),
    sa.Column("run_id", sa.String(64)),
    sa.Column("data", schema._json(), nullable=False),  # Finding.to_json()
    sa.Index("ix_drift_findings_env_state", "environment", "state"),
)

drift_acknowledgements = sa.Table(
    "drift_acknowledgements",
    metadata,
    sa.Column("key", sa.String(1024), primary_key=True),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("until", UtcDateTime()),
)

drift_environment_runs = sa.Table(
    "drift_environment_runs",
    metadata,
    sa.Column("environment", sa.String(255), primary_key=True),
    sa.Column("last_run_at", UtcDateTime(), nullable=False),
    sa.Column("run_id", sa.String(64)),
)


class DriftStore:
    """Drift findings, acknowledgements and per-environment run times, in the run store's database."""

    def __init__(self, store: Transactional) -> None:
        self._store = store
        store.ensure_schema()  # our tables are in `metadata` now that this module is imported

    # ------------------------------------------------------------------ findings
    def findings(self, *, environments: Iterable[str] | None = None, active_only: bool = False) -> dict[str, Finding]:
        """Stored findings by key (their last known state)."""
        query = sa.select(drift_findings.c.data, drift_findings.c.state)
        if environments is not None:
            query = query.where(drift_findings.c.environment.in_(list(environments)))
        if active_only:
            query = query.where(drift_findings.c.state.in_(ACTIVE_STATES))
        with self._store.transaction(write=False) as conn:
            rows = conn.execute(query).all()
        found = (finding_from_json(row.data) for row in rows)
        return {f.key: f for f in found}

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction; drift writers take turns on PostgreSQL as they do on SQLite.

        The writes look a row up, then insert or update it: two runs (the server's schedule
        and a CLI run) inserting the same new key at once would otherwise fail on the primary key.
        """
        with self._store.transaction(write=True) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('orchestrator:drift'))"))
            yield conn

    def save_findings(self, findings: Iterable[Finding], *, run_id: str | None) -> None:
        """Insert or replace each finding's row (state, times, details)."""
        table = drift_findings
        with self._writing() as conn:
            for finding in findings:
                values = _finding_row(finding, run_id)
                exists = conn.execute(sa.select(table.c.key).where(table.c.key == finding.key)).first()
                if exists is None:
                    conn.execute(sa.insert(table).values(**values))
                else:
                    conn.execute(sa.update(table).where(table.c.key == finding.key).values(**values))

    def find(self, text: str) -> list[Finding]:
        """Stored findings that `text` names: the exact key, else a unique URN, resource id or name."""
        every = self.findings()
        if text in every:
            return [every[text]]
        return sorted(
            (f for f in every.values() if text in (f.urn, f.resource_id, f.name) or f.key.endswith(":" + text)),
            key=lambda f: f.key,
        )

    # ------------------------------------------------------------------ acknowledgements
    def acknowledge(
        self, key: str, *, actor: str, reason: str, at: datetime, until: datetime | None
    ) -> Acknowledgement:
        """Record (or replace) the acknowledgement of `key`; an active finding's state becomes acknowledged."""
        ack = Acknowledgement(key=key, actor=actor, reason=reason, at=at, until=until)
        table = drift_acknowledgements
        values = {"actor": actor, "reason": reason, "at": at, "until": until}
        with self._writing() as conn:
            if conn.execute(sa.select(table.c.key).where(table.c.key == key)).first() is None:
                conn.execute(sa.insert(table).values(key=key, **values))
            else:
                conn.execute(sa.update(table).where(table.c.key == key).values(**values))
            row = conn.execute(
                sa.select(drift_findings.c.data, drift_findings.c.state).where(drift_findings.c.key == key)
            ).first()
            if row is not None and row.state in ("new", "ongoing"):
                data = dict(row.data)
                data["state"] = "acknowledged"
                data["acknowledged"] = {
                    "by": actor, "reason": reason, "until": None if until is None else until.isoformat()
                }
                conn.execute(
                    sa.update(drift_findings)
                    .where(drift_findings.c.key == key)
                    .values(state="acknowledged", data=data)
                )
        return ack

    def acknowledgements(self) -> dict[str, Acknowledgement]:
        table = drift_acknowledgements
        with self._store.transaction(write=False) as conn:
            rows = conn.execute(sa.select(table)).all()
        return {
            row.key: Acknowledgement(key=row.key, actor=row.actor, reason=row.reason, at=row.at, until=row.until)
            for row in rows
        }

    # ------------------------------------------------------------------ schedule
    def last_runs(self) -> dict[str, datetime]:
        """Environment → when its last drift check ran (for `--due`)."""
        table = drift_environment_runs
        with self._store.transaction(write=False) as conn:
            rows = conn.execute(sa.select(table.c.environment, table.c.last_run_at)).all()
        return {row.environment: row.last_run_at for row in rows}

    def record_run(self, environments: Iterable[str], *, at: datetime, run_id: str | None) -> None:
        table = drift_environment_runs
        with self._writing() as conn:
            for env in environments:
                if conn.execute(sa.select(table.c.environment).where(table.c.environment == env)).first() is None:
                    conn.execute(sa.insert(table).values(environment=env, last_run_at=at, run_id=run_id))
                else:
                    conn.execute(
                        sa.update(table).where(table.c.environment == env).values(last_run_at=at, run_id=run_id)
                    )


def _finding_row(finding: Finding, run_id: str | None) -> dict[str, Any]:
    assert finding.first_seen is not None and finding.last_seen is not None, "states are assigned before saving"
    return {
        "key": finding.key,
        "environment": finding.environment,
        "stack": finding.stack,
        "kind": finding.kind,
        "state": finding.state,
        "first_seen": finding.first_seen,
        "last_seen": finding.last_seen,
        "run_id": run_id,
        "data": finding.to_json(),
    }


def finding_from_json(data: dict[str, Any]) -> Finding:
    """The inverse of `Finding.to_json`."""
    ack = data.get("acknowledged") or {}
    return Finding(
        key=data["key"],
        environment=data["environment"],
        kind=data["kind"],
        type=data["type"],
        name=data["name"],
        stack=data.get("stack"),
        urn=data.get("urn"),
        resource_id=data.get("resource_id"),
        diffs=tuple(PropertyDiff(d["path"], d["kind"], d.get("old"), d.get("new")) for d in data.get("diffs") or ()),
        message=data.get("message"),
        state=data.get("state", "new"),
        first_seen=_time(data.get("first_seen")),
        last_seen=_time(data.get("last_seen")),
        acknowledged_by=ack.get("by"),
        acknowledged_reason=ack.get("reason"),
        acknowledged_until=_time(ack.get("until")),
    )


def _time(text: str | None) -> datetime | None:
    return None if not text else datetime.fromisoformat(text)
