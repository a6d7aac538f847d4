"""End-to-end fixtures for the deploy (merge) flow.

Each test module builds a real Git repository on `main` holding a lean copy of the sample
infrastructure: the sample's `lib/`, `orchestrator.yaml` and qa/uat/prod environment files,
and three small projects wired like the sample's (network <- data <- app through
`pulumi.StackReference`), each one SQS queue tagged with `lib.tags`, so a stack runs in about
a second on moto instead of the sample's six. Stacks run on the real local engine against an
`InProcessSandbox` (moto on loopback, module-scoped; child processes find it through
ORCHESTRATOR_SANDBOX_ENDPOINT), runs are recorded in the repository's SQLite store.

The network program can be slowed down from outside: with SLOW_CREATE_S set in the deploy's
environment, its `gate` dynamic resource (present when a test adds SLOW_GATE) waits in create
for that long or until the file named by GATE_RELEASE_FILE exists, which is how the lock and
kill tests hold a deploy in the middle of an update.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orchestrator.sandbox import ENDPOINT_ENV, InProcessSandbox
from orchestrator.store.sql import SqlStore

SAMPLE = Path(__file__).resolve().parents[2]
BRANCH = "main"
PASSPHRASE = "deploy-test-passphrase"
TRUSTED = "platform-lead"  # listed in the sample's orchestrator.yaml trust.users
_GIT_IDENTITY = ("-c", "user.name=Deploy Tests", "-c", "user.email=deploy@example.com")

_HEADER = '''import os
import sys
import time
from pathlib import Path

import pulumi
import pulumi_aws as aws

# lib/ lives at the repository root, two levels above this project directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from lib import naming, tags

project = pulumi.get_project()
env = pulumi.get_stack()
config = pulumi.Config()
'''

NETWORK = _HEADER + '''
events = aws.sqs.Queue(
    naming.resource_name(project, env, "events"),
    visibility_timeout_seconds=config.get_int("visibility_timeout_seconds") or 60,
    tags=tags.standard_tags(project, env, Component="events"),
)
pulumi.export("queue_arn", events.arn)
pulumi.export("queue_url", events.url)
'''

# Appended to NETWORK by tests that need an update to take a while (see module docstring).
SLOW_GATE = '''
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class _SlowProvider(ResourceProvider):
    def create(self, props):
        # Hold the update for SLOW_CREATE_S seconds, or until the file GATE_RELEASE_FILE exists.
        deadline = time.monotonic() + float(os.environ.get("SLOW_CREATE_S", "0"))
        release = os.environ.get("GATE_RELEASE_FILE")
        while time.monotonic() < deadline and not (release and os.path.exists(release)):
            time.sleep(0.05)
        return CreateResult(id_="gate-" + props["label"], outs=props)


class Gate(Resource):
    def __init__(self, name, label):
        super().__init__(_SlowProvider(), name, {"label": label})


Gate(naming.resource_name(project, env, "gate"), label="{label}")
'''

DATA = _HEADER + '''
network = pulumi.StackReference(f"organization/network/{env}")
records = aws.sqs.Queue(
    naming.resource_name(project, env, "records"),
    tags={**tags.standard_tags(project, env, Component="records"), "Upstream": network.require_output("queue_arn")},
)
pulumi.export("records_arn", records.arn)
'''

APP = _HEADER + '''
data = pulumi.StackReference(f"organization/data/{env}")
jobs = aws.sqs.Queue(
    naming.resource_name(project, env, "jobs"),
    tags={**tags.standard_tags(project, env, Component="jobs"), "Upstream": data.require_output("records_arn")},
)
pulumi.export("jobs_arn", jobs.arn)
'''

# An independent project: no StackReference, nothing depends on it.
AUDIT = _HEADER + '''
trail = aws.sqs.Queue(naming.resource_name(project, env, "trail"), tags=tags.standard_tags(project, env))
pulumi.export("trail_arn", trail.arn)
'''

PROGRAMS = {"network": NETWORK, "data": DATA, "app": APP, "audit": AUDIT}


@dataclass(frozen=True)
class InfraRepo:
    """A Git repository on `main` with the lean infrastructure; helpers to change and deploy it."""

    root: Path

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.root), *_GIT_IDENTITY, *args], check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    def sha(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def read(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8")

    def replace(self, path: str, old: str, new: str) -> None:
        text = self.read(path)
        assert old in text, f"{path} does not contain {old!r}"
        self.write(path, text.replace(old, new))

    def add_project(self, name: str, program: str | None = None) -> None:
        self.write(f"stacks/{name}/Pulumi.yaml", f"name: {name}\nruntime: python\ndescription: {name} (test)\n")
        self.write(f"stacks/{name}/__main__.py", program if program is not None else PROGRAMS[name])

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.sha()

    @property
    def store_url(self) -> str:
        return f"sqlite:///{self.root / '.orchestrator' / 'orchestrator.db'}"

    def open_store(self) -> SqlStore:
        from orchestrator.store import open_store

        return open_store(None, self.root)

    def state(self, project: str, env: str) -> dict[str, Any]:
        path = self.root / ".orchestrator" / "state" / ".pulumi" / "stacks" / project / f"{env}.json"
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded

    def outputs(self, project: str, env: str) -> dict[str, Any]:
        for res in self.state(project, env)["checkpoint"]["latest"]["resources"]:
            if res["type"] == "pulumi:pulumi:Stack":
                found: dict[str, Any] = res.get("outputs") or {}
                return found
        return {}


def make_infra_repo(
    root: Path,
    *,
    environments: tuple[str, ...] = ("qa", "uat", "prod"),
    projects: tuple[str, ...] = ("network", "data", "app"),
) -> InfraRepo:
    """The lean infrastructure committed on `main` (one root commit)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SAMPLE / "lib", root / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(SAMPLE / "policies", root / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(SAMPLE / "orchestrator.yaml", root / "orchestrator.yaml")
    for env in environments:
        (root / "environments").mkdir(exist_ok=True)
        shutil.copy(SAMPLE / "environments" / f"{env}.yaml", root / "environments" / f"{env}.yaml")
    (root / ".gitignore").write_text(".orchestrator/\n__pycache__/\n", encoding="utf-8")
    repo = InfraRepo(root)
    for project in projects:
        repo.add_project(project)
    repo.git("init", "-q", "-b", BRANCH)
    repo.commit("the infrastructure")
    return repo


@pytest.fixture(scope="module")
def sandbox() -> Iterator[InProcessSandbox]:
    """moto on loopback for the module; child processes (CLI, engine) inherit its endpoint."""
    with InProcessSandbox() as running, pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENDPOINT_ENV, running.endpoint)
        patch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
        patch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
        patch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
        patch.delenv("SLOW_CREATE_S", raising=False)
        patch.delenv("GATE_RELEASE_FILE", raising=False)
        for name in ("GITHUB_ACTIONS", "GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "GITHUB_STEP_SUMMARY",
                     "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"):
            patch.delenv(name, raising=False)
        yield running


def sqs(sandbox: InProcessSandbox) -> Any:
    import boto3

    return boto3.client(
        "sqs", endpoint_url=sandbox.endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


@dataclass(frozen=True)
class CliRun:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def cli_command(repo: InfraRepo, *args: str) -> list[str]:
    """`orchestrator ARGS --repo <repo>` (last, so it reaches subcommands of groups too)."""
    return [sys.executable, "-m", "orchestrator", *args, "--repo", str(repo.root)]


def run_cli(repo: InfraRepo, *args: str, env: Mapping[str, str] | None = None, timeout: float = 180) -> CliRun:
    """`orchestrator ARGS --repo <repo>` in a child process, everything it prints captured."""
    done = subprocess.run(
        cli_command(repo, *args),
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        cwd=repo.root,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)


def results_by_stack(outcome_json: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["stack"]: r for r in outcome_json["results"]}
