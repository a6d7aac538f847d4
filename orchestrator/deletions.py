"""Pure: projects a change deleted. Their stacks are destroyed, planned from the base commit's
configuration; a project file removed while the program stays is an error instead, since
planning it as a deletion would destroy stacks whose code is still in the repository."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from orchestrator import graph
from orchestrator.config.load import PROJECT_FILES, owning_directory, parent_directory
from orchestrator.config.resolved import Environment, RepoConfig
from orchestrator.errors import ConfigError
from orchestrator.models import FileChange

_MAX_LISTED_FILES = 3
# Files that make a directory a Pulumi program even without its Pulumi.yaml: a project file
# removed while these stay is a mistake (a destroy of live stacks), not a deleted project.
PROGRAM_FILES = ("__main__.py", "Main.yaml", "package.json", "go.mod", "requirements.txt", "pyproject.toml")
PROGRAM_SUFFIXES = (".py", ".ts", ".js", ".go", ".cs", ".fs", ".vb", ".java")



def deleted_projects(changes: Sequence[FileChange], head: RepoConfig) -> list[str]:
    """Directories whose Pulumi.yaml disappeared in the change (candidates for destroy)."""
    gone = []
    for change in changes:
        removed = change.old_path if change.kind == "renamed" else (change.path if change.kind == "deleted" else None)
        if removed and removed.rsplit("/", 1)[-1] in PROJECT_FILES:
            directory = parent_directory(removed)
            if not any(p.directory == directory for p in head.projects.values()):
                gone.append(directory)
    return gone


class HeadFiles(Protocol):
    def files(self, under: str) -> list[str]: ...


def left_behind(changes: Sequence[FileChange], head: RepoConfig, tree: HeadFiles) -> dict[str, tuple[str, ...]]:
    """The files still at head in each directory whose Pulumi.yaml the change removed (nested
    projects' files excluded: they belong to those projects)."""
    found: dict[str, tuple[str, ...]] = {}
    for directory in deleted_projects(changes, head):
        owners = {p.directory: p for p in head.projects.values()} | {directory: None}
        found[directory] = tuple(f for f in tree.files(directory) if owning_directory(f, owners) == directory)
    return found


def check_left_behind(changes: Sequence[FileChange], left_behind: Mapping[str, tuple[str, ...]]) -> None:
    """A removed or renamed Pulumi.yaml whose directory still holds a program is an error: planning
    it as a deleted project would destroy stacks whose code is still in the repository."""
    for change in changes:
        removed = change.old_path if change.kind == "renamed" else (change.path if change.kind == "deleted" else None)
        if not removed or removed.rsplit("/", 1)[-1] not in PROJECT_FILES:
            continue
        program = [f for f in left_behind.get(parent_directory(removed), ()) if _is_program_file(f)]
        if not program:
            continue
        how = f"was renamed to {change.path}" if change.kind == "renamed" else "was removed"
        listed = ", ".join(program[:_MAX_LISTED_FILES]) + (" ..." if len(program) > _MAX_LISTED_FILES else "")
        raise ConfigError(
            f"the project file {how}, but its directory still holds a program ({listed})",
            file=removed,
            hint=f"to delete the project, delete the whole directory {parent_directory(removed)}/ (its stacks are "
            f"then destroyed); to keep it, restore {removed}",
        )


def _is_program_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name in PROGRAM_FILES or name.endswith(PROGRAM_SUFFIXES)




@dataclass(frozen=True)
class Destroy:
    project: str
    stack: str
    directory: str
    reasons: tuple[str, ...]
    level: int = 0  # destroy wave within the environment's destroys: dependents first
    after: tuple[str, ...] = ()  # destroyed projects that read this one's outputs (base commit)


def destroys(
    changes: Sequence[FileChange], head: RepoConfig, env: Environment, base_config: Callable[[], RepoConfig] | None
) -> list[Destroy]:
    """The stacks of `env` whose project directory the change deleted, read from the base commit's
    configuration (`base_config`, called only when there is one), dependents first."""
    directories = deleted_projects(changes, head)
    if not directories or base_config is None:
        return []
    base = base_config()
    out = []
    for project in base.projects.values():
        if project.directory not in directories or project.name in head.projects:
            continue
        if env.name not in base.environments or not base.deploys(project.name, env.name):
            continue
        stack = base.environments[env.name].stack_name(project.name)
        out.append(
            Destroy(
                project=project.name,
                stack=stack,
                directory=project.directory,
                reasons=(f"project directory {project.directory}/ deleted; its stack {stack} will be destroyed",),
            )
        )
    return _dependents_first(out, base)


def _dependents_first(destroys: list[Destroy], base: RepoConfig) -> list[Destroy]:
    """Order destroys in reverse dependency order (from the base commit): a stack goes only after
    the stacks reading its outputs are gone, as Pulumi deletes resources."""
    names = [d.project for d in destroys]
    readers = graph.reverse(
        graph.restrict({n: base.projects[n].dependencies for n in names}, names)
    )  # project -> destroyed projects depending on it
    if graph.find_cycle(readers):  # the base commit was invalid; keep one wave
        return destroys
    levels = graph.waves(readers)
    return [replace(d, level=levels[d.project], after=tuple(sorted(readers.get(d.project, ())))) for d in destroys]
