"""Use case: a change was merged (pushed) into an environment's branch.

Level-triggered: every stack of the environments the branch feeds is brought from the commit
it applied (read from its backend) to the pushed commit, in dependency order, environment
after environment, through the promotion gates, each stack under a lease. A stack already at
that commit or a newer one is left alone and said so; a commit the branch no longer holds is
refused. Everything is recorded in the store and reported back on the merged pull request.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.alerts.events import GateOutcome, RunFacts, StackOutcome
from orchestrator.alerts.send import Dispatch
from orchestrator.config.resolved import RepoConfig
from orchestrator.converge import StackPosition
from orchestrator.engines.base import Engine, StackResult
from orchestrator.execute import OnEvent
from orchestrator.flows import gates
from orchestrator.flows.alerts import notify_run
from orchestrator.flows.checkouts import (
    Checkouts,
    EngineFactory,
    default_engine_factory,
    open_checkouts,
)
from orchestrator.flows.deployment import Deployment, Reached
from orchestrator.flows.gates import GateResult
from orchestrator.flows.gitstate import Target, resolve_target
from orchestrator.flows.locking import LockPolicy
from orchestrator.flows.plan import uncommitted_environments
from orchestrator.flows.positions import Positions, applied_commit, level_plan
from orchestrator.flows.publish import Publication, publish, report_file
from orchestrator.flows.redaction import secret_values
from orchestrator.git import GitRepo
from orchestrator.models import Plan
from orchestrator.redact import Redactor
from orchestrator.report.comment import RenderedComment, comment_model, deploy_marker, render_comment
from orchestrator.store.api import Flow, RunStatus, Store
from orchestrator.vcs.base import VcsClient, VcsError

STATUS_PREFIX = "orchestrator/deploy"


@dataclass(frozen=True)
class DeployRequest:
    repo: Path
    after: str = "HEAD"
    before: str | None = None  # only a hint: stacks are planned from the commits they applied
    branch: str | None = None
    actor: str = field(default_factory=getpass.getuser)
    pr: int | None = None  # the merged pull request; looked up by commit when not given
    allow_destroy: bool = False
    environments: tuple[str, ...] | None = None  # run only these (promote, rollback)
    concurrency: int | None = None
    locks: LockPolicy = field(default_factory=LockPolicy)
    summary_path: Path | None = None
    flow: Flow = "deploy"
    redeploy: bool = False  # run the stacks already at this commit again
    bypass_gates: str | None = None  # a break-glass rollback: "by <actor>: <reason>"


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
    positions: tuple[StackPosition, ...] = ()  # where each stack stood before the run (level-triggered runs)
    alerts: tuple[Dispatch, ...] = ()  # queued in the background (flows/alerts.py)
    skipped: tuple[str, ...] = ()  # what did not happen (no merged PR, nothing published), one line each

    @property
    def stopped_by(self) -> list[GateResult]:
        """The gates a rollback did not get through: it then did nothing, which is a failure."""
        return [g for g in self.gates if not g.passed] if self.flow == "rollback" else []

    @property
    def failed(self) -> list[str]:
        return [sid for sid, r in self.results.items() if r.status in ("failed", "locked")]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.publish_error or self.stopped_by else 0

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
            "positions": [p.to_json() for p in self.positions],
            "skipped": list(self.skipped),
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
    """Bring the stacks of the pushed branch's environments to the pushed commit (or run the given
    `plan`, for rollbacks and remediation, which choose their commits themselves)."""
    git = GitRepo(request.repo)
    engines = _Engines(engine_factory)
    target = None
    if plan is None or config is None:
        target = resolve_target(request.repo, after=request.after, before=request.before, branch=request.branch)
        config, head = target.config, target.head
    else:
        head = plan.head
    interrupted = _report_interrupted(store, request.actor)
    with open_checkouts(git, head, config) as where:
        positions: dict[str, StackPosition] = {}
        if target is not None:
            reader = Positions(git, config, head, target.tip, where, engines.get, store)
            plan, positions = _level_plan(reader, target, request)
        assert plan is not None
        where.default_base = plan.base
        where.prepare(plan)
        pr = _merged_pr(request, vcs, plan.head)
        run = store.start_run(
            flow=request.flow,
            commit=plan.head,
            branch=plan.branch,
            actor=request.actor,
            pr=pr,
            environments=plan.environments,
            details={"base": plan.base, "before": request.before, "interrupted_runs": list(interrupted)},
        )
        store.audit(
            actor=request.actor,
            action=f"{request.flow}.started",
            run_id=run.id,
            commit=plan.head,
            details={"branch": plan.branch, "environments": list(plan.environments), "base": plan.base,
                     "current": [c.to_json() for c in plan.current]},
        )
        deployment = Deployment(
            flow=request.flow, actor=request.actor, store=store, vcs=vcs, config=config, run_id=run.id, pr=pr,
            engine_for=engines.get, git=git, locks=request.locks, allow_destroy=request.allow_destroy,
            concurrency=request.concurrency, on_event=on_event,
            reached=_reached_in_backends(git, config, where, engines, store, plan.branch),
            unreadable={sid: p.error or "unreadable" for sid, p in positions.items() if p.standing == "unreadable"},
            applied_of=lambda engine, spec: applied_commit(engine, spec, store)[0],
            bypass_gates=request.bypass_gates,
        )
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
    comment, report, done, error = _report(request, config, vcs, pr, plan, results, redactor, gate_results, run.id)
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
        published=done.published and error is None,
        publish_error=error,
        skipped=(*_no_pr(vcs, pr, plan.head, done.comment_at), *done.skipped),
        flow=request.flow,
        summary_written=request.summary_path is not None,
        positions=tuple(positions.values()),
    )


class _Engines:
    """One engine per kind for the whole run (positions, gates and stacks share it)."""

    def __init__(self, factory: EngineFactory) -> None:
        self._factory = factory
        self._made: dict[str, Engine] = {}

    def get(self, name: str) -> Engine:
        if name not in self._made:
            self._made[name] = self._factory(name)
        return self._made[name]


def _level_plan(reader: Positions, target: Target, request: DeployRequest) -> tuple[Plan, dict[str, StackPosition]]:
    fed = target.config.environments_for_branch(target.branch)
    if request.environments is not None:
        # A promotion names its environment, whatever branch rule feeds it.
        named = [target.config.environment(e) for e in request.environments]
        fed = [(env, rule) for env, rule in fed if env.name in request.environments] or [(e, "named") for e in named]
    notes = [*target.notes]
    notes.extend(f"branch {target.branch} → {env.name} (rule `{rule}` in {env.source})" for env, rule in fed)
    if not fed:
        notes.append(f"no environment tracks branch {target.branch}")
        hint = uncommitted_environments(reader.git, target.branch, target.head)
        notes.extend([hint] if hint else [])
    names = [env.name for env, _ in fed]
    return level_plan(
        reader,
        names,
        branch=target.branch,
        redeploy=request.redeploy,
        destroy_bases=_destroy_bases(reader, target, names),
        notes=notes,
    )


def _destroy_bases(reader: Positions, target: Target, environments: list[str]) -> tuple[str, ...]:
    """More commits to look for deleted projects from than the stacks' own applied commits: the
    push's `before`, and what the run store last saw stacks of now deleted projects run (a
    destroy left pending in a protected environment). Each destroy checks its stack's backend
    before it runs, so a stale hint destroys nothing."""
    found = [] if target.before is None else [target.before]
    for stack_id, commit in reader.store.current_commits().items():
        project, _, environment = stack_id.partition("/")
        gone = environment in environments and project not in target.config.projects and commit not in found
        if gone and reader.git.has_commit(commit) and reader.git.is_ancestor(commit, target.head):
            found.append(commit)
    return tuple(found)


def _reached_in_backends(
    git: GitRepo, config: RepoConfig, checkouts: Checkouts, engines: _Engines, store: Store, branch: str
) -> Reached:
    """For `requires` gates on environments outside the run: whether each stack there runs the
    commit (or a newer one, or an older one no change since affects), from its backend."""

    def reached(environment: str, commit: str) -> str | None:
        reader = Positions(git, config, commit, None, checkouts, engines.get, store)
        plan, _ = level_plan(reader, [environment], branch=branch)
        behind = [s.id for s in plan.stacks]
        if not behind:
            return None
        more = f" and {len(behind) - 3} more" if len(behind) > 3 else ""
        return f"{', '.join(behind[:3])}{more} not at it"

    return reached


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


def _no_pr(vcs: VcsClient | None, pr: int | None, commit: str, comment_at: str | None) -> tuple[str, ...]:
    """A deploy whose merged pull request is not found comments nowhere: say so."""
    if vcs is None or pr is not None:
        return ()
    missing = f"no merged pull request found for {commit[:12]} (pass --pr N to name it)"
    if comment_at:
        return (f"{missing}: the \"Deployed\" comment went to {comment_at} only",)
    return (f"no \"Deployed\" comment: {missing}",)


def _report(
    request: DeployRequest,
    config: RepoConfig,
    vcs: VcsClient | None,
    pr: int | None,
    plan: Plan,
    results: Mapping[str, StackResult],
    redactor: Redactor,
    gate_results: list[gates.GateResult],
    run_id: str,
) -> tuple[RenderedComment, Path, Publication, str | None]:
    report = report_file(config.root, request.flow, pr, plan.head, request.summary_path, run_id)
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
            notices=(f"Break-glass {request.flow} {request.bypass_gates}: its gates were bypassed "
                     "(see the audit log)",) if request.bypass_gates else (),
            flow=request.flow,
        )
    )
    done = publish(
        vcs, pr, comment, results, plan, STATUS_PREFIX, report, append_report=request.summary_path is not None
    )
    error = done.error
    if vcs is not None and error is None:
        error = _record_deployments(vcs, plan, results, gate_results)
    return comment, report, done, error


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


def _facts(run_id: str, flow: str, plan: Plan, results: Mapping[str, StackResult],
           gate_results: Sequence[gates.GateResult]) -> RunFacts:
    return RunFacts(
        run_id=run_id, flow=flow, commit=plan.head, environments=tuple(plan.environments),
        stacks=tuple(StackOutcome(sid, r.status, r.error) for sid, r in results.items()),
        gates=tuple(GateOutcome(g.environment, g.passed, tuple(g.reasons)) for g in gate_results),
    )
