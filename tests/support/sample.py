"""The sample infrastructure of this repository (orchestrator.yaml, environments/, stacks/,
lib/, policies/) copied into a test's repository, and its stacks deployed with the local engine."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

SAMPLE = Path(__file__).resolve().parents[2]
SAMPLE_PROJECTS = ("network", "data", "app")  # dependency order

StacksCopied = Literal["all", "programs", "none"]


def copy_sample(root: Path, *, environments: Iterable[str] | None = None, stacks: StacksCopied = "all") -> None:
    """Copy lib/, policies/ (the packs orchestrator.yaml names), orchestrator.yaml, the named
    environment files (None: all) and the projects.

    `stacks`: "all" copies stacks/ as it is, "programs" only each project's Pulumi.yaml and
    __main__.py (no Pulumi.<stack>.yaml: no secrets to decrypt), "none" no project.
    """
    root.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__")
    for directory in ("lib", "policies"):
        shutil.copytree(SAMPLE / directory, root / directory, ignore=ignore)
    shutil.copy(SAMPLE / "orchestrator.yaml", root / "orchestrator.yaml")
    if environments is None:
        shutil.copytree(SAMPLE / "environments", root / "environments", ignore=ignore)
    else:
        (root / "environments").mkdir(exist_ok=True)
        for env in environments:
            shutil.copy(SAMPLE / "environments" / f"{env}.yaml", root / "environments" / f"{env}.yaml")
    if stacks == "all":
        shutil.copytree(SAMPLE / "stacks", root / "stacks", ignore=ignore)
    elif stacks == "programs":
        for project in SAMPLE_PROJECTS:
            (root / "stacks" / project).mkdir(parents=True)
            for name in ("Pulumi.yaml", "__main__.py"):
                shutil.copy(SAMPLE / "stacks" / project / name, root / "stacks" / project / name)
    (root / ".gitignore").write_text(".orchestrator/\n__pycache__/\n", encoding="utf-8")


def deploy_stacks(root: Path, environment: str, projects: Iterable[str] = SAMPLE_PROJECTS) -> None:
    """Update the stacks of `environment` in order with the local engine, at the checked-out
    commit, so later previews and drift checks compare against real state."""
    from orchestrator.config.load import load_repository
    from orchestrator.engines.local.engine import LocalEngine

    config = load_repository(root)
    engine = LocalEngine()
    for project in projects:
        result = engine.update(config.stack_spec(project, environment))
        assert result.ok, f"deploying {project}/{environment}: {result.error}"
