"""Use case: a change was merged (pushed) into an environment's branch.

Update the affected stacks in dependency order, environment after environment, through
the promotion gates, each stack under a lease; record everything in the store and report
back on the merged pull request.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from orchestrator.alerts.events import GateOutcome, RunFacts, StackOutcome
from orchestrator.alerts.send import Dispatch
from orchestrator.config.resolved import RepoConfig
from orchestrator.engines.base import Diagnostic, Engine, StackResult, redact_result, result_from_json
from orchestrator.execute import OnEvent, execute
from orchestrator.flows import gates
from orchestrator.flows.alerts import notify_run
from orchestrator.flows.checkouts import (
    Checkouts,
    EngineFactory,
    checkouts,
    default_concurrency,
    default_engine_factory,
    run_operation,
)
from orchestrator.flows.locking import LockPolicy, StackLocked, holder_name, stack_lease
from orchestrator.flows.plan import PlanRequest, make_plan
from orchestrator.flows.publish import publish_report, report_file
from orchestrator.flows.redaction import secret_values
from orchestrator.git import GitRepo
from orchestrator.models import Plan, PlannedStack
from orchestrator.redact import Redactor
from orchestrator.report.comment import RenderedComment, comment_model, deploy_marker, render_comment
from orchestrator.store.api import Flow, RunStatus, StackRunRecord, Store
from orchestrator.vcs.base import VcsClient, VcsError

STATUS_PREFIX = "orchestrator/deploy"
LEASE_LOST = (
    "the stack's lease could not be renewed during this run (it expired or was released), so another "
    "run may have started on it meanwhile; check `orchestrator history` and `orchestrator locks list`"
)


@dataclass(frozen=True)
class DeployRequest:
    repo: Path
    after: str = "HEAD"
    before: str | None = None
    branch: str | None = None
    actor: str = field(default_factory=getpass.getuser)
    pr: int | None = None  # the merged pull request; looked up by commit when not given
    allow_destroy: bool = False
    environments: tuple[str, ...] | None = None  # run only these (promote, rollback)
    concurrency: int | None = None
    locks: LockPolicy = field(default_factory=LockPolicy)
    summary_path: Path | None = None
    flow: Flow = "deploy"
    redeploy: bool = False  # run environments where this commit already succeeded again


@dataclass(frozen=True)
class DeployOutcome:
    run_id: str
    plan: Plan
    results: Mapping[str, StackResult]
    gates: tuple[gates.GateResult, ...]
    pending_destroys: tuple[str, ...]
    interrupted_runs: tuple[str, ...]
    comment: RenderedComment | None
    report_path: Path | None
    published: bool
    publish_error: str | None = None
    flow: Flow = "deploy"
    summary_written: bool = False  # the full report went to GITHUB_STEP_SUMMARY
    alerts: tuple[Dispatch, ...] = ()  # queued in the background (flows/alerts.py)

    @property
    def failed(self) -> list[str]:
        return [sid for sid, r in self.results.items() if r.status in ("failed", "locked")]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.publish_error else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "plan": self.plan.to_json(),
            "results": [r.to_json() for r in self.results.values()],
            "gates": [g.to_json() for g in self.gates],
            "pending_destroys": list(self.pending_destroys),
            "interrupted_runs": list(self.interrupted_runs),
            "published": self.published,
            "publish_error": self.publish_error,
            "report": None if self.report_path is None else str(self.report_path),
            "exit_code": self.exit_code,
        }


def run_deploy(
    request: DeployRequest,
    store: Store,
    vcs: VcsClient | None,
    *,
    plan: Plan | None = None,
    config: RepoConfig | None = None,
    engine_factory: EngineFactory = default_engine_factory,
    on_event: OnEvent | None = None,
) -> DeployOutcome:
    """Deploy the plan of a push (or the given `plan`, for rollbacks and promotions)."""
    if plan is None or config is None:
        plan, config = make_plan(
            PlanRequest(repo=request.repo, head=request.after, base=request.before, branch=request.branch, event="push")
        )
    if request.environments is not None:
        plan = _restrict(plan, request.environments)
    interrupted = _report_interrupted(store, request.actor)
    pr = _merged_pr(request, vcs, plan.head)
    run = store.start_run(
        flow=request.flow,
        commit=plan.head,
        branch=plan.branch,
        actor=request.actor,
        pr=pr,
        environments=plan.environments,
        details={"base": plan.base, "interrupted_runs": list(interrupted)},
    )
    store.audit(
        actor=request.actor,
        action=f"{request.flow}.started",
        run_id=run.id,
        commit=plan.head,
        details={"branch": plan.branch, "environments": list(plan.environments), "base": plan.base},
    )
    deployment = _Deployment(request, store, vcs, config, run.id, pr, engine_factory, on_event)
    with checkouts(GitRepo(request.repo), plan, config) as where:
        redactor = Redactor(secret_values(where.spec(s) for s in plan.stacks))
        results, gate_results, pending = deployment.run_environments(plan, where, redactor)
    status: RunStatus = "failed" if any(r.status in ("failed", "locked") for r in results.values()) else "succeeded"
    if status == "succeeded" and (pending or any(not g.passed for g in gate_results)):
        status = "blocked"
    store.finish_run(run.id, status, details={"gates": [g.to_json() for g in gate_results]})
    store.audit(
        actor=request.actor,
        action=f"{request.flow}.finished",
        run_id=run.id,
        commit=plan.head,
        details={"status": status},
    )
    comment, report, published, error = _report(request, config, vcs, pr, plan, results, redactor, gate_results)
    alerts = notify_run(config, store, _facts(run.id, request.flow, plan, results, gate_results))
    return DeployOutcome(
        alerts=alerts,
        run_id=run.id,
        plan=plan,
        results=results,
        gates=tuple(gate_results),
        pending_destroys=tuple(pending),
        interrupted_runs=tuple(interrupted),
        comment=comment,
        report_path=report,
        published=published,
        publish_error=error,
        flow=request.flow,
        summary_written=request.summary_path is not None,
    )


@dataclass
class _Deployment:
    request: DeployRequest
    store: Store
    vcs: VcsClient | None
    config: RepoConfig
    run_id: str
    pr: int | None
    engine_factory: EngineFactory
    on_event: OnEvent | None
    engines: dict[str, Engine] = field(default_factory=dict)

    def run_environments(
        self, plan: Plan, where: Checkouts, redactor: Redactor
    ) -> tuple[dict[str, StackResult], list[gates.GateResult], list[str]]:
        results: dict[str, StackResult] = {}
        gate_results: list[gates.GateResult] = []
        pending: list[str] = []
        earlier: dict[str, str] = {}
        for env_name in plan.environments:
            env = self.config.environment(env_name)
            if self._already_deployed(env_name, plan.head):
                # A re-run of the same push (e.g. after an approval) picks up where the last one
                # stopped: what already succeeded at this commit is reported from the store.
                results.update(self._stored_results(plan.only(env_name), plan.head))
                earlier[env_name] = "succeeded"
                continue
            gate = gates.evaluate(env, plan.head, store=self.store, earlier=earlier, approvers=self._approvers)
            gate_results.append(gate)
            self.store.audit(
                actor=self.request.actor,
                action="gate.passed" if gate.passed else "gate.blocked",
                run_id=self.run_id,
                environment=env_name,
                commit=plan.head,
                details={"reasons": list(gate.reasons)},
            )
            sub = plan.only(env_name)
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
                # Not done at this commit while a destroy waits: a later `--allow-destroy` run
                # must not take this environment for already deployed, nor may a later
                # environment count on it.
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
            concurrency=default_concurrency(self.config, self.request.concurrency),
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
        a stack runs now (`current_commits`) or what a re-run may report as done (`_stored_results`);
        whether an environment succeeded at a commit is its environment result, never `succeeded`
        while one of its stacks did not run.
        """
        for stack in stacks:
            result = redact_result(results[stack.id], redactor)
            self.store.record_stack_result(self.run_id, commit=commit, result=result, started_at=datetime.now(UTC))
            self.store.audit(
                actor=self.request.actor,
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

    def _already_deployed(self, environment: str, commit: str) -> bool:
        return (
            self.request.flow == "deploy"
            and not self.request.redeploy
            and self.store.environment_succeeded(environment, commit)
        )

    def _stored_results(self, plan: Plan, commit: str) -> dict[str, StackResult]:
        records = self.store.history(environment=plan.environments[0], limit=1000)
        found: dict[str, StackResult] = {}
        for stack in plan.stacks:
            record = next(
                (r for r in records if r.stack == stack.id and r.commit == commit and r.status == "succeeded"), None
            )
            found[stack.id] = (
                _skipped(stack, f"already deployed at {commit[:12]}") if record is None else _from_record(record)
            )
        return found

    def _approvers(self) -> list[str] | None:
        if self.vcs is None or self.pr is None:
            return None
        return self.vcs.approvals(self.pr)  # a VcsError is the gate's to report

    def _blocked_destroys(self, plan: Plan, protected: bool) -> dict[str, str]:
        if self.request.allow_destroy or not protected:
            return {}
        command = "orchestrator deploy --allow-destroy" + (
            f" --before {plan.base[:12]} --after {plan.head[:12]}" if plan.base != plan.head else ""
        )
        return {
            s.id: f"{gates.DESTROY_PENDING}{s.environment} is protected; run `{command}` to destroy it"
            for s in plan.stacks
            if s.operation == "destroy"
        }

    def _run_stack(self, stack: PlannedStack, where: Checkouts, commit: str, redactor: Redactor) -> StackResult:
        started = datetime.now(UTC)
        spec = where.spec(stack)
        holder = holder_name(self.request.flow, self.run_id, self.request.actor)
        try:
            with stack_lease(
                self.store, stack.id, holder=holder, run_id=self.run_id, commit=commit, policy=self.request.locks
            ) as held:
                engine = self.engines.get(spec.engine) or self.engines.setdefault(
                    spec.engine, self.engine_factory(spec.engine)
                )
                result = run_operation(engine, spec, stack, preview=False)
            if held.lost:
                result = replace(result, diagnostics=(*result.diagnostics, Diagnostic("warning", LEASE_LOST)))
        except StackLocked as locked:
            result = StackResult(stack=stack.id, operation=_operation(stack), status="locked", error=str(locked))
        result = redact_result(result, redactor)
        self.store.record_stack_result(self.run_id, commit=commit, result=result, started_at=started)
        self.store.audit(
            actor=self.request.actor,
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


def _facts(run_id: str, flow: str, plan: Plan, results: Mapping[str, StackResult],
           gate_results: Sequence[gates.GateResult]) -> RunFacts:
    return RunFacts(
        run_id=run_id, flow=flow, commit=plan.head, environments=tuple(plan.environments),
        stacks=tuple(StackOutcome(sid, r.status, r.error) for sid, r in results.items()),
        gates=tuple(GateOutcome(g.environment, g.passed, tuple(g.reasons)) for g in gate_results),
    )


def _operation(stack: PlannedStack) -> Literal["update", "destroy"]:
    return "destroy" if stack.operation == "destroy" else "update"


def _from_record(record: StackRunRecord) -> StackResult:
    return result_from_json(
        {
            "stack": record.stack,
            "operation": "destroy" if record.operation == "destroy" else "update",
            "status": "succeeded",
            "counts": record.counts,
            "changes": record.changes,
            "duration_s": (record.finished_at - record.started_at).total_seconds(),
        }
    )


def _skipped(stack: PlannedStack, reason: str) -> StackResult:
    return StackResult(stack=stack.id, operation=_operation(stack), status="skipped", error=reason)


def _restrict(plan: Plan, environments: tuple[str, ...]) -> Plan:
    kept = tuple(e for e in plan.environments if e in environments)
    return replace(plan, environments=kept, stacks=tuple(s for s in plan.stacks if s.environment in kept))


def _report_interrupted(store: Store, actor: str) -> list[str]:
    found = []
    for run in store.unfinished_runs():
        store.mark_interrupted(run.id)
        store.audit(
            actor=actor,
            action="run.interrupted",
            run_id=run.id,
            commit=run.commit,
            details={"flow": run.flow, "started_at": run.started_at.isoformat()},
        )
        found.append(run.id)
    return found


def _merged_pr(request: DeployRequest, vcs: VcsClient | None, commit: str) -> int | None:
    if request.pr is not None or vcs is None:
        return request.pr
    try:
        pull = vcs.find_pr_for_commit(commit)
    except VcsError:
        return None
    return None if pull is None else pull.number


def _report(
    request: DeployRequest,
    config: RepoConfig,
    vcs: VcsClient | None,
    pr: int | None,
    plan: Plan,
    results: Mapping[str, StackResult],
    redactor: Redactor,
    gate_results: list[gates.GateResult],
) -> tuple[RenderedComment, Path, bool, str | None]:
    report = report_file(config.root, request.flow, pr, plan.head, request.summary_path)
    comment = render_comment(
        comment_model(
            plan,
            results,
            config.environments,
            kind="Deployed",
            redactor=redactor,
            full_report_location="the job summary" if request.summary_path else f"`{report}`",
            full_report_path=None if request.summary_path else str(report),
            max_chars=config.settings.comment_max_chars,
            group_identical=config.settings.comment_group_identical,
            marker=deploy_marker(plan.branch),
        )
    )
    published, error = publish_report(
        vcs, pr, comment, results, plan, STATUS_PREFIX, report, append_report=request.summary_path is not None
    )
    if vcs is not None and error is None:
        error = _record_deployments(vcs, plan, results, gate_results)
    return comment, report, published and error is None, error


def _record_deployments(
    vcs: VcsClient, plan: Plan, results: Mapping[str, StackResult], gate_results: list[gates.GateResult]
) -> str | None:
    """One GitHub Deployment per environment that ran, with its final state."""
    ran = {g.environment for g in gate_results if g.passed}
    try:
        for env in plan.environments:
            mine = [r for r in results.values() if r.stack.endswith(f"/{env}")]
            if env not in ran or not mine:
                continue
            ok = all(r.status == "succeeded" for r in mine)
            deployment = vcs.create_deployment(plan.head, env, f"orchestrator: {len(mine)} stack(s)", ref=plan.branch)
            vcs.set_deployment_status(
                deployment, "success" if ok else "failure", f"{sum(r.ok for r in mine)} of {len(mine)} stacks succeeded"
            )
    except VcsError as exc:
        return exc.message
    return None
