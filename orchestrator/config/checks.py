"""Checks across the loaded configuration: references between files, names that become
paths, and dependency cycles. Each error names the file, the key and, where YAML gives it,
the line."""

from __future__ import annotations

from itertools import pairwise

from orchestrator.config.resolved import Project, RepoConfig
from orchestrator.config.review import check_review
from orchestrator.config.tree import Tree
from orchestrator.errors import ConfigError
from orchestrator.names import stack_name_problem
from orchestrator.yamlfile import line_of

CONFIG_FILE = "orchestrator.yaml"


def check_references(config: RepoConfig, tree: Tree, settings_text: bytes) -> None:
    envs = config.environments
    env_texts = tree.read_many([e.source for e in envs.values()])
    for env in envs.values():
        text = env_texts.get(env.source, b"")
        for i, required in enumerate(env.requires):
            if required not in envs:
                raise ConfigError(
                    f"requires unknown environment {required!r}",
                    file=env.source,
                    key=f"requires[{i}]",
                    line=line_of(text, ["requires", i]),
                    hint=f"known environments: {', '.join(sorted(envs))}",
                )
        for i, project in enumerate(env.projects or ()):
            if project not in config.projects:
                raise ConfigError(
                    f"lists unknown project {project!r}",
                    file=env.source,
                    key=f"projects[{i}]",
                    line=line_of(text, ["projects", i]),
                    hint=f"known projects: {', '.join(sorted(config.projects)) or 'none'}",
                )
    _check_requires_cycle(config, env_texts)
    _check_stack_names(config, env_texts)
    check_review(config, env_texts)
    for proj in config.projects.values():
        _check_project_references(config, proj, settings_text)
    check_dependency_cycle(config, settings_text)


def _check_stack_names(config: RepoConfig, env_texts: dict[str, bytes]) -> None:
    """Every stack name an environment's `stack_name` makes is a valid Pulumi stack name (it
    becomes a file name in the state backend)."""
    for env in config.environments.values():
        for project in env.projects or sorted(config.projects):
            problem = stack_name_problem(env.stack_name(project))
            if problem:
                raise ConfigError(
                    f"{problem} (for project {project!r})",
                    file=env.source,
                    key="stack_name",
                    line=line_of(env_texts.get(env.source, b""), ["stack_name"]),
                    hint="stack names are letters, digits, '_', '.' and '-'; the placeholders are {env} and {project}",
                )


def check_dependency_cycle(config: RepoConfig, settings_text: bytes = b"") -> None:
    """Projects that depend on each other in a cycle (depends_on or StackReference): an error
    naming the cycle and where each edge was declared."""
    from orchestrator.graph import find_cycle

    deps = {
        name: tuple(d for d in project.dependencies if d in config.projects)
        for name, project in config.projects.items()
    }
    cycle = find_cycle(deps)
    if cycle:
        edges = [_edge_origin(config.projects[a], b) for a, b in pairwise(cycle)]
        first_explicit = next((a for a, b in pairwise(cycle) if b in config.projects[a].depends_on), None)
        raise ConfigError(
            f"projects depend on each other in a cycle: {' -> '.join(cycle)} ({'; '.join(edges)})",
            file=CONFIG_FILE if first_explicit else None,
            key=f"projects.{first_explicit}.depends_on" if first_explicit else None,
            line=line_of(settings_text, ["projects", first_explicit, "depends_on"]) if first_explicit else None,
            hint="break the cycle: remove a depends_on entry or a StackReference between these projects",
        )


def _edge_origin(project: Project, dependency: str) -> str:
    """Where `project` -> `dependency` was declared, so the user knows what to edit."""
    if dependency in project.depends_on:
        return f"{project.name} -> {dependency}: depends_on in {CONFIG_FILE}"
    where = ", ".join(project.dependency_origins().get(dependency, ())) or f"{project.directory}/"
    return f"{project.name} -> {dependency}: StackReference in {where}"


def _check_requires_cycle(config: RepoConfig, env_texts: dict[str, bytes]) -> None:
    from orchestrator.graph import find_cycle

    cycle = find_cycle({env.name: env.requires for env in config.environments.values()})
    if cycle:
        first = config.environments[cycle[0]]
        raise ConfigError(
            f"environments require each other in a cycle: {' -> '.join(cycle)}",
            file=first.source,
            key="requires",
            line=line_of(env_texts.get(first.source, b""), ["requires"]),
            hint="a commit could never reach any of them; remove one of these `requires` entries",
        )


def _check_project_references(config: RepoConfig, project: Project, settings_text: bytes) -> None:
    for i, dependency in enumerate(project.depends_on):
        if dependency == project.name:
            raise ConfigError(
                "a project cannot depend on itself",
                file=CONFIG_FILE,
                key=f"projects.{project.name}.depends_on[{i}]",
                line=line_of(settings_text, ["projects", project.name, "depends_on", i]),
                hint=f"remove {project.name!r} from its own depends_on",
            )
        if dependency not in config.projects:
            raise ConfigError(
                f"depends on unknown project {dependency!r}",
                file=CONFIG_FILE,
                key=f"projects.{project.name}.depends_on[{i}]",
                line=line_of(settings_text, ["projects", project.name, "depends_on", i]),
                hint=f"known projects: {', '.join(sorted(config.projects))}",
            )
    for i, env in enumerate(project.environments or ()):
        if env not in config.environments:
            raise ConfigError(
                f"lists unknown environment {env!r}",
                file=CONFIG_FILE,
                key=f"projects.{project.name}.environments[{i}]",
                line=line_of(settings_text, ["projects", project.name, "environments", i]),
                hint=f"known environments: {', '.join(sorted(config.environments))}",
            )


