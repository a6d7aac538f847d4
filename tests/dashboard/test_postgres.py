"""The dashboard's own queries (latest result per stack, gate blocks, filters on the JSON list of
environments, status tallies) on PostgreSQL, where several servers share one store."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from orchestrator.server.app import ServerOptions, build_server, create_app
from orchestrator.server.dashboard import TOKEN_ENV
from tests.dashboard.htmltree import parse
from tests.support.dashboard_demo import WEBHOOK_SECRET, fill_history, make_demo_repo


def test_the_pages_on_postgresql(tmp_path: Path, postgres_schema_url: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    root = make_demo_repo(tmp_path / "infra")
    server = build_server(ServerOptions(repo=root, workers=0, scheduler=False), secret=WEBHOOK_SECRET,
                          database_url=postgres_schema_url)
    try:
        history = fill_history(root, server.store)
        with TestClient(create_app(server, manage_services=False)) as client:
            matrix = parse(client.get("/").text).find("table", id="matrix")
            cells = {c.attrs["data-stack"]: c for c in matrix.find_all("td", cls="cell")}
            assert len(cells) == 12
            assert cells["app/qa"].attrs["data-drift"] == "drifted"
            assert cells["data/uat"].attrs["data-drift"] == "error"
            assert cells["network/prod"].attrs["data-locked"] == "yes"
            assert cells["app/dev"].attrs["data-locked"] == "expired"
            blocked = cells["app/prod"].find("div", cls="blocked")
            assert blocked.find("a").attrs["href"] == f"/runs/{history.main_deploy}"
            assert cells["app/uat"].find("a", cls="last-run").attrs["href"] == f"/runs/{history.main_deploy}"

            runs = parse(client.get("/runs?environment=prod").text).find_all("tr", cls="run")
            assert [r.attrs["data-run"] for r in runs] == [history.drift, history.main_deploy]
            drift_row = parse(client.get("/runs?flow=drift").text).find("tr", cls="run")
            assert "9" in drift_row.find("td", cls="num").text() and "1 failed" in drift_row.text()

            detail = parse(client.get(f"/runs/{history.main_deploy}").text)
            assert len(detail.find_all("section", cls="stack")) == 9  # prod's 3: skipped, waiting for the gate
    finally:
        server.store.close()
