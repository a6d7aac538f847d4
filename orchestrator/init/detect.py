"""Detection: the Pulumi projects, their stack files, branches and shared code of a repository."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from orchestrator.config.load import PROJECT_FILES, owning_directory
from orchestrator.errors import ConfigError, UserError
from orchestrator.init.model import DetectedProject, Detection
from orchestrator.stackrefs import find_stack_references
from orchestrator.yamlfile import parse

if TYPE_CHECKING:
    from orchestrator.git import GitRepo

_STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>.+)\.ya?ml$")
# Directories never searched: tools' caches and virtual environments hold other people's
# Pulumi.yaml files (SDK examples, test fixtures) that are not this repository's projects.
_SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages", "dist-packages"})
# Shared code that projects import; a change there must plan every project (repo-wide watch).
_SHARED_DIR_NAMES = ("lib", "libs", "common", "shared", "modules", "components", "pkg", "utils")


def detect(git: GitRepo) -> Detection:
    root = git.root
    paths = _repository_files(git)
    projects = _with_references(root, paths, tuple(_detect_projects(root, paths)))
    if not projects:
        raise UserError(
            f"no Pulumi project found in {root}: no Pulumi.yaml or Pulumi.yml outside .git, "
            "node_modules and virtual environments",
            hint="run `orchestrator init` in a repository holding Pulumi projects "
            "(`pulumi new` creates one), or pass --repo PATH",
        )
    branches = _branches(git)
    return Detection(
        root=root,
        projects=projects,
        branches=branches,
        default_branch=_default_branch(git, branches),
        shared_dirs=_shared_dirs(paths, projects),
        remote_repo=_remote_repo(git),
        requirements=_requirements(paths, projects),
    )


def _repository_files(git: GitRepo) -> list[str]:
    """Tracked and untracked files, less what .gitignore ignores and the directories we skip."""
    raw = git.run("ls-files", "-z", "--cached", "--others", "--exclude-standard")
    candidates = sorted({p for p in raw.decode(errors="replace").split("\0") if p})
    venvs = _virtualenv_dirs(git.root, candidates)
    return [p for p in candidates if not _skipped(p, venvs) and (git.root / p).is_file()]


def _virtualenv_dirs(root: Path, paths: Iterable[str]) -> set[str]:
    # A venv may have any name; its pyvenv.cfg gives it away.
    found = {p.rsplit("/", 1)[0] for p in paths if p.endswith("/pyvenv.cfg")}
    for entry in os.scandir(root):  # untracked, unignored venvs hold thousands of files: cheap check
        if entry.is_dir() and (Path(entry.path) / "pyvenv.cfg").is_file():
            found.add(entry.name)
    return found


def _skipped(path: str, venvs: set[str]) -> bool:
    parts = path.split("/")[:-1]
    for i, part in enumerate(parts):
        # Hidden directories (.git, .venv, .orchestrator) are skipped by config discovery too.
        if part.startswith(".") or part in _SKIP_DIRS or "/".join(parts[: i + 1]) in venvs:
            return True
    return False


def _detect_projects(root: Path, paths: Sequence[str]) -> Iterable[DetectedProject]:
    by_dir: dict[str, list[str]] = {}
    for path in paths:
        directory, _, name = path.rpartition("/")
        by_dir.setdefault(directory or ".", []).append(name)
    for directory in sorted(by_dir, key=lambda d: (d != ".", d.count("/"), d)):
        names = by_dir[directory]
        project_files = [n for n in PROJECT_FILES if n in names]
        if not project_files:
            continue
        if len(project_files) > 1:
            raise UserError(
                f"{directory}/ holds both Pulumi.yaml and Pulumi.yml",
                hint="keep one of them; Pulumi reads only one",
            )
        rel = project_files[0] if directory == "." else f"{directory}/{project_files[0]}"
        name, runtime = _read_project(root / rel, rel)
        stacks = sorted(m.group("stack") for n in names if (m := _STACK_FILE.match(n)) and n not in PROJECT_FILES)
        base = root if directory == "." else root / directory
        yield DetectedProject(
            name=name,
            directory=directory,
            runtime=runtime,
            stacks=tuple(stacks),
            regions=_stack_regions(base, names, stacks),
        )


class _Files:
    """The repository's detected files as the StackReference scan reads them."""

    def __init__(self, root: Path, paths: Sequence[str]) -> None:
        self.root = root
        self.paths = paths

    def files_containing(self, under: str, needle: str, suffix: str | tuple[str, ...] = "") -> list[str]:
        wanted = [p for p in self.paths if p.endswith(suffix)]
        return [p for p, text in self.read_many(wanted).items() if needle.encode() in text]

    def read_many(self, paths: Sequence[str]) -> dict[str, bytes]:
        return {p: (self.root / p).read_bytes() for p in paths}


def _with_references(
    root: Path, paths: Sequence[str], projects: tuple[DetectedProject, ...]
) -> tuple[DetectedProject, ...]:
    """Each project with the StackReferences of its programs: an environment that keeps a
    project must keep the projects it reads, or its stack fails there."""
    directories = {p.directory: p for p in projects}
    sites = find_stack_references(
        _Files(root, paths), ".", lambda path: owning_directory(path, directories), lambda d: directories[d].name
    )
    return tuple(replace(p, reads=sites.get(p.directory, ())) for p in projects)


def _read_project(path: Path, rel: str) -> tuple[str, str]:
    data = parse(path.read_bytes(), file=rel)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"]:
        raise UserError(f"{rel}: has no project `name`", hint="a Pulumi.yaml needs `name:` and `runtime:`")
    runtime = data.get("runtime")
    if isinstance(runtime, dict):
        runtime = runtime.get("name")
    return data["name"], str(runtime or "unknown")


def _stack_regions(base: Path, names: Sequence[str], stacks: Sequence[str]) -> dict[str, str]:
    """Each stack's `aws:region` config, so the proposed environment keeps the region in use."""
    regions: dict[str, str] = {}
    for stack in stacks:
        name = next(n for n in (f"Pulumi.{stack}.yaml", f"Pulumi.{stack}.yml") if n in names)
        try:
            data = parse((base / name).read_bytes(), file=name)
        except ConfigError:
            continue  # not ours to validate; Pulumi will say what is wrong with it
        config = data.get("config") if isinstance(data, dict) else None
        region = config.get("aws:region") if isinstance(config, dict) else None
        if isinstance(region, str):
            regions[stack] = region
    return regions


def _branches(git: GitRepo) -> tuple[str, ...]:
    """Local branches and the branches of remotes (a fresh clone has `main` only, locally)."""
    local = set(git.branches())
    raw = git.run("for-each-ref", "--format=%(refname:short)", "refs/remotes")
    remote = set()
    for ref in raw.decode().split():
        _remote, sep, name = ref.partition("/")
        if sep and name and name != "HEAD":
            remote.add(name)
    return tuple(sorted(local | remote))


def _default_branch(git: GitRepo, branches: Sequence[str]) -> str:
    for candidate in ("main", "master"):
        if candidate in branches:
            return candidate
    return git.current_branch() or (branches[0] if branches else "main")


def _shared_dirs(paths: Sequence[str], projects: Sequence[DetectedProject]) -> tuple[str, ...]:
    """Directories of shared code (lib/, common/...) at the root or beside the projects' directories."""
    project_dirs = {p.directory for p in projects}
    # Beside a project or beside any of its ancestors: lib/ next to infra/, services/common/...
    parents = {"."} | {str(a) for p in projects if p.directory != "." for a in PurePosixPath(p.directory).parents}
    found: set[str] = set()
    for path in paths:
        parts = PurePosixPath(path).parts
        for depth in range(len(parts) - 1):
            directory = "/".join(parts[: depth + 1])
            parent = "/".join(parts[:depth]) or "."
            if parts[depth] in _SHARED_DIR_NAMES and parent in parents and directory not in project_dirs:
                found.add(directory)
    # A shared directory holding a project is that project's business, not shared code.
    return tuple(sorted(d for d in found if not any(p.startswith(d + "/") for p in project_dirs)))


def _requirements(paths: Sequence[str], projects: Sequence[DetectedProject]) -> tuple[str, ...]:
    wanted = {"requirements.txt" if p.directory == "." else f"{p.directory}/requirements.txt" for p in projects}
    return tuple(sorted(wanted.intersection(paths)))


def _remote_repo(git: GitRepo) -> str | None:
    try:
        url = git.run("config", "--get", "remote.origin.url").decode().strip()
    except UserError:
        return None
    found = re.search(r"[:/]([\w.-]+/[\w.-]+?)(?:\.git)?/?$", url)
    return found.group(1) if found else None
