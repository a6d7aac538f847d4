"""Repositories shaped like the ones `orchestrator init` meets: Pulumi projects and files."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from tests.support.gitrepo import git

PULUMI = "name: {name}\nruntime: python\ndescription: {name} infrastructure\n"
MAIN = "import pulumi\n\npulumi.export('name', pulumi.get_project())\n"

# The orchestrator under test is an editable install of a worktree without a remote: nothing to
# pin. The CI files are tested as if it had been installed from its repository at this commit.
ORCHESTRATOR_REPO = "https://github.com/acme/gitops-orchestrator"
PIN = "0123456789abcdef0123456789abcdef01234567"


def write(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def project(directory: str, name: str, *stacks: str, region: str | None = None) -> dict[str, str]:
    """A Pulumi Python project and its `Pulumi.<stack>.yaml` files."""
    prefix = "" if directory == "." else f"{directory}/"
    files = {f"{prefix}Pulumi.yaml": PULUMI.format(name=name), f"{prefix}__main__.py": MAIN}
    for stack in stacks:
        config = f"config:\n  aws:region: {region}\n" if region else "config: {}\n"
        files[f"{prefix}Pulumi.{stack}.yaml"] = config
    return files


MakeRepo = Callable[..., Path]
