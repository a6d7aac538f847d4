"""Lock leases: one row per stack, taken over only when it expired or is already ours.

`acquire_lock` is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE <expired or ours>
RETURNING` statement: the database decides the winner atomically on both SQLite and
PostgreSQL, with no read-then-write race. Lease times come from `Database.now`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from orchestrator.store import schema
from orchestrator.store.api import Lease, LockPurpose
from orchestrator.store.database import Database, utcnow
from orchestrator.store.rows import lease_from_row


class SqlLeases(Database):
    """The lock half of the `Store` protocol."""

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
            now = self.now(conn)
            row = conn.execute(self._acquire_statement(
                stack, holder=holder, run_id=run_id, commit=commit, purpose=purpose, pr=pr, now=now,
                expires_at=now + timedelta(seconds=ttl_s),
            )).mappings().first()
        return None if row is None else lease_from_row(row)

    def _acquire_statement(
        self, stack: str, *, holder: str, run_id: str, commit: str, purpose: LockPurpose, pr: int | None,
        now: datetime, expires_at: datetime,
    ) -> Any:
        locks = schema.locks
        insert = self.insert(locks).values(
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
            now = self.now(conn)
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
        return None if row is None else lease_from_row(row)

    def get_lock(self, stack: str) -> Lease | None:
        locks = schema.locks
        with self.transaction(write=False) as conn:
            query = sa.select(locks).where(locks.c.stack == stack, locks.c.expires_at > self.now(conn))
            row = conn.execute(query).mappings().first()
        return None if row is None else lease_from_row(row)

    def locks(self, *, include_expired: bool = False) -> list[Lease]:
        locks = schema.locks
        query = sa.select(locks).order_by(locks.c.stack)
        with self.transaction(write=False) as conn:
            if not include_expired:
                query = query.where(locks.c.expires_at > self.now(conn))
            return [lease_from_row(row) for row in conn.execute(query).mappings()]

    def release_pr_locks(self, pr: int) -> list[str]:
        locks = schema.locks
        statement = sa.delete(locks).where(locks.c.purpose == "pr", locks.c.pr == pr).returning(locks.c.stack)
        with self.transaction(write=True) as conn:
            return sorted(conn.execute(statement).scalars())

    def lease_clock(self) -> datetime:
        """The time leases are judged by (the database server's on PostgreSQL)."""
        with self.transaction(write=False) as conn:
            return self.now(conn)
