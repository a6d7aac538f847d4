"""Real Git repositories in tmp_path, and the real CLI run in-process.

`make_repo(files)` builds a repository whose first commit on `main` holds `files`;
the returned `GitFixture` commits further changes, makes branches, renames and deletes.
`run_cli(*args)` runs `orchestrator.cli.main` (the console script's entry point, with its
one error boundary) and returns the exit code with what it printed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.support.foundation_repo import BASE_FILES, CliResult, GitFixture


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system Git configuration leaks in; commits get a fixed identity."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("COLUMNS", "250")  # rich tables: no truncation in captured output
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., GitFixture]:
    counter = iter(range(1000))

    def build(files: Mapping[str, str | None] | None = None, *, base: bool = True) -> GitFixture:
        """A repository whose first commit on `main` holds BASE_FILES (unless base=False) plus `files`."""
        path = tmp_path / f"repo{next(counter)}"
        path.mkdir()
        repo = GitFixture(path)
        repo.git("init", "-q", "-b", "main")
        content: dict[str, str | None] = dict(BASE_FILES) if base else {}
        content.update(files or {})
        repo.write({k: v for k, v in content.items() if v is not None})
        repo.commit(message="initial")
        return repo

    return build


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    from orchestrator.cli import main

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code=code, out=captured.out, err=captured.err)

    return run


@pytest.fixture
def plan_json(run_cli: Callable[..., CliResult]) -> Callable[..., dict[str, Any]]:
    """`orchestrator plan --format json` for a repository; asserts exit 0."""

    def plan(repo: GitFixture, *args: str) -> dict[str, Any]:
        result = run_cli("plan", "--repo", repo.path, "--format", "json", *args)
        assert result.code == 0, result.err
        assert "Traceback" not in result.err
        data: dict[str, Any] = result.json()
        return data

    return plan


@pytest.fixture
def repo(make_repo: Callable[..., GitFixture]) -> Iterator[GitFixture]:
    yield make_repo()
