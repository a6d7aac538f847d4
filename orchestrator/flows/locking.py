"""Stack leases held while a stack runs: acquired with a bounded wait, renewed in the
background, released at the end. A lease whose run's process is gone from this host (a CI
job killed with SIGKILL) is taken over at once, audited; on another host it expires."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from orchestrator.fsutil import pid_alive
from orchestrator.store.api import Lease, LockPurpose, Store

POLL_S = 0.5


@dataclass(frozen=True)
class LockPolicy:
    ttl_s: float = 600.0  # a crashed run blocks others for at most this long
    wait_s: float = 300.0  # how long a second run waits for the holder before reporting `locked`


class StackLocked(Exception):
    """A stack's lease in the run store is held by another run (the local engine's own lock
    file is engines.local.locks.LocalStateLocked)."""

    def __init__(self, stack: str, holder: Lease | None) -> None:
        self.stack = stack
        self.holder = holder
        super().__init__(describe_holder(stack, holder))


def describe_holder(stack: str, lease: Lease | None) -> str:
    if lease is None:
        return f"{stack} is locked"
    pr = f" for PR #{lease.pr}" if lease.pr is not None else ""
    return (
        f"{stack} is locked by {lease.holder}{pr} (run {lease.run_id}, commit {lease.commit[:12]}, "
        f"since {lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC, expires {lease.expires_at:%H:%M:%S} UTC); "
        f"wait for it, or release it with `orchestrator locks release {stack}`"
    )


def holder_name(flow: str, run_id: str, actor: str) -> str:
    return f"{flow} run {run_id} by {actor} on {socket.gethostname()} pid {os.getpid()}"


@dataclass
class HeldLease:
    """A lease while its stack runs. `lost` turns true when a renewal fails (the lease expired
    during a long pause, or a person released it): the run goes on, but is no longer exclusive."""

    lease: Lease
    lost: bool = False


@contextmanager
def stack_lease(
    store: Store,
    stack: str,
    *,
    holder: str,
    run_id: str,
    commit: str,
    policy: LockPolicy,
    purpose: LockPurpose = "deploy",
    pr: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    actor: str = "orchestrator",
) -> Iterator[HeldLease]:
    lease = _acquire(
        store, stack, holder=holder, run_id=run_id, commit=commit, policy=policy, purpose=purpose, pr=pr, sleep=sleep,
        actor=actor,
    )
    held = HeldLease(lease)
    stop = threading.Event()
    renewer = threading.Thread(target=_renew, args=(store, stack, run_id, policy, stop, held), daemon=True)
    renewer.start()
    try:
        yield held
    finally:
        stop.set()
        renewer.join(timeout=5)
        store.release_lock(stack, run_id)


def _acquire(
    store: Store,
    stack: str,
    *,
    holder: str,
    run_id: str,
    commit: str,
    policy: LockPolicy,
    purpose: LockPurpose,
    pr: int | None,
    sleep: Callable[[float], None],
    actor: str,
) -> Lease:
    deadline = time.monotonic() + policy.wait_s
    while True:
        lease = store.acquire_lock(
            stack, holder=holder, run_id=run_id, commit=commit, ttl_s=policy.ttl_s, purpose=purpose, pr=pr
        )
        if lease is not None:
            return lease
        if take_over_dead(store, stack, run_id=run_id, commit=commit, actor=actor):
            continue
        if time.monotonic() >= deadline:
            raise StackLocked(stack, store.get_lock(stack))
        sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))


def take_over_dead(store: Store, stack: str, *, run_id: str, commit: str, actor: str) -> bool:
    """Free the lease on `stack` when the run holding it was started on this host by a process
    that no longer exists; audited as `lock.taken_over`. True when it was freed."""
    held = store.get_lock(stack)
    if held is None or held.run_id == run_id:
        return False
    owner = store.get_run(held.run_id)
    if owner is None or owner.holder_host != socket.gethostname() or owner.holder_pid is None:
        return False  # another host's process cannot be looked at: its lease expires instead
    if pid_alive(owner.holder_pid) or not store.release_lock(stack, held.run_id):
        return False
    store.audit(
        actor=actor,
        action="lock.taken_over",
        run_id=run_id,
        stack=stack,
        commit=commit,
        details={"from_run": held.run_id, "holder": held.holder,
                 "reason": f"its process (pid {owner.holder_pid} on {owner.holder_host}) is gone"},
    )
    return True


def _renew(
    store: Store, stack: str, run_id: str, policy: LockPolicy, stop: threading.Event, held: HeldLease
) -> None:
    # Renew well before expiry so a slow stack keeps its lease; stop when the run ends.
    while not stop.wait(policy.ttl_s / 3):
        if not store.renew_lock(stack, run_id, policy.ttl_s):
            held.lost = True
            return
