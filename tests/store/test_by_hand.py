"""The use cases a person runs on the store by hand (flows/by_hand.py), on SQLite and PostgreSQL:
what `drift ack` and `locks release` do, without the CLI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestrator.errors import UserError
from orchestrator.flows.by_hand import AckRequest, acknowledge_finding, force_release_lock, held_lock
from orchestrator.store.sql import SqlStore

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_an_acknowledgement_needs_a_reason_and_a_known_finding(store: SqlStore) -> None:
    with pytest.raises(UserError, match="--reason is empty"):
        acknowledge_finding(store, AckRequest(finding="k", reason="  ", actor="alice", at=NOW))
    with pytest.raises(UserError, match="no drift finding 'nope' is known"):
        acknowledge_finding(store, AckRequest(finding="nope", reason="harmless", actor="alice", at=NOW))
    assert store.audit_log() == []


def test_a_stuck_lock_is_released_whoever_holds_it_and_audited(store: SqlStore) -> None:
    store.acquire_lock("app/dev", holder="deploy run r1 by bob", run_id="r1", commit="A", ttl_s=600)

    held = held_lock(store, "app/dev")
    assert (held.lease.holder, held.expired) == ("deploy run r1 by bob", False)
    released = force_release_lock(store, held, "alice")

    assert released is not None and released.run_id == "r1"
    assert store.locks(include_expired=True) == []
    [entry] = [e for e in store.audit_log() if e.action == "lock.released"]
    assert (entry.actor, entry.stack, entry.run_id, entry.commit) == ("alice", "app/dev", "r1", "A")
    assert entry.details == {"forced": True, "holder": "deploy run r1 by bob", "purpose": "deploy", "expired": False}
    # Released meanwhile (by its holder, or a second person): nothing to release, nothing audited.
    assert force_release_lock(store, held, "alice") is None
    with pytest.raises(UserError, match="no lock on stack 'app/dev'"):
        held_lock(store, "app/dev")
