"""What a finished deploy run has to tell people. Pure: the run's facts in, alerts out.

Each alert has a key naming the event itself, not the run that saw it: a retried deploy that
fails the same stacks at the same commit, or a gate that keeps a commit waiting across re-runs,
is announced once (send.py claims the key in the database).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

MAX_DETAIL_LINES = 10


@dataclass(frozen=True)
class Alert:
    kind: str  # deploy_failed | stack_locked | gate_waiting | rollback
    environment: str
    key: str
    summary: str
    run_id: str
    commit: str
    stacks: tuple[str, ...]
    details: tuple[str, ...] = ()  # one line each: errors, gate reasons, lock holders


@dataclass(frozen=True)
class StackOutcome:
    stack: str  # <project>/<env>
    status: str  # succeeded | failed | locked | skipped
    error: str | None = None

    @property
    def environment(self) -> str:
        return self.stack.rpartition("/")[2]


@dataclass(frozen=True)
class GateOutcome:
    environment: str
    passed: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunFacts:
    run_id: str
    flow: str  # deploy | promote | rollback
    commit: str
    environments: tuple[str, ...]
    stacks: tuple[StackOutcome, ...]
    gates: tuple[GateOutcome, ...] = ()


@dataclass(frozen=True)
class HeldLock:
    """A stack's lease as the run store holds it (store/api.py Lease)."""

    stack: str
    holder: str
    run_id: str
    acquired_at: datetime
    commit: str = ""

    @property
    def environment(self) -> str:
        return self.stack.rpartition("/")[2]


def run_alerts(facts: RunFacts) -> list[Alert]:
    """Failed stacks, closed gates and the rollback itself, per environment of the run."""
    found: list[Alert] = []
    short = facts.commit[:12]
    for env in facts.environments:
        mine = [s for s in facts.stacks if s.environment == env]
        failed = sorted(s.stack for s in mine if s.status in ("failed", "locked"))
        if failed:
            found.append(Alert(
                kind="deploy_failed", environment=env, key=f"deploy_failed:{env}:{facts.commit}:{','.join(failed)}",
                summary=f"{facts.flow} of {short} failed in {env}: {len(failed)} of {len(mine)} stack(s)",
                run_id=facts.run_id, commit=facts.commit, stacks=tuple(failed),
                details=_lines(f"{s.stack}: {s.status}{': ' + s.error if s.error else ''}"
                               for s in mine if s.stack in failed)))
        for gate in facts.gates:
            if gate.environment == env and not gate.passed:
                found.append(Alert(
                    kind="gate_waiting", environment=env, key=f"gate_waiting:{env}:{facts.commit}",
                    summary=f"{short} is waiting for a gate before it can reach {env}",
                    run_id=facts.run_id, commit=facts.commit, stacks=tuple(sorted(s.stack for s in mine)),
                    details=_lines(gate.reasons)))
        if facts.flow == "rollback" and mine:
            ok = all(s.status == "succeeded" for s in mine if s.status != "skipped")
            found.append(Alert(
                kind="rollback", environment=env, key=f"rollback:{env}:{facts.run_id}",
                summary=f"{env} was rolled back to {short}" + ("" if ok else " (not every stack succeeded)"),
                run_id=facts.run_id, commit=facts.commit, stacks=tuple(sorted(s.stack for s in mine)),
                details=_lines(f"{s.stack}: {s.status}" for s in mine)))
    return found


def lock_alerts(locks: Sequence[HeldLock], *, now: datetime, thresholds: Mapping[str, float]) -> list[Alert]:
    """Stacks held longer than their environment's threshold (seconds), once per lease.

    The key names the lease (stack, holding run, when it was taken), not the check that saw it:
    the end of a run, the server's lock watch and a scheduled drift run all claim the same key,
    and a later lease of the same stack is a new event.
    """
    found = []
    for lock in locks:
        threshold = thresholds.get(lock.environment)
        held = (now - lock.acquired_at).total_seconds()
        if threshold is None or held < threshold:
            continue
        since = lock.acquired_at.astimezone(UTC)
        found.append(Alert(
            kind="stack_locked", environment=lock.environment,
            key=f"stack_locked:{lock.stack}:{lock.run_id}:{since.isoformat()}",
            summary=f"{lock.stack} has been locked for {held_for(held)}",
            run_id=lock.run_id, commit=lock.commit, stacks=(lock.stack,),
            details=(f"held by {lock.holder}", f"since {since:%Y-%m-%d %H:%M} UTC")))
    return found


def held_for(seconds: float) -> str:
    """`45 min`, `3 h 05 min`: how long a lock has been held, as people read it."""
    minutes = int(seconds // 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _lines(lines: Iterable[str]) -> tuple[str, ...]:
    items = list(lines)
    kept = tuple(str(line) for line in items[:MAX_DETAIL_LINES])
    return kept + ((f"...and {len(items) - MAX_DETAIL_LINES} more",) if len(items) > MAX_DETAIL_LINES else ())
