"""Promotion gates of an environment: `requires` (the environments named run this commit, or a
newer one, first) and approvals (`protected`/`approvals`: reviews on the merged PR, or an
explicit promotion)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from orchestrator.chain import WAITING_FOR_UPSTREAM
from orchestrator.config.resolved import Environment
from orchestrator.engines.base import StackResult
from orchestrator.store.api import Store
from orchestrator.vcs.base import VcsError

# Reasons of stacks that did not run because they wait for someone (an approval, a flag), as
# opposed to stacks skipped because something failed: the first are `pending`, not errors.
WAITING_FOR_GATE = "waiting for the gate: "
DESTROY_PENDING = "destroy pending: "


def is_waiting(result: StackResult) -> bool:
    waiting = (WAITING_FOR_GATE, DESTROY_PENDING, WAITING_FOR_UPSTREAM)
    return result.status == "skipped" and (result.error or "").startswith(waiting)


@dataclass(frozen=True)
class GateResult:
    environment: str
    passed: bool
    reasons: tuple[str, ...]  # what passed, or what is missing

    def to_json(self) -> dict[str, object]:
        return {"environment": self.environment, "passed": self.passed, "reasons": list(self.reasons)}


BYPASSED = "bypassed by a break-glass rollback"


def bypassed(gate: GateResult, why: str) -> GateResult:
    """A gate that was not met, passed on purpose by a break-glass rollback: what it missed stays
    in the record."""
    return GateResult(gate.environment, True, (f"{BYPASSED} ({why})", *(f"not met: {r}" for r in gate.reasons)))


def required_approvals(env: Environment) -> int:
    # A protected environment always needs someone's approval, even with `approvals: 0`.
    return max(env.approvals, 1 if env.protected else 0)


def _stored(store: Store) -> Callable[[str, str], str | None]:
    """Without the backends to read: the run store's record of a successful run at that commit."""

    def reached(environment: str, commit: str) -> str | None:
        return None if store.environment_succeeded(environment, commit) else "no successful run of it there"

    return reached


def evaluate(
    env: Environment,
    commit: str,
    *,
    store: Store,
    earlier: Mapping[str, str],
    approvers: Callable[[], list[str] | None],
    reached: Callable[[str, str], str | None] | None = None,
) -> GateResult:
    """`earlier` maps environments run earlier in this run to their status; `approvers` lists the
    merged PR's approving reviewers, or None when there is no PR to ask (a VcsError it raises is
    reported in the gate's reason); `reached(environment, commit)` tells, for an environment
    outside this run, why it is not at `commit` (or a newer commit) yet, None when it is: read
    from its stacks' backends, not from a shared database."""
    passed: list[str] = []
    missing: list[str] = []
    for required in env.requires:
        status = earlier.get(required)
        if status == "succeeded":
            passed.append(f"{required} is at {commit[:12]}")
            continue
        why = f"it {status} in this run" if status is not None else (reached or _stored(store))(required, commit)
        if why is None:
            passed.append(f"{required} is at {commit[:12]} or newer")
        else:
            missing.append(f"requires {required}: {commit[:12]} has not reached it yet ({why})")
    needed = required_approvals(env)
    if needed:
        promotion = store.promotion(env.name, commit)
        if promotion is not None:
            passed.append(f"promoted by {promotion.actor}")
        else:
            try:
                found, unreadable = approvers(), None
            except VcsError as exc:  # e.g. GitLab without the approvals API: say so, never "no PR"
                found, unreadable = None, exc.message
            if found is not None and len(found) >= needed:
                passed.append(f"approved by {', '.join(sorted(found))}")
            else:
                have = (
                    f"approvals could not be read: {unreadable}"
                    if unreadable
                    else "no pull request found for this commit" if found is None else f"{len(found)} found"
                )
                missing.append(
                    f"needs {needed} approving review(s) on the merged pull request ({have}), or "
                    f"`orchestrator promote --env {env.name} --commit {commit[:12]}` by a trusted user"
                )
    return GateResult(env.name, not missing, tuple(missing or passed))
