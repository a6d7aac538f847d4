"""End-to-end fixtures for the preview flow: the sample infrastructure in a real Git repository,
its base state deployed by the real local engine on moto (loopback), once per test module.

Each test starts a branch off `develop` (the dev environment's branch), commits its change and
previews it, through the CLI in a child process (so everything it prints is captured) or through
`run_preview` in-process (when the test must control the engine or the VCS client).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.sandbox import ENDPOINT_ENV, InProcessSandbox

SAMPLE = Path(__file__).resolve().parents[2]
BASE_BRANCH = "develop"  # environments/dev.yaml: PRs into develop preview the dev stacks
ENV = "dev"
DEPLOY_ORDER = ("network", "data", "app")
PASSPHRASE = "flows-test-passphrase"
_GIT_IDENTITY = ("-c", "user.name=Flow Tests", "-c", "user.email=flows@example.com")


@dataclass(frozen=True)
class SampleRepo:
    """A Git repository holding a copy of the sample infrastructure."""

    root: Path

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.root), *_GIT_IDENTITY, *args], check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    def sha(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)

    def start_branch(self, name: str, start: str = BASE_BRANCH) -> None:
        self.git("checkout", "-q", "-B", name, start)

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def replace(self, path: str, old: str, new: str) -> None:
        text = (self.root / path).read_text(encoding="utf-8")
        assert old in text, f"{path} does not contain {old!r}: the sample changed, update the test"
        self.write(path, text.replace(old, new))

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.sha()

    def report(self, pr: int) -> Path:
        """Where the flow wrote the full report of PR `pr`'s last preview outside GitHub Actions:
        a file named after the run, so no later run overwrites it, and a copy as `preview-pr<n>.md`."""
        reports = self.root / ".orchestrator" / "reports"
        runs = sorted(reports.glob(f"preview-pr{pr}-*.md"), key=lambda p: p.stat().st_mtime_ns)
        assert runs, f"no report of PR {pr} in {reports}"
        latest = reports / f"preview-pr{pr}.md"
        assert latest.read_text(encoding="utf-8") == runs[-1].read_text(encoding="utf-8"), "the latest copy"
        return runs[-1]


def make_sample_repo(root: Path) -> SampleRepo:
    """The sample (orchestrator.yaml, environments/, stacks/, lib/, policies/) committed on `develop`."""
    root.mkdir(parents=True, exist_ok=True)
    for directory in ("stacks", "lib", "environments", "policies"):
        shutil.copytree(SAMPLE / directory, root / directory, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(SAMPLE / "orchestrator.yaml", root / "orchestrator.yaml")
    (root / ".gitignore").write_text(".orchestrator/\n__pycache__/\n", encoding="utf-8")
    repo = SampleRepo(root)
    repo.git("init", "-q", "-b", BASE_BRANCH)
    repo.commit("the sample infrastructure")
    return repo


def deploy_base(repo: SampleRepo) -> None:
    """Update every dev stack at the checked-out commit, so PR previews diff against real state."""
    from orchestrator.config.load import load_repository
    from orchestrator.engines.local.engine import LocalEngine

    config = load_repository(repo.root)
    engine = LocalEngine()
    for project in DEPLOY_ORDER:
        result = engine.update(config.stack_spec(project, ENV))
        assert result.status == "succeeded", f"deploying {project}/{ENV}: {result.error}"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[InProcessSandbox]:
    """moto on loopback; `endpoint: sandbox` in the environments resolves to it (also in child
    processes, which inherit the environment). The passphrase: the sample's SSM value is a secret."""
    with InProcessSandbox() as running, pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENDPOINT_ENV, running.endpoint)
        patch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
        patch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
        for name in ("GITHUB_ACTIONS", "GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "GITHUB_STEP_SUMMARY"):
            patch.delenv(name, raising=False)
        yield running


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, sandbox: InProcessSandbox) -> SampleRepo:
    """The sample repository with network, data and app (dev) deployed at `develop`'s tip."""
    repo = make_sample_repo(tmp_path_factory.mktemp("flows") / "infra")
    deploy_base(repo)
    return repo


@dataclass(frozen=True)
class CliRun:
    code: int
    stdout: str
    stderr: str


def run_cli(repo: SampleRepo, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120) -> CliRun:
    """`orchestrator preview --repo <repo> ARGS` in a child process; everything it prints is captured."""
    environ = {**os.environ, **(env or {})}
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator", "preview", "--repo", str(repo.root), *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout,
        cwd=repo.root,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)
