"""Real Git repositories shaped like the ones `orchestrator init` meets, built in tmp_path
(the files they hold: tests/support/init_repos.py)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.support.gitrepo import git
from tests.support.init_repos import ORCHESTRATOR_REPO, PIN, MakeRepo, commit_all, write


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


@pytest.fixture(autouse=True)
def installed_from_a_pinned_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.config.resolved import InstallSource

    def pinned(distribution: str = "gitops-orchestrator") -> tuple[InstallSource | None, str]:
        return InstallSource(git=ORCHESTRATOR_REPO, commit=PIN), f"git {ORCHESTRATOR_REPO}"

    monkeypatch.setattr("orchestrator.init.install.installed_from", pinned)
