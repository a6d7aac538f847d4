"""The stack locks as the dashboard shows them (every lease, expired ones too) and its one
write: releasing a lock, audited as `orchestrator locks release` is."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.store.api import Lease
from orchestrator.store.sql import SqlStore


@dataclass(frozen=True)
class LockView:
    lease: Lease
    expired: bool


def lock_views(store: SqlStore) -> dict[str, LockView]:
    """Every lease, expired ones too (a lapsed lease of a dead run is worth seeing), by stack."""
    now = store.lease_clock()
    return {lease.stack: LockView(lease, lease.expires_at <= now) for lease in store.locks(include_expired=True)}


@dataclass(frozen=True)
class Released:
    lease: Lease
    expired: bool


def release_lock(store: SqlStore, stack: str, *, actor: str) -> Released | None:
    """Remove the lease on `stack` whoever holds it and record it in the audit log, as
    `orchestrator locks release` does; None when there is no lease (or its holder just released it)."""
    now = store.lease_clock()
    released = store.force_release(stack)
    if released is None:
        return None
    expired = released.expires_at <= now
    store.audit(
        actor=actor,
        action="lock.released",
        run_id=released.run_id,
        stack=stack,
        commit=released.commit,
        details={"forced": True, "holder": released.holder, "purpose": released.purpose, "expired": expired,
                 "via": "dashboard"},
    )
    return Released(released, expired)
