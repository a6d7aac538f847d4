"""Use case: Git drift, and reconciling it.

Git drift is a stack whose applied commit (read from its backend) is behind the tip of the
branch that feeds its environment, with changes since that affect it: a run that failed or
never happened, a gate still closed, a rollback. `find_git_drift` lists it (for
`reconcile --dry-run` and the scheduled drift run); `run_reconcile` deploys the branch's tip to
the environment through the same locks and gates as any deploy.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.config.load import load_repository
from orchestrator.config.resolved import Environment
from orchestrator.converge import PLANNED_FROM_BASE, LevelInput, StackPosition, Standing, plan_to_head
from orchestrator.engines.base import Engine
from orchestrator.errors import UserError
from orchestrator.execute import OnEvent
from orchestrator.flows.checkouts import EngineFactory, default_engine_factory, open_checkouts
from orchestrator.flows.deploy import DeployOutcome, DeployRequest, run_deploy
from orchestrator.flows.gitstate import resolve_target
from orchestrator.flows.locking import LockPolicy
from orchestrator.flows.positions import Positions, level_plan, stored_applied
from orchestrator.git import GitRepo
from orchestrator.models import GitDrift, PlannedStack, UpToDate
from orchestrator.store.api import Store
from orchestrator.vcs.base import VcsClient


@dataclass(frozen=True)
class GitDriftReport:
    environment: str
    branch: str
    head: str  # the branch's tip
    drifted: tuple[GitDrift, ...]
    current: tuple[UpToDate, ...]
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "branch": self.branch,
            "head": self.head,
            "drifted": [d.to_json() for d in self.drifted],
            "current": [c.to_json() for c in self.current],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ReconcileRequest:
    repo: Path
    environment: str
    branch: str | None = None  # default: the environment's one branch rule
    dry_run: bool = False
    actor: str = field(default_factory=getpass.getuser)
    concurrency: int | None = None
    locks: LockPolicy = field(default_factory=LockPolicy)
    summary_path: Path | None = None


@dataclass(frozen=True)
class ReconcileOutcome:
    report: GitDriftReport
    deploy: DeployOutcome | None = None  # None for --dry-run, or when nothing drifted

    @property
    def exit_code(self) -> int:
        return 0 if self.deploy is None else self.deploy.exit_code

    def to_json(self) -> dict[str, Any]:
        return {
            **self.report.to_json(),
            "deploy": None if self.deploy is None else self.deploy.to_json(),
            "exit_code": self.exit_code,
        }


def run_reconcile(
    request: ReconcileRequest,
    store: Store,
    vcs: VcsClient | None,
    *,
    engine_factory: EngineFactory = default_engine_factory,
    on_event: OnEvent | None = None,
) -> ReconcileOutcome:
    report = find_git_drift(request.repo, request.environment, branch=request.branch, store=store,
                            engine_factory=engine_factory)
    if request.dry_run or not report.drifted:
        return ReconcileOutcome(report)
    deploy = DeployRequest(
        repo=request.repo,
        after=report.head,
        branch=report.branch,
        actor=request.actor,
        environments=(report.environment,),
        concurrency=request.concurrency,
        locks=request.locks,
        summary_path=request.summary_path,
        flow="reconcile",
    )
    return ReconcileOutcome(report, run_deploy(deploy, store, vcs, engine_factory=engine_factory, on_event=on_event))


def find_git_drift(
    repo: Path,
    environment: str,
    *,
    branch: str | None = None,
    store: Store,
    engine_factory: EngineFactory = default_engine_factory,
) -> GitDriftReport:
    """The stacks of `environment` whose applied commit is behind its branch's tip."""
    git = GitRepo(repo)
    git.ensure_full_history()
    env = load_repository(git.root, git.tree(git.resolve("HEAD"))).environment(environment)
    name = feeding_branch(env, branch)
    tip = git.branch_tip(name)
    if tip.sha is None:
        raise UserError(f"branch {name}, which feeds {env.name}, is not in {git.root} ({tip.note})",
                        hint=f"fetch it (`git fetch origin {name}`) or pass --branch")
    target = resolve_target(repo, after=tip.sha, before=None, branch=name)
    engines: dict[str, Engine] = {}

    def engine_for(kind: str) -> Engine:
        if kind not in engines:
            engines[kind] = engine_factory(kind)
        return engines[kind]

    with open_checkouts(git, target.head, target.config) as where:
        reader = Positions(git, target.config, target.head, target.tip, where, engine_for, store)
        plan, positions = level_plan(reader, [env.name], branch=name, notes=target.notes)
    drifted = tuple(_drift(git, name, target.head, s, positions.get(s.id)) for s in plan.stacks)
    return GitDriftReport(env.name, name, target.head, drifted, plan.current, plan.notes)


def behind_branches(
    repo: Path,
    environments: Sequence[str],
    *,
    store: Store,
    engine_factory: EngineFactory = default_engine_factory,
    projects: Sequence[str] | None = None,
) -> tuple[tuple[GitDrift, ...], tuple[str, ...]]:
    """Git drift for the scheduled drift run: the stacks of `environments` (of `projects`, when
    given) whose applied commit, read from their backends, is behind or off the branch that
    feeds them, with changes since that affect them; and a note for each environment that could
    not be read (fed by several branches, its branch not in the clone, ...). Stacks never
    deployed are left to the cloud check, which finds no stack."""
    found: list[GitDrift] = []
    notes: list[str] = []
    for environment in environments:
        try:
            report = find_git_drift(repo, environment, store=store, engine_factory=engine_factory)
        except UserError as exc:
            notes.append(f"Git drift of {environment} not checked: {exc.message}")
            continue
        found.extend(
            d for d in report.drifted
            if d.applied is not None and d.standing in PLANNED_FROM_BASE
            and (projects is None or d.stack.removesuffix(f"/{d.environment}") in projects)
        )
    return tuple(found), tuple(notes)


def feeding_branch(env: Environment, branch: str | None) -> str:
    """The branch whose tip `env` should run: `branch` when its rules match it, else its one exact rule."""
    if branch is not None:
        if env.matching_rule(branch) is None:
            raise UserError(f"branch {branch} does not feed environment {env.name} (its rules: "
                            f"{', '.join(env.branch_rules)} in {env.source})")
        return branch
    exact = [r for r in env.branch_rules if not any(c in r for c in "*?[")]
    if len(env.branch_rules) == 1 and exact:
        return exact[0]
    raise UserError(f"environment {env.name} is fed by several branches ({', '.join(env.branch_rules)}): "
                    "say which one", hint="pass --branch NAME")


def _drift(git: GitRepo, branch: str, head: str, stack: PlannedStack, position: StackPosition | None) -> GitDrift:
    if position is None:  # a destroy: its project is gone at the head
        return GitDrift(stack=stack.id, environment=stack.environment, operation=stack.operation, applied=stack.base,
                        flow=None, standing="deleted", commits_behind=None, reasons=stack.reasons, branch=branch,
                        head=head)
    applied = position.applied
    known = applied is not None and position.standing not in ("never", "unknown", "destroyed")
    commit = applied.commit if applied is not None and known else None
    behind = git.commits_between(commit, head) if commit is not None and position.standing == "behind" else None
    return GitDrift(
        stack=stack.id,
        environment=stack.environment,
        operation=stack.operation,
        applied=commit,
        flow=None if applied is None else applied.flow,
        standing=position.standing,
        commits_behind=behind,
        reasons=stack.reasons,
        branch=branch,
        head=head,
    )


def stored_git_drift(repo: Path, store: Store) -> dict[str, GitDrift]:
    """Git drift as the run store's copy of the applied commits tells it, against each branch as
    this clone last fetched it: no engine, no network, for `history` and the dashboard, which must
    stay cheap. `find_git_drift` reads the backends, which are the authority."""
    # Advisory: a clone that cannot tell (not a repository, a broken configuration, a shallow
    # history) shows no marks rather than failing the page or the command that asked.
    try:
        git = GitRepo(repo)
        config = load_repository(git.root, git.tree(git.resolve("HEAD")))
    except UserError:
        return {}
    found: dict[str, GitDrift] = {}
    for env in config.environments.values():
        try:
            branch = feeding_branch(env, None)
            tip = git.branch_tip(branch, fetch=False).sha
            if tip is not None:
                found.update(_stored_drift(git, store, env.name, branch, tip))
        except UserError:
            continue  # fed by several branches (no one tip to be behind), or unreadable at its tip
    return found


def _stored_drift(git: GitRepo, store: Store, environment: str, branch: str, tip: str) -> dict[str, GitDrift]:
    try:
        config = load_repository(git.root, git.tree(tip))
    except UserError:
        return {}
    if environment not in config.environments:
        return {}
    positions: dict[str, StackPosition] = {}
    for project in config.projects:
        applied = stored_applied(store, project, environment) if config.deploys(project, environment) else None
        if applied is None or applied.destroyed or applied.commit == tip or not git.has_commit(applied.commit):
            continue  # unknown to the store (not a claim of drift), or at the tip
        standing: Standing = "behind" if git.is_ancestor(applied.commit, tip) else (
            "ahead" if git.is_ancestor(tip, applied.commit) else "off-branch")
        positions[f"{project}/{environment}"] = StackPosition(project, environment, standing, applied, "store")
    bases = sorted({p.base for p in positions.values() if p.base is not None})
    plan = plan_to_head(
        LevelInput(head_config=config, branch=branch, head=tip, environments=(environment,), positions=positions,
                   changes={base: tuple(git.changes(base, tip)) for base in bases}),
        base_config=lambda commit: load_repository(git.root, git.tree(commit)),
    )
    return {s.id: _drift(git, branch, tip, s, positions[s.id]) for s in plan.stacks
            if s.id in positions and positions[s.id].standing in ("behind", "off-branch")}
