"""Use cases: promote a commit into a gated environment by hand, and roll an environment back.

Both end in a deploy run (flows/deploy.py) through the same locks; what they add is decided
here, not in the command line: who may promote (trust), the promotion record the approval gate
reads, the plan of a rollback, and their audit entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.config.load import load_repository
from orchestrator.errors import UserError
from orchestrator.execute import OnEvent
from orchestrator.flows.checkouts import EngineFactory, default_engine_factory
from orchestrator.flows.deploy import DeployOutcome, DeployRequest, run_deploy
from orchestrator.flows.locking import LockPolicy
from orchestrator.flows.trust import is_trusted_user
from orchestrator.git import GitRepo
from orchestrator.planner import plan_all
from orchestrator.store.api import Store
from orchestrator.vcs.base import VcsClient


@dataclass(frozen=True)
class PromoteRequest:
    repo: Path
    environment: str
    commit: str
    actor: str
    reason: str | None = None
    before: str | None = None  # a hint, as for deploy
    concurrency: int | None = None
    locks: LockPolicy = field(default_factory=LockPolicy)


@dataclass(frozen=True)
class RollbackRequest:
    repo: Path
    environment: str
    target: str  # a commit, or the id of a run whose commit to go back to
    actor: str
    projects: tuple[str, ...] = ()  # default: every project of the environment
    concurrency: int | None = None
    locks: LockPolicy = field(default_factory=LockPolicy)
    break_glass: bool = False  # an emergency: a trusted user bypasses `requires` and approvals, recorded
    reason: str | None = None  # why (required with break_glass; kept in the audit log)


TRUST_HINT = (
    "name who you are with --actor (outside CI), and list that user in trust.users in orchestrator.yaml "
    "(or give them write access on the repository, read through --vcs)"
)


def run_promote(
    request: PromoteRequest,
    store: Store,
    vcs: VcsClient | None,
    *,
    engine_factory: EngineFactory = default_engine_factory,
    on_event: OnEvent | None = None,
) -> DeployOutcome:
    """Record a trusted user's approval of `commit` for the environment, then deploy it there
    (level-triggered, through the remaining gates: `requires` still applies)."""
    git = GitRepo(request.repo)
    config = load_repository(git.root)
    env = config.environment(request.environment)
    trusted, why = is_trusted_user(config.settings, vcs, request.actor)
    if not trusted:
        raise UserError(f"{request.actor} may not promote: {why}", hint=TRUST_HINT)
    sha = git.resolve(request.commit)
    store.record_promotion(env.name, sha, request.actor, request.reason)
    store.audit(actor=request.actor, action="promote", environment=env.name, commit=sha,
                details={"reason": request.reason, "why": why})
    deploy = DeployRequest(
        repo=request.repo,
        after=sha,
        before=request.before,
        branch=env.branch_rules[0],
        actor=request.actor,
        environments=(env.name,),
        concurrency=request.concurrency,
        locks=request.locks,
        flow="promote",
    )
    return run_deploy(deploy, store, vcs, engine_factory=engine_factory, on_event=on_event)


def run_rollback(
    request: RollbackRequest,
    store: Store,
    vcs: VcsClient | None,
    *,
    engine_factory: EngineFactory = default_engine_factory,
    on_event: OnEvent | None = None,
) -> DeployOutcome:
    """Deploy the environment's stacks as the code was at an earlier commit: the one way back,
    explicit and audited. The stacks are then behind their branch until the next deploy (or
    `reconcile`) rolls them forward."""
    git = GitRepo(request.repo)
    bypass = _break_glass(request, vcs) if request.break_glass else None
    run = store.get_run(request.target)
    sha = run.commit if run is not None else git.resolve(request.target)
    at_commit = load_repository(git.root, git.tree(sha))
    if request.environment not in at_commit.environments:
        # A rollback deploys the configuration of the commit too: one from before the environment
        # existed cannot be deployed to it (the generic "unknown environment" would list none).
        raise UserError(
            f"commit {sha[:12]} has no environment {request.environment!r}: a rollback deploys the code and the "
            "configuration as they were at that commit",
            hint=f"roll back to a commit that has {at_commit.settings.environments_dir}/{request.environment}.yaml "
                 f"(`orchestrator history --env {request.environment}` lists the commits its stacks ran)",
        )
    env = at_commit.environment(request.environment)
    plan = plan_all(
        at_commit,
        [env.name],
        operation="update",
        head=sha,
        branch=env.branch_rules[0],
        projects=request.projects or None,
        reason=f"rollback to {sha[:12]} requested by {request.actor}",
    )
    store.audit(actor=request.actor, action="rollback.break_glass" if bypass else "rollback.requested",
                environment=env.name, commit=sha,
                details={"projects": list(request.projects), "target": request.target, "reason": request.reason,
                         "break_glass": bypass is not None})
    deploy = DeployRequest(repo=request.repo, after=sha, actor=request.actor, concurrency=request.concurrency,
                           locks=request.locks, flow="rollback", bypass_gates=bypass)
    return run_deploy(deploy, store, vcs, plan=plan, config=at_commit, engine_factory=engine_factory,
                      on_event=on_event)


def _break_glass(request: RollbackRequest, vcs: VcsClient | None) -> str:
    """Who bypasses the gates and why, once they are known to be allowed to."""
    reason = (request.reason or "").strip()
    if not reason:
        raise UserError("--break-glass needs --reason: the audit log and the comment say why the gates were bypassed",
                        hint='e.g. --break-glass --reason "prod outage INC-1234: restore the last good release"')
    config = load_repository(GitRepo(request.repo).root)
    trusted, why = is_trusted_user(config.settings, vcs, request.actor)
    if not trusted:
        raise UserError(f"{request.actor} may not break glass: {why}", hint=TRUST_HINT)
    return f"by {request.actor}: {reason}"
