"""Use case: put drifted stacks of unprotected environments back as they were deployed.

Part of a drift run (`drift.remediate: true`, or `orchestrator drift --remediate`): each
drifted stack is refreshed, then updated to the commit it runs now, through the deploy flow
(locks, gates, audit, report). Protected environments are never remediated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from orchestrator.config.load import load_repository
from orchestrator.drift.findings import Scope
from orchestrator.drift.model import Finding
from orchestrator.engines.base import Engine, StackResult
from orchestrator.flows.deploy import DeployRequest, run_deploy
from orchestrator.flows.drift_run import DriftRun
from orchestrator.git import GitRepo
from orchestrator.models import StackSpec
from orchestrator.planner import plan_all

RemediationStatus = Literal["succeeded", "failed", "blocked", "refused"]


@dataclass(frozen=True)
class Remediation:
    environment: str
    stacks: tuple[str, ...]
    status: RemediationStatus
    reason: str | None = None
    run_id: str | None = None
    commit: str | None = None
    results: Mapping[str, StackResult] = field(default_factory=dict)
    report_path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "stacks": list(self.stacks),
            "status": self.status,
            "reason": self.reason,
            "run_id": self.run_id,
            "commit": self.commit,
            "results": [r.to_json() for r in self.results.values()],
            "report": None if self.report_path is None else str(self.report_path),
        }


class RefreshThenUpdate:
    """An update that first takes the live cloud into the recorded state (`pulumi up --refresh`).

    Without the refresh an update compares the code with the recorded state, which still
    says what the code says, and changes nothing: out-of-band edits stay. Engines offer it
    through an optional `refresh(spec) -> StackResult` method.
    """

    def __init__(self, inner: Engine) -> None:
        self._inner = inner

    def preview(self, stack: StackSpec) -> StackResult:
        return self._inner.preview(stack)

    def update(self, stack: StackSpec) -> StackResult:
        refresh = getattr(self._inner, "refresh", None)
        if refresh is None:
            return StackResult(
                stack=stack.id, operation="update", status="failed",
                error=f"the {stack.engine} engine cannot refresh a stack, so an update would not see the "
                      "out-of-band changes; remediate with the pulumi engine or by hand",
            )
        refreshed: StackResult = refresh(stack)
        if not refreshed.ok:
            return replace(refreshed, operation="update",
                           error=f"refresh before the update failed: {refreshed.error or refreshed.status}")
        return self._inner.update(stack)

    def destroy(self, stack: StackSpec, *, preview_only: bool) -> StackResult:
        return self._inner.destroy(stack, preview_only=preview_only)

    def drift(self, stack: StackSpec) -> StackResult:
        return self._inner.drift(stack)

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        return self._inner.outputs(stack)


def remediate(run: DriftRun, states: Sequence[Finding], scope: Scope) -> tuple[Remediation, ...]:
    """Remediate the drifted stacks of each environment that asks for it (or all, with
    `--remediate`), refusing protected ones; only stacks this run compared completely."""
    config, store = run.config, run.store
    out: list[Remediation] = []
    for env_name in sorted({f.environment for f in states}, key=lambda n: (config.environment(n).order, n)):
        env = config.environment(env_name)
        if not (run.request.remediate or env.drift.remediate):
            continue
        stacks = sorted({
            f.stack for f in states
            if f.environment == env_name and f.stack and f.kind in ("drifted", "deleted")
            and f.state in ("new", "ongoing") and f.stack in scope.compared_stacks
        })
        if not stacks:
            continue
        if env.protected:
            reason = (f"{env_name} is protected ({env.source}): drift is never remediated there; "
                      "deploy through the gates or fix it by hand")
            store.audit(actor=run.actor, action="drift.remediation_refused", run_id=run.run_id,
                        environment=env_name, details={"stacks": stacks, "reason": reason})
            out.append(Remediation(env_name, tuple(stacks), "refused", reason))
            continue
        out.extend(_remediate_environment(run, env_name, stacks))
    return tuple(out)


def _remediate_environment(run: DriftRun, env: str, stacks: Sequence[str]) -> list[Remediation]:
    """Update the drifted stacks to the commit each runs now (from the store; else HEAD),
    so remediation restores what was deployed, never code that was not."""
    request, store = run.request, run.store
    current = store.current_commits()
    by_commit: dict[str, list[str]] = {}
    for stack in stacks:
        by_commit.setdefault(current.get(stack, run.commit), []).append(stack)
    git = GitRepo(request.repo)
    out = []
    for commit, group in by_commit.items():
        at_commit = load_repository(git.root, git.tree(commit))
        projects = [s.split("/", 1)[0] for s in group]
        plan = plan_all(at_commit, [env], operation="update", head=commit, projects=projects,
                        reason=f"remediate drift found by drift run {run.run_id}")
        deploy = DeployRequest(repo=request.repo, after=commit, actor=request.actor, environments=(env,),
                               concurrency=request.concurrency, flow="remediate")
        store.audit(actor=request.actor, action="drift.remediation_started", run_id=run.run_id, environment=env,
                    commit=commit, details={"stacks": group})
        outcome = run_deploy(deploy, store, run.vcs, plan=plan, config=at_commit,
                             engine_factory=lambda name: RefreshThenUpdate(run.engine_factory(name)),
                             on_event=run.on_event)
        failed = outcome.failed
        blocked = [g for g in outcome.gates if not g.passed]
        status: RemediationStatus = "failed" if failed else ("blocked" if blocked else "succeeded")
        reason = (
            "; ".join(f"{sid}: {outcome.results[sid].error}" for sid in failed) if failed
            else "; ".join(r for g in blocked for r in g.reasons) or None
        )
        out.append(Remediation(env, tuple(group), status, reason, outcome.run_id, commit, dict(outcome.results),
                               outcome.report_path))
    return out
