"""The dashboard tests' fixtures: the demo repository with its history (tests/support/
dashboard_demo.py), and a server on it that only serves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.server.app import Server, ServerOptions, build_server
from tests.support.dashboard_demo import WEBHOOK_SECRET, DemoHistory, fill_history, make_demo_repo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoHistory, Server]]:
    """The demo repository with its history, and a server on it that only serves (no workers)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
        root = make_demo_repo(tmp_path_factory.mktemp("dashboard") / "infra")
        server = build_server(ServerOptions(repo=root, workers=0, scheduler=False), secret=WEBHOOK_SECRET)
        try:
            history = fill_history(root, server.store)
            yield history, server
        finally:
            server.store.close()
