"""`orchestrator init --review`: review stacks enabled in the first unprotected environment (the
configuration loads and is the one the flows read) and the review workflow, on `pull_request`
opened/synchronize/reopened/closed, `up` and `down` jobs that skip forks, whose commands parse.
zizmor and actionlint run on it with the other workflows in tests/init/test_workflow_lint.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestrator.config.load import load_repository
from orchestrator.init import InitOptions, run_init
from orchestrator.init.model import InitResult
from tests.init.test_workflows import _command_lines, _parse
from tests.support.gitrepo import git
from tests.support.init_repos import ORCHESTRATOR_REPO, PIN, commit_all, project, write

FORKS_OUT = "github.event.pull_request.head.repo.full_name == github.repository"


@pytest.fixture(autouse=True)
def installed_from_a_pinned_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.config.resolved import InstallSource

    source = InstallSource(git=ORCHESTRATOR_REPO, commit=PIN)
    monkeypatch.setattr("orchestrator.init.install.installed_from", lambda distribution="": (source, "git"))


def initialised(tmp_path: Path, *, review: bool, engine: str = "local") -> InitResult:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, {**project("infra/network", "network", "dev", "prod"), **project("infra/data", "data", "dev", "prod")})
    commit_all(root, "infrastructure")
    git(root, "branch", "develop")
    return run_init(root, InitOptions(ci="github", engine=engine, review=review))  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ["local", "pulumi"])
def test_init_review_writes_the_workflow_and_enables_review_in_dev(tmp_path: Path, engine: str) -> None:
    result = initialised(tmp_path, review=True, engine=engine)
    config = load_repository(result.root)
    assert {name: env.review.enabled for name, env in config.environments.items()} == {"dev": True, "prod": False}
    assert config.environment("dev").review.stack_name("dev", "network", 5) == "pr-5"

    flow = yaml.safe_load((result.root / ".github/workflows/orchestrator-review.yml").read_text())
    assert flow["on"] == {"pull_request": {"branches": ["develop", "main"],
                                           "types": ["opened", "synchronize", "reopened", "closed"]}}
    assert flow["concurrency"] == {"group": "orchestrator-review-${{ github.event.pull_request.number }}",
                                   "cancel-in-progress": False}
    up, down = flow["jobs"]["up"], flow["jobs"]["down"]
    assert up["if"] == f"github.event.action != 'closed' && {FORKS_OUT}"
    assert down["if"] == f"github.event.action == 'closed' && {FORKS_OUT}"
    for job, command in ((up, "orchestrator review up --ci github"), (down, "orchestrator review down --ci github")):
        assert job["environment"] == {"name": "orchestrator-review", "deployment": False}
        assert job["permissions"]["deployments"] == "write" and job["permissions"]["contents"] == "read"
        assert [s["run"] for s in job["steps"] if str(s.get("run", "")).startswith("orchestrator review")] == [command]
        sandbox = any(s.get("run") == "orchestrator sandbox start" for s in job["steps"])
        assert sandbox == (engine == "local")

    for _source, args in _command_lines(result.root):
        _parse(args)  # every command of every workflow, the review ones included
    assert any(args[:2] == ["review", "down"] for _, args in _command_lines(result.root))


def test_without_review_nothing_changes(tmp_path: Path) -> None:
    result = initialised(tmp_path, review=False)
    assert not (result.root / ".github/workflows/orchestrator-review.yml").exists()
    assert not any(env.review.enabled for env in load_repository(result.root).environments.values())
