"""What a new user saw on a fresh `orchestrator serve`: the worker count read `{}/2 busy` (the
running jobs' mapping, not their number), and the runs of `orchestrator reconcile` could not be
filtered (`/runs?flow=reconcile` was a 400) nor showed as a stack's last deploy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from orchestrator.engines.base import OpCounts, StackResult
from orchestrator.server.app import ServerOptions, build_server, create_app
from tests.dashboard.htmltree import Element, parse
from tests.support.dashboard_demo import WEBHOOK_SECRET, make_demo_repo
from tests.support.gitrepo import git


def _page(client: TestClient, url: str) -> Element:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return parse(response.text)


def test_the_strip_counts_busy_workers_and_reconcile_runs_are_deploys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    root = make_demo_repo(tmp_path / "infra")
    commit = git(root, "rev-parse", "main")
    server = build_server(ServerOptions(repo=root, workers=2, scheduler=False), secret=WEBHOOK_SECRET)
    try:
        run = server.store.start_run(flow="reconcile", commit=commit, branch="develop", actor="alice",
                                     environments=("dev",))
        result = StackResult(stack="network/dev", operation="update", status="succeeded", counts=OpCounts(update=2))
        server.store.record_stack_result(run.id, commit=commit, result=result,
                                         started_at=datetime.now(UTC) - timedelta(seconds=2))
        server.store.finish_run(run.id, "succeeded")
        with TestClient(create_app(server, manage_services=False)) as client:
            workers = _page(client, "/").find("span", id="workers")
            assert workers.find("b", data_workers="running").text() == "0"
            assert "".join(workers.text().split()) == "workers:0/2busy"
            rows = _page(client, "/runs?flow=reconcile").find_all("tr", cls="run")
            assert [row.attrs["data-run"] for row in rows] == [run.id]
            cell = _page(client, "/").find("table", id="matrix").find("td", data_stack="network/dev")
            assert cell.find("a", cls="last-run").attrs["href"] == f"/runs/{run.id}"
            assert cell.find("span", cls="counts").text() == "+0 ~2 -0 ±0"
    finally:
        server.store.close()
