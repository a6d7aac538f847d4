"""The matrix marks a stack behind its branch: rolled back, until the next deploy moves it forward.

Deploys and the rollback run through the real flows (with the dashboard tests' scripted engine,
which keeps no history of its own: what a stack runs comes from the run store's copy)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from orchestrator.flows.deploy import DeployRequest, run_deploy
from orchestrator.flows.promote import RollbackRequest, run_rollback
from orchestrator.server.app import Server, ServerOptions, build_server, create_app
from orchestrator.server.dashboard import TOKEN_ENV
from tests.dashboard.htmltree import Element, parse
from tests.support.dashboard_demo import WEBHOOK_SECRET, DemoEngine, make_demo_repo
from tests.support.gitrepo import git


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, Server]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
        patch.delenv(TOKEN_ENV, raising=False)
        root = make_demo_repo(tmp_path / "infra")
        server = build_server(ServerOptions(repo=root, workers=0, scheduler=False), secret=WEBHOOK_SECRET)
        try:
            yield root, server
        finally:
            server.store.close()


def matrix(server: Server) -> Element:
    with TestClient(create_app(server, manage_services=False)) as client:
        response = client.get("/")
    assert response.status_code == 200, response.text[:500]
    return parse(response.text)


def badge(doc: Element, stack: str) -> str | None:
    cell = doc.find("td", data_stack=stack)
    found = cell.find_all("span", cls="behind")
    return found[0].text() if found else None


def deploy(root: Path, server: Server, engine: DemoEngine) -> None:
    run_deploy(DeployRequest(repo=root, after="main", branch="main", actor="ci"), server.store, None,
               engine_factory=lambda _name: engine)


def test_a_rolled_back_stack_is_marked_behind_its_branch_until_the_next_deploy(served: tuple[Path, Server]) -> None:
    root, server = served
    engine = DemoEngine()
    first = git(root, "rev-parse", "main")
    deploy(root, server, engine)
    (root / "stacks" / "network" / "__main__.py").write_text(
        (root / "stacks" / "network" / "__main__.py").read_text() + "\n# a change\n")
    git(root, "commit", "-q", "-am", "network: a change")
    deploy(root, server, engine)
    assert badge(matrix(server), "network/qa") is None, "at its branch's tip"

    run_rollback(RollbackRequest(repo=root, environment="qa", target=first, actor="oncall", projects=("network",)),
                 server.store, None, engine_factory=lambda _name: engine)

    doc = matrix(server)
    assert badge(doc, "network/qa") == "rolled back, behind main by 1 commit"
    assert doc.find("td", data_stack="network/qa").find("span", cls="behind").attrs["data-behind"] == "main"
    assert badge(doc, "network/uat") is None and badge(doc, "data/qa") is None

    deploy(root, server, engine)  # the next deploy of main rolls it forward

    assert badge(matrix(server), "network/qa") is None
