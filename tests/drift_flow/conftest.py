"""End-to-end fixtures for the drift flow.

Each test module copies the sample infrastructure (stacks/, lib/, orchestrator.yaml and the
environment files it needs) into a Git repository in a temporary directory, deploys the
sample stacks with the real local engine to moto on loopback (`InProcessSandbox`,
module-scoped; child processes find it through ORCHESTRATOR_SANDBOX_ENDPOINT), and then
changes the cloud directly with boto3.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from orchestrator.sandbox import ENDPOINT_ENV, InProcessSandbox

SAMPLE = Path(__file__).resolve().parents[2]
PASSPHRASE = "drift-test-passphrase"
PROJECTS = ("network", "data", "app")  # dependency order
_GIT = ("-c", "user.name=Drift Tests", "-c", "user.email=drift@example.com")


@dataclass(frozen=True)
class InfraRepo:
    root: Path

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", "-C", str(self.root), *_GIT, *args], check=True, capture_output=True, text=True)
        return done.stdout.strip()

    def edit(self, path: str, old: str, new: str) -> None:
        target = self.root / path
        text = target.read_text(encoding="utf-8")
        assert old in text, f"{path} does not contain {old!r}"
        target.write_text(text.replace(old, new), encoding="utf-8")

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")


def make_repo(root: Path, environments: tuple[str, ...]) -> InfraRepo:
    root.mkdir(parents=True, exist_ok=True)
    for directory in ("stacks", "lib", "policies"):
        shutil.copytree(SAMPLE / directory, root / directory, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(SAMPLE / "orchestrator.yaml", root / "orchestrator.yaml")
    (root / "environments").mkdir()
    for env in environments:
        shutil.copy(SAMPLE / "environments" / f"{env}.yaml", root / "environments" / f"{env}.yaml")
    (root / ".gitignore").write_text(".orchestrator/\n__pycache__/\n", encoding="utf-8")
    repo = InfraRepo(root)
    repo.git("init", "-q", "-b", "main")
    return repo


def deploy(repo: InfraRepo, environment: str, projects: tuple[str, ...] = PROJECTS) -> None:
    """Update the sample stacks of `environment` in dependency order with the local engine."""
    from orchestrator.config.load import load_repository
    from orchestrator.engines.local.engine import LocalEngine

    config = load_repository(repo.root)
    engine = LocalEngine()
    for project in projects:
        result = engine.update(config.stack_spec(project, environment))
        assert result.ok, f"{project}/{environment}: {result.error}"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[InProcessSandbox]:
    with InProcessSandbox() as running, pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENDPOINT_ENV, running.endpoint)
        patch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
        patch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
        patch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
        for name in ("GITHUB_ACTIONS", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "GITHUB_TOKEN"):
            patch.delenv(name, raising=False)
        yield running


class Aws:
    """boto3 clients on the sandbox."""

    def __init__(self, endpoint: str) -> None:
        import boto3

        self._session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        self._endpoint = endpoint

    def __getattr__(self, service: str) -> Any:
        return self._session.client(service, endpoint_url=self._endpoint)  # type: ignore[call-overload]


class Clock:
    """The runs' clock: far in the future (so `--until` dates given relative to it are valid
    for the real clock too) and moving forward only."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


@dataclass
class Webhook:
    """A Slack-compatible webhook receiver on loopback: records every POSTed JSON body."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # A path that looks like a Slack secret: it must never show up in a report or outcome.
    hook = Webhook(url=f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/s3cr3tW3bh00kT0ken", )
    hook.received = received
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
