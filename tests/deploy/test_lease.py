"""Stack leases: acquired, renewed while the stack runs, and a lost lease noticed."""

from __future__ import annotations

import time
from pathlib import Path

from orchestrator.flows.locking import LockPolicy, stack_lease
from orchestrator.store.sql import SqlStore


def test_a_lease_released_by_someone_else_mid_run_is_reported_lost(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'store.db'}")
    policy = LockPolicy(ttl_s=0.6, wait_s=0.0)
    with stack_lease(store, "data/qa", holder="test", run_id="run-1", commit="a" * 40, policy=policy) as held:
        assert store.get_lock("data/qa") is not None
        store.force_release("data/qa")  # a person ran `orchestrator locks release data/qa`
        time.sleep(0.5)  # the renewer runs every ttl/3
    assert held.lost
    assert store.get_lock("data/qa") is None


def test_a_slow_stack_keeps_its_lease(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'store.db'}")
    policy = LockPolicy(ttl_s=0.6, wait_s=0.0)
    with stack_lease(store, "data/qa", holder="test", run_id="run-1", commit="a" * 40, policy=policy) as held:
        time.sleep(1.2)  # twice the lease: renewals keep it
        lease = store.get_lock("data/qa")
        assert lease is not None and lease.run_id == "run-1"
    assert not held.lost
    assert store.get_lock("data/qa") is None
