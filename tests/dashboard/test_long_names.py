"""Long project names in the stack matrix, in a real browser: Pulumi's examples are named like
aws-py-stackreference-department, and the project column (110px, no wrapping) let such a name
run under the cells beside it, where the status badges covered it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from orchestrator.server.app import ServerOptions, build_server, create_app
from tests.support.chromium import launched_browser
from tests.support.dashboard_demo import WEBHOOK_SECRET
from tests.support.gitrepo import git

NAMES = ("aws-py-stackreference-department", "acme-platform-shared-networking-core")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_browser()


def _matrix_html(root: Path) -> str:
    (root / "environments").mkdir(parents=True)
    (root / "environments" / "dev.yaml").write_text("branch: main\n")
    for name in NAMES:
        (root / "stacks" / name).mkdir(parents=True)
        (root / "stacks" / name / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "projects")
    server = build_server(ServerOptions(repo=root, workers=0, scheduler=False), secret=WEBHOOK_SECRET)
    try:
        with TestClient(create_app(server, manage_services=False)) as client:
            response = client.get("/")
            assert response.status_code == 200, response.text
            return response.text
    finally:
        server.store.close()


def test_long_project_names_stay_inside_their_column(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    html = _matrix_html(tmp_path / "infra")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.set_content(html)
        heads = page.locator("table#matrix th.project")
        assert heads.count() == len(NAMES)
        for index in range(len(NAMES)):
            head = heads.nth(index)
            cell, name = head.bounding_box(), head.locator("a").bounding_box()
            assert cell is not None and name is not None
            assert name["x"] + name["width"] <= cell["x"] + cell["width"] + 0.5, head.inner_text()
    finally:
        page.close()
