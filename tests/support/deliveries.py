"""A server for the tests, on an infrastructure repository (its store in the repository's
SQLite unless a test passes PostgreSQL), and signed webhook deliveries to it."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.testclient import TestClient

from orchestrator.server.app import Server, ServerOptions, build_server
from orchestrator.server.webhooks import github_signature
from orchestrator.server.worker import JobRunner
from tests.support.gitrepo import InfraRepo

SECRET = b"test-webhook-secret-0123456789"


def make_server(repo: InfraRepo, *, runner: JobRunner | None = None, workers: int = 0,
                database_url: str | None = None, scheduler: bool = False, **options: Any) -> Server:
    return build_server(ServerOptions(repo=repo.root, workers=workers, scheduler=scheduler, **options),
                        secret=SECRET, runner=runner, database_url=database_url)


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
