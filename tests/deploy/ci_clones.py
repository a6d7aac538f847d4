"""CI jobs as they really run: each deploy in a fresh clone of a shared `origin` (optionally
shallow, as actions/checkout's default), with an empty run store of its own, driven by a
GitHub `push` event (`orchestrator deploy --ci github` in a child process). What the jobs
share is what real jobs share: the Git remote, the stacks' backend (an absolute `file://`
directory) and the cloud (moto)."""

from __future__ import annotations

import itertools
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.cli import CliRun, run_cli
from tests.support.gitrepo import InfraRepo, git
from tests.support.lean_infra import BRANCH, make_infra_repo

ZERO = "0" * 40
BOT = "ci-bot"


@dataclass
class Pipeline:
    """A developer repository, its `origin` and the CI jobs run from it."""

    root: Path
    developer: InfraRepo
    origin: Path
    backend: Path
    _jobs: itertools.count[int] = field(default_factory=itertools.count)

    @classmethod
    def create(cls, root: Path, projects: tuple[str, ...] = ("network", "data")) -> Pipeline:
        developer = make_infra_repo(root / "developer", environments=("qa",), projects=projects)
        backend = root / "state"
        # The jobs' clones are thrown away: the stacks' backend lives outside them, as a bucket would.
        developer.replace("environments/qa.yaml", "backend: file://.orchestrator/state", f"backend: file://{backend}")
        developer.commit("qa: a backend every CI job shares")
        origin = root / "origin.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(developer.root), str(origin)], check=True)
        developer.git("remote", "add", "origin", str(origin))
        return cls(root=root, developer=developer, origin=origin, backend=backend)

    def push(self, message: str, *, force: bool = False) -> str:
        sha = self.developer.commit(message) if message else self.developer.sha()
        self.developer.git("push", "-q", *(["--force"] if force else []), "origin", f"{BRANCH}:{BRANCH}")
        return sha

    def clone(self, sha: str, *, depth: int | None = None) -> InfraRepo:
        """A job's checkout of `sha` on `main`, as actions/checkout leaves it (`--depth 1` by default)."""
        path = self.root / f"job-{next(self._jobs)}"
        url = f"file://{self.origin}"  # file:// so that --depth is honoured
        subprocess.run(["git", "clone", "-q", *(["--depth", str(depth)] if depth else []), url, str(path)],
                       check=True, capture_output=True)
        git(path, "checkout", "-q", "-B", BRANCH, sha)
        return InfraRepo(path)

    def deploy(self, before: str, after: str, *, depth: int | None = None, job: InfraRepo | None = None,
               ref: str = f"refs/heads/{BRANCH}") -> tuple[CliRun, InfraRepo]:
        """The deploy job of a push event (before → after): a fresh clone, an empty store."""
        job = job or self.clone(after, depth=depth)
        event = self.root / f"event-{job.root.name}.json"
        event.write_text(json.dumps(push_payload(before, after, ref=ref)))
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTOR": BOT,
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_EVENT_PATH": str(event),
        }
        out = job.root / ".orchestrator" / "vcs"
        return run_cli(job, "deploy", "--ci", "github", "--vcs", "files", "--out", str(out), "--json", env=env), job


def push_payload(before: str, after: str, *, ref: str = f"refs/heads/{BRANCH}") -> dict[str, Any]:
    """The fields of GitHub's `push` webhook the deploy reads."""
    return {
        "ref": ref,
        "before": before,
        "after": after,
        "created": before == ZERO,
        "deleted": False,
        "forced": False,
        "repository": {"full_name": "acme/infra", "name": "infra"},
        "pusher": {"name": BOT},
        "sender": {"login": BOT},
    }


def report_markdown(outcome: dict[str, Any]) -> str:
    """The deploy report the job wrote: the PR comment's markdown (posted when there is a PR)."""
    return Path(outcome["report"]).read_text(encoding="utf-8")
