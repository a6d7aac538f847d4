"""Server fixtures: a real infrastructure repository, a server built on it (its store in the
repository's SQLite unless a test passes PostgreSQL), and signed webhook deliveries.

PostgreSQL comes from the store tests' fixtures (a throwaway cluster, or
$ORCHESTRATOR_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from orchestrator.server.app import Server, ServerOptions, build_server, create_app
from orchestrator.server.webhooks import github_signature
from orchestrator.server.worker import JobRunner
from tests.deploy.conftest import InfraRepo, make_infra_repo
from tests.store.conftest import postgres_schema_url, postgres_url  # noqa: F401  (fixtures)

SECRET = b"test-webhook-secret-0123456789"


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InfraRepo:
    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    return make_infra_repo(tmp_path / "infra", environments=("qa",), projects=("network",))


def make_server(repo: InfraRepo, *, runner: JobRunner | None = None, workers: int = 0,
                database_url: str | None = None, scheduler: bool = False, **options: Any) -> Server:
    return build_server(ServerOptions(repo=repo.root, workers=workers, scheduler=scheduler, **options),
                        secret=SECRET, runner=runner, database_url=database_url)


@pytest.fixture
def server(infra: InfraRepo) -> Iterator[Server]:
    """A server that receives and queues only (no workers, no scheduler)."""
    built = make_server(infra)
    yield built
    built.store.close()


@pytest.fixture
def client(server: Server) -> Iterator[TestClient]:
    with TestClient(create_app(server)) as running:
        yield running


def github_headers(event: str, body: bytes, *, delivery: str | None = None,
                   secret: bytes = SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": github_signature(secret, body),
        "User-Agent": "GitHub-Hookshot/test",
    }


def send_github(client: TestClient, event: str, payload: dict[str, Any], *, delivery: str | None = None,
                secret: bytes = SECRET) -> Any:
    body = json.dumps(payload).encode()
    return client.post("/webhooks/github", content=body,
                       headers=github_headers(event, body, delivery=delivery, secret=secret))


def send_gitlab(client: TestClient, event: str, payload: dict[str, Any], *, token: str = SECRET.decode(),
                delivery: str | None = None) -> Any:
    return client.post("/webhooks/gitlab", content=json.dumps(payload).encode(), headers={
        "Content-Type": "application/json",
        "X-Gitlab-Event": event,
        "X-Gitlab-Token": token,
        "X-Gitlab-Event-UUID": delivery or str(uuid.uuid4()),
    })
