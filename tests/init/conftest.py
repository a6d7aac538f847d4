"""Real Git repositories shaped like the ones `orchestrator init` meets, built in tmp_path."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

PULUMI = "name: {name}\nruntime: python\ndescription: {name} infrastructure\n"
MAIN = "import pulumi\n\npulumi.export('name', pulumi.get_project())\n"


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=Init Test", "-c", "user.email=init@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


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


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    """`make_repo(files, branches=("develop",))`: a repository whose first commit on main holds `files`."""

    def make(files: Mapping[str, str], *, branches: tuple[str, ...] = (), name: str = "repo") -> Path:
        root = tmp_path / name
        root.mkdir()
        git(root, "init", "-q", "-b", "main")
        write(root, files)
        commit_all(root, "initial infrastructure")
        for branch in branches:
            git(root, "branch", branch)
        return root

    return make


# The orchestrator under test is an editable install of a worktree without a remote: nothing to
# pin. The CI files are tested as if it had been installed from its repository at this commit.
ORCHESTRATOR_REPO = "https://github.com/acme/gitops-orchestrator"
PIN = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(autouse=True)
def installed_from_a_pinned_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.config.resolved import InstallSource

    def pinned(distribution: str = "gitops-orchestrator") -> tuple[InstallSource | None, str]:
        return InstallSource(git=ORCHESTRATOR_REPO, commit=PIN), f"git {ORCHESTRATOR_REPO}"

    monkeypatch.setattr("orchestrator.init.install.installed_from", pinned)
