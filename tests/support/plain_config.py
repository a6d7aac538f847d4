"""Configurations built from plain values, for the pure planner: no Git, no files, no CLI.

`repo_config(environments=[env("dev", "develop")], projects=[project("network")])` is the
configuration `load_repository` would resolve for such a repository.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from orchestrator.config.resolved import Environment, Project, RepoConfig, Settings
from orchestrator.models import FileChange


def env(name: str, *branch_rules: str, order: int = 0, **options: Any) -> Environment:
    """An environment from `environments/<name>.yaml` tracking `branch_rules`."""
    return Environment(
        name=name, source=f"environments/{name}.yaml", branch_rules=branch_rules, order=order, **options
    )


def project(name: str, *, directory: str | None = None, **options: Any) -> Project:
    """A project in `stacks/<name>` unless told otherwise."""
    return Project(name=name, directory=directory or f"stacks/{name}", **options)


def repo_config(
    *, environments: Iterable[Environment], projects: Iterable[Project], watch: tuple[str, ...] = ()
) -> RepoConfig:
    return RepoConfig(
        root=Path("/nowhere"),  # never read: the planner does no I/O
        source="plain values",
        settings=Settings(watch=watch),
        environments={e.name: e for e in environments},
        projects={p.name: p for p in projects},
    )


def modified(*paths: str) -> tuple[FileChange, ...]:
    return tuple(FileChange(path=p, kind="modified") for p in paths)


def deleted(*paths: str) -> tuple[FileChange, ...]:
    return tuple(FileChange(path=p, kind="deleted") for p in paths)
