"""One deploy run through its environments: gates, each stack under a lease, results recorded.

Environments run in promotion order. An environment with nothing left to deploy counts as at
the head for the gates of those after it; a `requires` gate on an environment outside this
run is read from that environment's stacks' backends (the run store is only a cache). Each
update carries its `UpdateOrigin`, so the engine records the commit it applies with the stack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

from orchestrator.config.resolved import RepoConfig
from orchestrator.converge import short
from orchestrator.engines.applied import AppliedCommit
from orchestrator.engines.base import Diagnostic, Engine, StackResult, redact_result
from orchestrator.errors import UserError
from orchestrator.execute import OnEvent, execute
from orchestrator.flows import gates
from orchestrator.flows.checkouts import Checkouts, default_concurrency, run_operation
from orchestrator.flows.locking import LockPolicy, StackLocked, holder_name, stack_lease
from orchestrator.git import GitRepo
from orchestrator.models import Plan, PlannedStack, StackSpec, UpdateOrigin
from orchestrator.redact import Redactor
from orchestrator.store.api import Flow, RunStatus, Store
from orchestrator.vcs.base import VcsClient

LEASE_LOST = (
    "the stack's lease could not be renewed during this run (it expired or was released), so another "
    "run may have started on it meanwhile; check `orchestrator history` and `orchestrator locks list`"
)
FORWARD_FLOWS = ("deploy", "promote", "reconcile")  # never take a stack back (rollback does, on purpose)
# An environment outside this run that a `requires` gate names: None when it is at the commit
# (or a newer one), else why not.
Reached = Callable[[str, str], str | None]
AppliedOf = Callable[[Engine, StackSpec], AppliedCommit | None]


@dataclass
class Deployment:
    flow: Flow
    actor: str
    store: Store
    vcs: VcsClient | None
    config: RepoConfig
    run_id: str
    pr: int | None
    engine_for: Callable[[str], Engine]
    git: GitRepo
    locks: LockPolicy = field(default_factory=LockPolicy)
    allow_destroy: bool = False
    concurrency: int | None = None
    on_event: OnEvent | None = None
    reached: Reached | None = None
    applied_of: AppliedOf | None = None  # what a stack runs (its backend, else the store): guards destroys
    unreadable: Mapping[str, str] = field(default_factory=dict)  # stack id -> why its backend could not be read
    bypass_gates: str | None = None  # a break-glass rollback: who and why; gates are judged, recorded, not obeyed

    def run_environments(
        self, plan: Plan, where: Checkouts, redactor: Redactor
    ) -> tuple[dict[str, StackResult], list[gates.GateResult], list[str]]:
        results: dict[str, StackResult] = {}
        gate_results: list[gates.GateResult] = []
        pending: list[str] = []
        earlier: dict[str, str] = {}
        for env_name in plan.environments:
            env = self.config.environment(env_name)
            sub = plan.only(env_name)
            if not sub.stacks:
                earlier[env_name] = "succeeded"  # nothing of this commit is left to deploy there
                continue
            gate = gates.evaluate(env, plan.head, store=self.store, earlier=earlier, approvers=self._approvers,
                                  reached=self.reached)
            bypassed = not gate.passed and self.bypass_gates is not None
            if bypassed:
                gate = gates.bypassed(gate, self.bypass_gates or "")
            gate_results.append(gate)
            self.store.audit(
                actor=self.actor,
                action="gate.bypassed" if bypassed else "gate.passed" if gate.passed else "gate.blocked",
                run_id=self.run_id,
                environment=env_name,
                commit=plan.head,
                details={"reasons": list(gate.reasons)},
            )
            if not gate.passed:
                waiting = gates.WAITING_FOR_GATE + "; ".join(gate.reasons)
                waiting_results = {s.id: _skipped(s, waiting) for s in sub.stacks}
                results.update(waiting_results)
                self._record_not_run(sub.stacks, waiting_results, plan.head, redactor)
                earlier[env_name] = "blocked"
                self.store.record_environment_result(env_name, plan.head, self.run_id, "blocked")
                continue
            blocked = self._blocked_destroys(sub, env.protected)
            pending.extend(blocked)
            executed = self._execute(sub, blocked, where, redactor)
            results.update(executed)
            ran = [r for sid, r in executed.items() if sid not in blocked]
            status: RunStatus = "succeeded" if all(r.status == "succeeded" for r in ran) else "failed"
            if status == "succeeded" and blocked:
                # Not done at this commit while a destroy waits: a later environment may not count on it.
                status = "blocked"
            earlier[env_name] = status
            self.store.record_environment_result(env_name, plan.head, self.run_id, status)
        return results, gate_results, pending

    def _execute(
        self, plan: Plan, blocked: Mapping[str, str], where: Checkouts, redactor: Redactor
    ) -> Mapping[str, StackResult]:
        """Run one environment's stacks; every result is in the store afterwards."""
        started: set[str] = set()

        def run_stack(stack: PlannedStack) -> StackResult:
            started.add(stack.id)  # _run_stack records its own result
            return self._run_stack(stack, where, plan.head, redactor)

        execution = execute(
            plan,
            run_stack,
            concurrency=default_concurrency(self.config, self.concurrency),
            on_event=self.on_event,
            blocked=blocked,
        )
        # The rest execute() skipped itself: a failed dependency, or a destroy pending (`blocked`).
        not_run = [s for s in plan.stacks if s.id not in started]
        self._record_not_run(not_run, execution.results, plan.head, redactor)
        return execution.results

    def _record_not_run(
        self, stacks: Sequence[PlannedStack], results: Mapping[str, StackResult], commit: str, redactor: Redactor
    ) -> None:
        """Store the results of stacks that did not run (a failed dependency, a closed gate, a pending
        destroy) with their reason, so `orchestrator history` and the dashboard can say why.

        Safe for the store's other readers: they are `skipped`, and only succeeded updates say what
        a stack runs now; whether an environment succeeded at a commit is its environment result,
        never `succeeded` while one of its stacks did not run.
        """
        for stack in stacks:
            result = redact_result(results[stack.id], redactor)
            self.store.record_stack_result(self.run_id, commit=commit, result=result, started_at=datetime.now(UTC))
            self.store.audit(
                actor=self.actor,
                action="stack.skipped",
                run_id=self.run_id,
                environment=stack.environment,
                stack=stack.id,
                commit=commit,
                details={
                    "operation": stack.operation,
                    "reason": result.error,
                    "waiting": gates.is_waiting(result),  # for someone (approval, flag), not a failure
                },
            )

    def _approvers(self) -> list[str] | None:
        if self.vcs is None or self.pr is None:
            return None
        return self.vcs.approvals(self.pr)  # a VcsError is the gate's to report

    def _blocked_destroys(self, plan: Plan, protected: bool) -> dict[str, str]:
        if self.allow_destroy or not protected:
            return {}
        out = {}
        for s in plan.stacks:
            if s.operation != "destroy":
                continue
            base = s.base or plan.base
            command = f"orchestrator deploy --allow-destroy --before {short(base)} --after {short(plan.head)}"
            out[s.id] = f"{gates.DESTROY_PENDING}{s.environment} is protected; run `{command}` to destroy it"
        return out

    def _run_stack(self, stack: PlannedStack, where: Checkouts, commit: str, redactor: Redactor) -> StackResult:
        started = datetime.now(UTC)
        spec = replace(where.spec(stack), origin=UpdateOrigin(commit=commit, flow=self.flow, run_id=self.run_id))
        holder = holder_name(self.flow, self.run_id, self.actor)
        try:
            with stack_lease(
                self.store, stack.id, holder=holder, run_id=self.run_id, commit=commit, policy=self.locks,
                actor=self.actor,
            ) as held:
                engine = self.engine_for(spec.engine)
                result = self._guarded(engine, spec, stack, commit) or run_operation(engine, spec, stack,
                                                                                    preview=False)
            if held.lost:
                result = replace(result, diagnostics=(*result.diagnostics, Diagnostic("warning", LEASE_LOST)))
        except StackLocked as locked:
            result = StackResult(stack=stack.id, operation=_operation(stack), status="locked", error=str(locked))
        result = redact_result(where.relative(result), redactor)
        self.store.record_stack_result(self.run_id, commit=commit, result=result, started_at=started)
        self.store.audit(
            actor=self.actor,
            action=f"stack.{stack.operation}",
            run_id=self.run_id,
            environment=stack.environment,
            stack=stack.id,
            commit=commit,
            details={
                "status": result.status,
                "counts": result.counts.to_json(),
                "error": result.error,
                # What the policy packs found: the record of why a stack was (not) deployed.
                **({"policy_violations": [v.to_json() for v in result.policy_violations]}
                   if result.policy_violations else {}),
            },
        )
        return result

    def _guarded(self, engine: Engine, spec: StackSpec, stack: PlannedStack, commit: str) -> StackResult | None:
        """A result instead of running the stack: its backend could not be read, or a destroy would
        take a stack back (it runs a newer commit than this run's head) or has nothing left to do."""
        if stack.id in self.unreadable:
            return StackResult(stack=stack.id, operation=_operation(stack), status="failed",
                               error=f"cannot tell which commit {stack.id} runs: {self.unreadable[stack.id]}")
        if stack.operation != "destroy" or self.flow not in FORWARD_FLOWS or self.applied_of is None:
            return None
        try:
            applied = self.applied_of(engine, spec)
        except UserError as exc:
            return StackResult(stack=stack.id, operation="destroy", status="failed",
                               error=f"cannot tell which commit {stack.id} runs: {exc.message}")
        if applied is None or applied.destroyed:
            return StackResult(stack=stack.id, operation="destroy", status="succeeded",
                               diagnostics=(Diagnostic("info", f"{stack.id} is already destroyed"),))
        if applied.commit != commit and not self.git.is_ancestor(applied.commit, commit):
            return StackResult(stack=stack.id, operation="destroy", status="succeeded", diagnostics=(Diagnostic(
                "info", f"{stack.id} runs {short(applied.commit)}, which {short(commit)} does not include: "
                "left as it is (a newer run owns it)"),))
        return None


def _operation(stack: PlannedStack) -> Literal["update", "destroy"]:
    return "destroy" if stack.operation == "destroy" else "update"


def _skipped(stack: PlannedStack, reason: str) -> StackResult:
    return StackResult(stack=stack.id, operation=_operation(stack), status="skipped", error=reason)
