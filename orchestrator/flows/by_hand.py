"""What a person does to the run store by hand, as use cases the CLI only calls: accept a drift
finding for a while (`drift ack`), release a stuck lock (`locks release`). Each checks its input,
changes the store and writes the audit entry, so no command module holds that logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from orchestrator.errors import UserError

if TYPE_CHECKING:
    from orchestrator.drift.model import Finding
    from orchestrator.store.api import Lease
    from orchestrator.store.sql import SqlStore


@dataclass(frozen=True)
class AckRequest:
    finding: str  # its key, or a unique URN, resource id or name
    reason: str
    actor: str
    at: datetime
    until: datetime | None = None  # None: until the finding is resolved


def acknowledge_finding(store: SqlStore, request: AckRequest) -> Finding:
    """The finding `request` names, acknowledged (not reported as new while it lasts) and audited."""
    from orchestrator.store.drift import DriftStore

    if not request.reason.strip():
        raise UserError("--reason is empty", "say why this drift is accepted")
    drift_store = DriftStore(store)
    matches = drift_store.find(request.finding)
    if not matches:
        raise UserError(
            f"no drift finding {request.finding!r} is known",
            "use a key from the last drift report (JSON `key`) or the tracking issue's list of keys; "
            "run `orchestrator drift` first",
        )
    if len(matches) > 1:
        keys = "\n  ".join(f.key for f in matches[:10])
        raise UserError(f"{request.finding!r} names {len(matches)} findings:\n  {keys}", "pass the full key")
    target = matches[0]
    drift_store.acknowledge(target.key, actor=request.actor, reason=request.reason, at=request.at,
                            until=request.until)
    store.audit(actor=request.actor, action="drift.acknowledged", environment=target.environment,
                stack=target.stack, details={"key": target.key, "reason": request.reason,
                                             "until": None if request.until is None else request.until.isoformat()})
    return target


@dataclass(frozen=True)
class HeldLock:
    lease: Lease
    expired: bool


def held_lock(store: SqlStore, stack: str) -> HeldLock:
    """The lock on `stack` (`<project>/<env>`), expired or not, for the person to confirm."""
    lease = next((lease for lease in store.locks(include_expired=True) if lease.stack == stack), None)
    if lease is None:
        raise UserError(f"no lock on stack {stack!r}", "see the locks with `orchestrator locks list`")
    return HeldLock(lease, expired=lease.expires_at <= store.lease_clock())


def force_release_lock(store: SqlStore, held: HeldLock, actor: str) -> Lease | None:
    """Remove the lock whoever holds it, and audit it; None when its holder released it meanwhile."""
    released = store.force_release(held.lease.stack)
    if released is not None:
        store.audit(
            actor=actor,
            action="lock.released",
            run_id=released.run_id,
            stack=held.lease.stack,
            commit=released.commit,
            details={"forced": True, "holder": released.holder, "purpose": released.purpose,
                     "expired": held.expired},
        )
    return released
