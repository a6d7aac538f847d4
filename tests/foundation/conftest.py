"""Real Git repositories in tmp_path, and the real CLI run in-process.

`make_repo(files)` builds a repository whose first commit on `main` holds `files`;
the returned `GitFixture` commits further changes, makes branches, renames and deletes.
`run_cli(*args)` runs `orchestrator.cli.main` (the console script's entry point, with its
one error boundary) and returns the exit code with what it printed.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# A small infrastructure repository in the shape of DESIGN section 3: dev on `develop`,
# qa -> uat -> prod on `main`; app reads data through an f-string StackReference, data
# reads network through a literal one.
PULUMI = "name: {name}\nruntime: python\n"

BASE_FILES: dict[str, str] = {
    "environments/dev.yaml": "branch: develop\norder: 1\n",
    "environments/qa.yaml": "branch: main\norder: 2\n",
    "environments/uat.yaml": "branch: main\norder: 3\nrequires: [qa]\n",
    "environments/prod.yaml": "branch: main\norder: 4\nrequires: [uat]\nprotected: true\napprovals: 1\n",
    "stacks/network/Pulumi.yaml": PULUMI.format(name="network"),
    "stacks/network/__main__.py": "import pulumi\npulumi.export('vpc', 'vpc-1')\n",
    "stacks/data/Pulumi.yaml": PULUMI.format(name="data"),
    "stacks/data/__main__.py": textwrap.dedent(
        """\
        import pulumi
        net = pulumi.StackReference("organization/network/dev")
        """
    ),
    "stacks/app/Pulumi.yaml": PULUMI.format(name="app"),
    "stacks/app/__main__.py": textwrap.dedent(
        """\
        import pulumi
        env = pulumi.get_stack()
        data = pulumi.StackReference(f"organization/data/{env}")
        """
    ),
    "README.md": "infrastructure\n",
}


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class GitFixture:
    """A real Git repository on disk, driven with the git CLI."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=self.path, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout.strip()

    def write(self, files: Mapping[str, str | None]) -> None:
        """Write files (None deletes the file) and stage them."""
        removed = [rel for rel, content in files.items() if content is None]
        written = [rel for rel, content in files.items() if content is not None]
        for rel in written:
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(files[rel] or "")
        if removed:
            self.git("rm", "-q", "-r", "--", *removed)
        if written:
            self.git("add", "--", *written)

    def commit(self, files: Mapping[str, str | None] | None = None, message: str = "change") -> str:
        if files:
            self.write(files)
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.sha("HEAD")

    def mv(self, old: str, new: str, message: str = "move") -> str:
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)
        return self.commit(message=message)

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, ref: str) -> None:
        self.git("checkout", "-q", ref)

    def sha(self, ref: str) -> str:
        return self.git("rev-parse", ref)


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
