"""Server fixtures: a real infrastructure repository, a server built on it, a client of its app.
Signed webhook deliveries are in tests/support/deliveries.py.

PostgreSQL comes from the plugin tests/support/postgres.py (a throwaway cluster, or
$ORCHESTRATOR_TEST_POSTGRES_URL).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from orchestrator.server.app import Server, create_app
from tests.support.deliveries import make_server
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import make_infra_repo


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InfraRepo:
    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    return make_infra_repo(tmp_path / "infra", environments=("qa",), projects=("network",))


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
