"""Pure: the plan that brings every stack of the environments a branch feeds to the head.

Level-triggered, as Flux and Argo CD reconcile: each stack is planned from the commit it last
applied (recorded in its backend; see engines/applied.py), not from the push's `before`, so
a cancelled, late, replayed or out-of-order run can neither lose a change nor move a stack
backwards. The caller classifies each stack's applied commit against the head (a
`StackPosition`) and passes the files changed from each applied commit to the head.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from orchestrator import graph
from orchestrator.config.load import CONFIG_FILE
from orchestrator.config.resolved import Environment, RepoConfig
from orchestrator.deletions import Destroy, check_left_behind, destroys
from orchestrator.engines.applied import AppliedCommit
from orchestrator.models import FileChange, Plan, PlannedStack, UpToDate
from orchestrator.planner import DirectReasons, compact_waves, direct_reasons, project_graph, with_settings_changes
from orchestrator.referenced import refusal

# never: no record of an update; destroyed: its last applied operation was a destroy; current: at
# the head; ahead: at a descendant of the head on the branch; behind: at an ancestor of the
# head; off-branch: at a commit the branch no longer holds (force push); unknown: at a commit
# this repository does not have; unreadable: the backend could not be read.
Standing = Literal["never", "destroyed", "current", "ahead", "behind", "off-branch", "unknown", "unreadable"]
PLANNED_FROM_BASE: tuple[Standing, ...] = ("behind", "off-branch")


def short(sha: str) -> str:
    return sha[:12]


@dataclass(frozen=True)
class StackPosition:
    """Where a stack stands against the head, and what says so."""

    project: str
    environment: str
    standing: Standing
    applied: AppliedCommit | None = None
    source: Literal["backend", "store", "none"] = "none"
    error: str | None = None  # unreadable: why

    @property
    def id(self) -> str:
        return f"{self.project}/{self.environment}"

    @property
    def base(self) -> str | None:
        """The commit to plan from: the applied one, for stacks behind or off the branch."""
        return self.applied.commit if self.applied is not None and self.standing in PLANNED_FROM_BASE else None

    def to_json(self) -> dict[str, object]:
        return {
            "stack": self.id,
            "standing": self.standing,
            "applied": None if self.applied is None else self.applied.to_json(),
            "source": self.source,
            "error": self.error,
        }


@dataclass(frozen=True)
class LevelInput:
    head_config: RepoConfig
    branch: str
    head: str
    environments: tuple[str, ...]  # in promotion order
    positions: Mapping[str, StackPosition]  # by stack id; a stack missing here was never deployed
    changes: Mapping[str, tuple[FileChange, ...]]  # applied commit -> files changed from it to the head
    left_behind: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)  # by applied commit
    redeploy: bool = False  # run stacks already at the head again
    # More commits to find deleted projects from (the push's `before`): a destroy left pending
    # in a protected environment is found again though the other stacks moved on.
    destroy_bases: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def plan_to_head(given: LevelInput, *, base_config: Callable[[str], RepoConfig]) -> Plan:
    """Every stack the head changes for, from its own applied commit, in dependency waves,
    environment after environment; the others in `Plan.current` with the reason.

    `base_config(commit)` loads a commit's configuration; it is called only for projects
    deleted since (their destroys) or an orchestrator.yaml change.
    """
    head = given.head_config
    deps = project_graph(head)
    reasons_since = functools.cache(lambda base: _direct(head, given.changes.get(base, ()), base, base_config))
    stacks: list[PlannedStack] = []
    current: list[UpToDate] = []
    offset = 0
    for name in given.environments:
        env = head.environment(name)
        chosen, left_alone = _choose(given, env, deps, reasons_since)
        current.extend(left_alone)
        env_graph = graph.restrict(deps, list(chosen))
        levels = graph.waves(env_graph)
        for project in sorted(chosen, key=lambda n: (levels[n], n)):
            stacks.append(_planned(head, env, project, offset + levels[project], env_graph, chosen[project]))
        depth = 1 + max(levels.values(), default=-1)
        for item, base in _destroys(given, env, base_config):
            stacks.append(PlannedStack(
                project=item.project, environment=env.name, stack=item.stack, directory=item.directory,
                operation="destroy", wave=offset + depth + item.level,
                depends_on=tuple(f"{d}/{env.name}" for d in item.after), reasons=item.reasons, base=base,
                refusal=refusal(head, item.project, env.name),
            ))
        offset = 1 + max((s.wave for s in stacks), default=offset - 1)
    bases = [p.base for p in given.positions.values() if p.base is not None]
    return Plan(
        base=Counter(bases).most_common(1)[0][0] if bases else given.head,
        head=given.head,
        branch=given.branch,
        event="push",
        environments=given.environments,
        changed_files=tuple(sorted({p for b in set(bases) for c in given.changes.get(b, ()) for p in c.paths()})),
        stacks=tuple(compact_waves(stacks, list(given.environments))),
        notes=given.notes,
        current=tuple(current),
    )


def _direct(
    head: RepoConfig, changes: tuple[FileChange, ...], base: str, base_config: Callable[[str], RepoConfig]
) -> DirectReasons:
    direct = direct_reasons(head, changes)
    if any(CONFIG_FILE in c.paths() for c in changes):
        direct = with_settings_changes(direct, head, lambda: base_config(base))
    return direct


def _choose(
    given: LevelInput,
    env: Environment,
    deps: dict[str, tuple[str, ...]],
    reasons_since: Callable[[str], DirectReasons],
) -> tuple[dict[str, list[str]], list[UpToDate]]:
    """The projects to run in `env` with their reasons, and the stacks left as they are."""
    head = given.head_config
    chosen: dict[str, list[str]] = {}
    left_alone: dict[str, UpToDate] = {}
    ahead: set[str] = set()
    for project in head.projects:
        if not head.deploys(project, env.name):
            continue
        position = given.positions.get(f"{project}/{env.name}") or StackPosition(project, env.name, "never")
        reasons, up_to_date = _own_reasons(given, env, position, reasons_since)
        if reasons:
            chosen[project] = reasons
        elif up_to_date is not None:
            left_alone[project] = up_to_date
        if position.standing == "ahead":
            ahead.add(project)
    # Dependents of what runs run too (they may read changed outputs), except stacks already at
    # a newer commit: running them at this head would take them back.
    movable = {n: d for n, d in deps.items() if head.deploys(n, env.name) and n not in ahead}
    for project, via in _stale_readers(given, env, movable, chosen, reasons_since).items():
        chosen[project] = [f"depends on {via}"]
        left_alone.pop(project, None)
    for dependent, via in graph.dependents(movable, list(chosen)).items():
        chosen.setdefault(dependent, []).append(f"depends on {via}")
        left_alone.pop(dependent, None)
    return chosen, list(left_alone.values())


def _stale_readers(
    given: LevelInput,
    env: Environment,
    movable: dict[str, tuple[str, ...]],
    chosen: Mapping[str, list[str]],
    reasons_since: Callable[[str], DirectReasons],
) -> dict[str, str]:
    """Stacks behind whose upstream changed since their own applied commit, though that upstream
    does not run now (an earlier run moved it to the head, then failed or was cancelled before
    its dependents): they still read the old outputs. Each mapped to the dependency it reads."""
    stale: dict[str, str] = {}
    for project in movable:
        position = given.positions.get(f"{project}/{env.name}")
        if project in chosen or position is None or position.base is None:
            continue
        since = reasons_since(position.base)
        changed = [u for u in given.head_config.projects
                   if given.head_config.deploys(u, env.name) and since.for_stack(u, env.name, env.stack_name(u))]
        via = graph.dependents(movable, changed).get(project)
        if via is not None:
            stale[project] = via
    return stale


def _own_reasons(
    given: LevelInput, env: Environment, position: StackPosition, reasons_since: Callable[[str], DirectReasons]
) -> tuple[list[str], UpToDate | None]:
    head = given.head
    applied = position.applied
    standing = position.standing
    project, environment = position.project, position.environment
    if standing == "never":
        return [f"never deployed in {environment}: all of it"], None
    if standing == "destroyed":
        assert applied is not None
        return [f"destroyed at {short(applied.commit)}: all of it again"], None
    if standing == "unknown":
        assert applied is not None
        return [f"its applied commit {short(applied.commit)} is not in this repository: all of it"], None
    if standing == "unreadable":
        return [f"its applied commit could not be read: {position.error}"], None
    if standing == "current":
        if given.redeploy:
            return [f"already at {short(head)}; redeploy requested"], None
        return [], UpToDate(project, environment, head, f"already at {short(head)}")
    assert applied is not None
    if standing == "ahead":
        return [], UpToDate(project, environment, applied.commit,
                            f"already at {short(applied.commit)}, which includes {short(head)}")
    since = reasons_since(applied.commit).for_stack(project, environment, env.stack_name(project))
    if not since:
        return [], UpToDate(project, environment, applied.commit,
                            f"at {short(applied.commit)}; nothing since affects it")
    how = "rolled back to" if applied.flow == "rollback" else ("off the branch at" if standing == "off-branch"
                                                                else "at")
    return [f"{how} {short(applied.commit)}; since then: {since[0]}", *since[1:]], None


def _planned(
    head: RepoConfig, env: Environment, project: str, wave: int, env_graph: dict[str, tuple[str, ...]],
    reasons: list[str],
) -> PlannedStack:
    return PlannedStack(
        project=project,
        environment=env.name,
        stack=env.stack_name(project),
        directory=head.projects[project].directory,
        operation="update",
        wave=wave,
        depends_on=tuple(f"{d}/{env.name}" for d in sorted(env_graph[project])),
        reasons=tuple(reasons),
    )


def _destroys(
    given: LevelInput, env: Environment, base_config: Callable[[str], RepoConfig]
) -> list[tuple[Destroy, str]]:
    """Projects deleted since the applied commits of this environment's stacks, each destroyed
    once, with the configuration of the commit it was found from."""
    found: dict[str, tuple[Destroy, str]] = {}
    mine = {p.base for p in given.positions.values() if p.environment == env.name and p.base}
    for base in [*sorted(mine), *(b for b in given.destroy_bases if b not in mine)]:
        changes = given.changes.get(base, ())
        check_left_behind(changes, given.left_behind.get(base, {}))
        for item in destroys(changes, given.head_config, env, functools.partial(base_config, base)):
            found.setdefault(item.project, (item, base))
    return list(found.values())
