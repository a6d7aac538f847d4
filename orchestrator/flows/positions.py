"""Where each stack stands against a head commit, and the level-triggered plan from there.

The applied commit comes from the stack's engine backend (engines/applied.py); the run store
is asked only about stacks whose backend records none (stacks deployed before the backend
kept the commit, or engines without a history). Git then places it: at the head, ahead of it
on the branch, behind it, off the branch, or not in the repository at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from orchestrator.config.load import load_repository
from orchestrator.config.resolved import RepoConfig
from orchestrator.converge import LevelInput, StackPosition, Standing, plan_to_head, short
from orchestrator.deletions import left_behind
from orchestrator.engines.applied import AppliedCommit, RecordsApplied
from orchestrator.engines.base import Engine
from orchestrator.errors import ConfigError, UserError
from orchestrator.flows.checkouts import Checkouts
from orchestrator.git import BranchTip, GitRepo
from orchestrator.models import FileChange, Plan, PlannedStack, StackSpec, UpToDate
from orchestrator.planner import compact_waves
from orchestrator.store.api import Store

APPLYING_OPERATIONS = ("update", "destroy")


@dataclass
class Positions:
    """Reads the positions of stacks at `head` (whose code is checked out in `checkouts`)."""

    git: GitRepo
    config: RepoConfig  # the head's configuration
    head: str
    tip: BranchTip | None
    checkouts: Checkouts
    engine_for: Callable[[str], Engine]
    store: Store
    _standings: dict[str, Standing] = field(default_factory=dict)

    def read(self, environments: Sequence[str]) -> dict[str, StackPosition]:
        return {
            f"{project}/{env}": self.position(project, env)
            for env in environments
            for project in self.config.projects
            if self.config.deploys(project, env)
        }

    def position(self, project: str, environment: str) -> StackPosition:
        spec = self.config.stack_spec(project, environment, checkout=self.checkouts.head)
        try:
            applied, source = applied_commit(self.engine_for(spec.engine), spec, self.store)
        except UserError as exc:
            return StackPosition(project, environment, "unreadable", error=exc.message)
        if applied is None:
            return StackPosition(project, environment, "never")
        standing: Standing = "destroyed" if applied.destroyed else self.standing(applied.commit)
        return StackPosition(project, environment, standing, applied, source)

    def standing(self, commit: str) -> Standing:
        if commit not in self._standings:
            self._standings[commit] = self._place(commit)
        return self._standings[commit]

    def _place(self, commit: str) -> Standing:
        if commit == self.head:
            return "current"
        if not self.git.fetch_commit(commit):
            return "unknown"
        if self.git.is_ancestor(self.head, commit):
            # Newer than the head: ahead, unless the branch itself was rewound past it.
            return "ahead" if self._on_branch(commit) else "off-branch"
        return "behind" if self.git.is_ancestor(commit, self.head) else "off-branch"

    def _on_branch(self, commit: str) -> bool:
        # When the tip could not be confirmed, take the newer commit for on the branch: never
        # moving a stack back is the safe mistake.
        tip = self.tip
        return tip is None or tip.sha is None or not tip.confirmed or self.git.is_ancestor(commit, tip.sha)

    def config_at(self, commit: str) -> RepoConfig:
        try:
            return load_repository(self.git.root, self.git.tree(commit))
        except ConfigError as exc:  # say which commit: head may have fixed it already
            raise UserError(
                f"in commit {commit[:12]}, which a stack last applied: {exc.message}",
                "a project was deleted since, so its stacks are read from that commit's configuration; "
                "fix it there or destroy the stacks by hand",
            ) from None

    def changes_since(self, base: str) -> tuple[FileChange, ...]:
        return tuple(self.git.changes(base, self.head))

    def destroy_done(self, stack: PlannedStack) -> UpToDate | None:
        """Why a planned destroy has nothing to do, read from the stack's own backend: never
        deployed, already destroyed, or running a commit the head does not include."""
        spec = self.checkouts.spec(stack)
        try:
            applied, _ = applied_commit(self.engine_for(spec.engine), spec, self.store)
        except UserError:
            return None  # run it: the run reports what the backend said
        if applied is None:
            return UpToDate(stack.project, stack.environment, stack.base or self.head,
                            "never deployed here: nothing to destroy")
        if applied.destroyed:
            return UpToDate(stack.project, stack.environment, applied.commit,
                            f"already destroyed at {short(applied.commit)}")
        if applied.commit != self.head and self.standing(applied.commit) not in ("behind", "off-branch"):
            return UpToDate(stack.project, stack.environment, applied.commit,
                            f"runs {short(applied.commit)}, which {short(self.head)} does not include: left alone")
        return None


def applied_commit(
    engine: Engine, spec: StackSpec, store: Store
) -> tuple[AppliedCommit | None, Literal["backend", "store", "none"]]:
    """The commit a stack applied, from its engine's backend; the run store's copy only when the
    backend records none. A backend that cannot be read raises UserError: guessing could move
    the stack backwards."""
    applied = engine.applied(spec) if isinstance(engine, RecordsApplied) else None
    if applied is not None:
        return applied, "backend"
    stored = stored_applied(store, spec.project, spec.environment)
    return (stored, "store") if stored is not None else (None, "none")


def stored_applied(store: Store, project: str, environment: str) -> AppliedCommit | None:
    """The run store's copy of a stack's applied commit: its newest succeeded update or destroy."""
    for record in store.history(environment=environment, project=project, limit=50):
        if record.status == "succeeded" and record.operation in APPLYING_OPERATIONS:
            return AppliedCommit(commit=record.commit, flow=record.flow,
                                 operation="destroy" if record.operation == "destroy" else "update",
                                 run_id=record.run_id, at=record.finished_at)
    return None


def level_plan(
    positions: Positions,
    environments: Sequence[str],
    *,
    branch: str,
    redeploy: bool = False,
    destroy_bases: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> tuple[Plan, dict[str, StackPosition]]:
    """The plan that brings the stacks of `environments` to the head, and where each stood."""
    found = positions.read(environments)
    bases = sorted({p.base for p in found.values() if p.base is not None} | set(destroy_bases))
    changes = {base: positions.changes_since(base) for base in bases}
    head_tree = positions.git.tree(positions.head)
    plan = plan_to_head(
        LevelInput(
            head_config=positions.config,
            branch=branch,
            head=positions.head,
            environments=tuple(environments),
            positions=found,
            changes=changes,
            left_behind={base: left_behind(changes[base], positions.config, head_tree) for base in bases},
            redeploy=redeploy,
            destroy_bases=tuple(destroy_bases),
            notes=tuple(notes),
        ),
        base_config=positions.config_at,
    )
    return _without_done_destroys(positions, plan), found


def _without_done_destroys(positions: Positions, plan: Plan) -> Plan:
    done = {s.id: why for s in plan.stacks if s.operation == "destroy" and (why := positions.destroy_done(s))}
    if not done:
        return plan
    kept = [replace(s, depends_on=tuple(d for d in s.depends_on if d not in done))
            for s in plan.stacks if s.id not in done]
    return replace(plan, stacks=tuple(compact_waves(kept, list(plan.environments))),
                   current=(*plan.current, *done.values()))
