"""Pure planning: configuration + change set + branch → Plan.

No I/O here: the caller loads the configurations (head, and base when projects were
deleted) and the change set, and passes them in.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from orchestrator import graph
from orchestrator.config.checks import check_dependency_cycle
from orchestrator.config.load import CONFIG_FILE, PROJECT_FILES, owning_directory, parent_directory
from orchestrator.config.resolved import Environment, Project, RepoConfig
from orchestrator.deletions import check_left_behind, destroys
from orchestrator.deletions import deleted_projects as deleted_projects  # its home before deletions.py
from orchestrator.errors import ConfigError
from orchestrator.globs import match
from orchestrator.models import FileChange, Operation, Plan, PlannedStack
from orchestrator.policy.changes import changed_pack_reasons, changed_settings_reasons
from orchestrator.referenced import refusal

Event = Literal["pr", "push"]
_MAX_LISTED_FILES = 3


@dataclass(frozen=True)
class PlanInput:
    head_config: RepoConfig
    changes: tuple[FileChange, ...]
    branch: str
    event: Event
    base: str
    head: str
    # For each directory whose Pulumi.yaml the change removed (see `deleted_projects`): the
    # files still there at head. The caller lists them; a program among them is an error.
    left_behind: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def project_graph(config: RepoConfig) -> dict[str, tuple[str, ...]]:
    """Dependencies between the repository's projects; a cycle is a configuration error
    (`load_repository` finds it first; checked again for configs built by hand)."""
    check_dependency_cycle(config)
    return {
        name: tuple(d for d in project.dependencies if d in config.projects)
        for name, project in config.projects.items()
    }


def owner_of(path: str, projects: Sequence[Project]) -> Project | None:
    """The deepest project whose directory contains `path`."""
    by_directory = {p.directory: p for p in projects}
    directory = owning_directory(path, by_directory)
    return None if directory is None else by_directory[directory]


def plan(
    given: PlanInput,
    *,
    base_config: Callable[[], RepoConfig] | None = None,
) -> Plan:
    """The stacks to run for a change on a branch, with reasons, in waves.

    `base_config` loads the base commit's configuration; it is called only when a project
    directory was deleted or orchestrator.yaml changed, since only then is it needed.
    """
    head = given.head_config
    deps = project_graph(head)
    if base_config is not None:
        base_config = functools.cache(base_config)
    envs = head.environments_for_branch(given.branch)
    changed_files = tuple(sorted({p for c in given.changes for p in c.paths()}))
    if not envs:
        return Plan(
            base=given.base,
            head=given.head,
            branch=given.branch,
            event=given.event,
            environments=(),
            changed_files=changed_files,
            stacks=(),
            notes=(f"no environment tracks branch {given.branch}",),
        )

    check_left_behind(given.changes, given.left_behind)
    direct = direct_reasons(head, given.changes)
    if base_config is not None and CONFIG_FILE in changed_files:
        direct = with_settings_changes(direct, head, base_config)
    operation: Operation = "preview" if given.event == "pr" else "update"
    stacks: list[PlannedStack] = []
    offset = 0
    for env, _rule in envs:
        chosen = _stacks_in_environment(head, env, deps, direct)
        env_graph = graph.restrict(deps, chosen)
        levels = graph.waves(env_graph)
        for name in sorted(chosen, key=lambda n: (levels[n], n)):
            stacks.append(
                PlannedStack(
                    project=name,
                    environment=env.name,
                    stack=env.stack_name(name),
                    directory=head.projects[name].directory,
                    operation=operation,
                    wave=offset + levels[name],
                    depends_on=tuple(f"{d}/{env.name}" for d in sorted(env_graph[name])),
                    reasons=tuple(chosen[name]),
                )
            )
        depth = 1 + max(levels.values(), default=-1)
        destroyed = destroys(given.changes, head, env, base_config)
        for item in destroyed:
            stacks.append(
                PlannedStack(
                    project=item.project,
                    environment=env.name,
                    stack=item.stack,
                    directory=item.directory,
                    operation="destroy",
                    wave=offset + depth + item.level,
                    depends_on=tuple(f"{d}/{env.name}" for d in item.after),
                    reasons=item.reasons,
                    refusal=refusal(head, item.project, env.name),
                )
            )
        depth += 1 + max((item.level for item in destroyed), default=-1)
        # Pushes promote through environments in order; previews of all environments run side by side.
        if given.event == "push":
            offset += depth
    return Plan(
        base=given.base,
        head=given.head,
        branch=given.branch,
        event=given.event,
        environments=tuple(env.name for env, _ in envs),
        changed_files=changed_files,
        stacks=tuple(compact_waves(stacks, [env.name for env, _ in envs])),
        notes=tuple(f"branch {given.branch} → {env.name} (rule `{rule}` in {env.source})" for env, rule in envs),
    )


def plan_all(
    config: RepoConfig,
    environments: Sequence[str],
    *,
    operation: Operation,
    head: str,
    branch: str = "",
    projects: Sequence[str] | None = None,
    reason: str,
) -> Plan:
    """Every stack of `environments` (optionally only `projects`), in dependency waves.

    For runs that are not driven by a change set: drift checks, rollbacks, promotions.
    Environments run one after the other in the given order.
    """
    deps = project_graph(config)
    stacks: list[PlannedStack] = []
    offset = 0
    for name in environments:
        env = config.environment(name)
        chosen = [p for p in config.projects if config.deploys(p, env.name) and (projects is None or p in projects)]
        env_graph = graph.restrict(deps, chosen)
        levels = graph.waves(env_graph)
        for project in sorted(chosen, key=lambda n: (levels[n], n)):
            stacks.append(
                PlannedStack(
                    project=project,
                    environment=env.name,
                    stack=env.stack_name(project),
                    directory=config.projects[project].directory,
                    operation=operation,
                    wave=offset + levels[project],
                    depends_on=tuple(f"{d}/{env.name}" for d in sorted(env_graph[project])),
                    reasons=(reason,),
                )
            )
        offset += 1 + max(levels.values(), default=-1)
    return Plan(
        base=head,
        head=head,
        branch=branch,
        event="push",
        environments=tuple(environments),
        changed_files=(),
        stacks=tuple(compact_waves(stacks, list(environments))),
    )


def compact_waves(stacks: list[PlannedStack], env_order: list[str]) -> list[PlannedStack]:
    """Renumber waves 0..n-1 without gaps (environments with nothing to run leave none)."""
    used = sorted({s.wave for s in stacks})
    remap = {w: i for i, w in enumerate(used)}
    out = [s if remap[s.wave] == s.wave else _with_wave(s, remap[s.wave]) for s in stacks]
    # Within a wave, environments in promotion order (qa, uat, prod), not alphabetical.
    return sorted(out, key=lambda s: (s.wave, env_order.index(s.environment), s.project))


def _with_wave(stack: PlannedStack, wave: int) -> PlannedStack:
    return replace(stack, wave=wave)


@dataclass(frozen=True)
class DirectReasons:
    """Why stacks run, before dependents are added."""

    projects: dict[str, list[str]]  # project -> reasons, in every environment
    environments: dict[str, list[str]]  # environment -> reasons, for all its projects
    stack_files: dict[tuple[str, str], list[str]]  # (project, stack name) -> Pulumi.<stack>.yaml changes

    def for_stack(self, project: str, environment: str, stack_name: str) -> list[str]:
        stack_file = self.stack_files.get((project, stack_name.rsplit("/", 1)[-1]), [])
        return [*self.projects.get(project, []), *stack_file, *self.environments.get(environment, [])]


def direct_reasons(head: RepoConfig, changes: Sequence[FileChange]) -> DirectReasons:
    """Reasons per project, per environment, and per stack (its Pulumi.<stack>.yaml)."""
    projects = list(head.projects.values())
    by_directory = {p.directory: p for p in projects}
    watching = [p for p in projects if p.watch]
    files_by_project: dict[str, list[str]] = defaultdict(list)
    reasons: dict[str, list[str]] = defaultdict(list)
    env_reasons: dict[str, list[str]] = defaultdict(list)
    stack_reasons: dict[tuple[str, str], list[str]] = defaultdict(list)
    env_files = {env.source: env.name for env in head.environments.values()}
    for change in changes:
        for path in change.paths():
            owner = owning_directory(path, by_directory)
            stack = _stack_file_stack(path, owner)
            if owner is not None and stack is not None:
                # Pulumi.<stack>.yaml configures one stack only: the other environments are untouched.
                _add(stack_reasons[(by_directory[owner].name, stack)], f"changed {path}")
            elif owner is not None:
                files_by_project[by_directory[owner].name].append(path)
            for project in watching:
                glob = next((g for g in project.watch if match(g, path)), None)
                if glob:
                    _add(reasons[project.name], f"{path} matches watch `{glob}` of project {project.name}")
            glob = next((g for g in head.settings.watch if match(g, path)), None)
            if glob:
                for project in projects:
                    _add(reasons[project.name], f"{path} matches repo-wide watch `{glob}` in {CONFIG_FILE}")
            if path in env_files:
                _add(env_reasons[env_files[path]], f"{path} changed")
    for name, files in files_by_project.items():
        reasons[name].insert(0, _files_reason(files, head.projects[name].directory))
    packs = {env.name: [p.path for p in env.policy_packs] for env in head.environments.values()}
    for env_name, why in changed_pack_reasons(packs, (p for c in changes for p in c.paths())).items():
        for reason in why:
            _add(env_reasons[env_name], reason)
    return DirectReasons(projects=dict(reasons), environments=dict(env_reasons), stack_files=dict(stack_reasons))


def _stack_file_stack(path: str, owner: str | None) -> str | None:
    """The stack a `Pulumi.<stack>.yaml` directly in a project directory configures, else None."""
    if owner is None:
        return None
    directory, name = parent_directory(path), path.rsplit("/", 1)[-1]
    if directory != owner or name in PROJECT_FILES:
        return None  # Pulumi.yaml is the project's own file: every stack of the project
    if not name.startswith("Pulumi.") or not name.endswith((".yaml", ".yml")):
        return None
    stack = name.removeprefix("Pulumi.").rsplit(".", 1)[0]
    return stack or None


def with_settings_changes(
    direct: DirectReasons, head: RepoConfig, base_config: Callable[[], RepoConfig]
) -> DirectReasons:
    """Projects whose own settings in orchestrator.yaml changed (watch, depends_on, environments),
    and environments whose policy packs there changed (their stacks are checked against them).

    Repo-wide settings (comment size, trust, VCS) change what the orchestrator does, not what a
    stack deploys, so they plan nothing by themselves.
    """
    try:
        base = base_config()
    except ConfigError:
        return direct  # the base could not be read: only the head's reasons count
    projects = {name: list(reasons) for name, reasons in direct.projects.items()}
    for name, project in head.projects.items():
        before = base.projects.get(name)
        if before is None or _settings_of(before) == _settings_of(project):
            continue
        _add(projects.setdefault(name, []), f"its settings in {CONFIG_FILE} changed")
    environments = {name: list(reasons) for name, reasons in direct.environments.items()}
    for name, why in changed_settings_reasons(
        _repo_wide_packs(base), _repo_wide_packs(head), config_file=CONFIG_FILE
    ).items():
        for reason in why:
            _add(environments.setdefault(name, []), reason)
    return replace(direct, projects=projects, environments=environments)


def _repo_wide_packs(config: RepoConfig) -> dict[str, list[tuple[str, object]]]:
    return {
        env.name: [(p.path, p.config) for p in env.policy_packs if p.source.startswith(CONFIG_FILE)]
        for env in config.environments.values()
    }


def _settings_of(project: Project) -> tuple[object, ...]:
    return (project.watch, project.depends_on, project.environments)


def _files_reason(files: list[str], directory: str) -> str:
    unique = sorted(set(files))
    if len(unique) == 1:
        return f"changed {unique[0]}"
    listed = ", ".join(unique[:_MAX_LISTED_FILES])
    more = len(unique) - _MAX_LISTED_FILES
    suffix = f" and {more} more" if more > 0 else ""
    return f"{len(unique)} files changed in {directory}/: {listed}{suffix}"


def _add(reasons: list[str], reason: str) -> None:
    if reason not in reasons:
        reasons.append(reason)


def _stacks_in_environment(
    head: RepoConfig,
    env: Environment,
    deps: dict[str, tuple[str, ...]],
    direct: DirectReasons,
) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for name in head.projects:
        if not head.deploys(name, env.name):
            continue
        reasons = direct.for_stack(name, env.name, env.stack_name(name))
        if reasons:
            chosen[name] = reasons
    deployed = {n: d for n, d in deps.items() if head.deploys(n, env.name)}
    for dependent, via in graph.dependents(deployed, list(chosen)).items():
        chosen.setdefault(dependent, []).append(f"depends on {via}")
    return chosen
