"""The dashboard in a real browser (Debian's Chromium, headless, driven by Playwright) against a real
`orchestrator serve --workers 0` process on loopback, on a store holding the demo's kind of history
(3 projects × 4 environments, made by the real deploy and drift flows; see conftest.py).

It checks that the matrix shows the stacks, that clicking a stack's last run opens the run's detail
with its property diffs, that the history filters work from the form, and that a lock is released
through the token form. Screenshots go to test-artifacts/dashboard/. Nothing may be fetched from
anywhere but the server, and no value may run as script (a dialog would be recorded).

Without Chromium or Playwright the tests skip, unless CI=true or ORCHESTRATOR_REQUIRE_CHROMIUM=1
(set by .ci/run), where they fail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.store import open_store
from tests.support.chromium import launched_browser
from tests.support.dashboard_demo import DemoHistory, fill_history, make_demo_repo

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboard"
TOKEN = "browser-test-dashboard-token-42"
STARTUP_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_healthy(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"orchestrator serve exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"orchestrator serve did not answer /healthz in {STARTUP_TIMEOUT_S:.0f}s:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, DemoHistory]]:
    """`orchestrator serve` on the demo repository and its history; the base URL."""
    work = tmp_path_factory.mktemp("dashboard-browser")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
        root = make_demo_repo(work / "infra")
        store = open_store(None, root)  # the clone's SQLite, which the server opens too
        try:
            history = fill_history(root, store)
        finally:
            store.close()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "ORCHESTRATOR_DATABASE_URL"}
    env.update(ORCHESTRATOR_WEBHOOK_SECRET="browser-test-webhook-secret", ORCHESTRATOR_DASHBOARD_TOKEN=TOKEN)
    log_path = work / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "orchestrator",
                "serve",
                "--repo",
                str(root),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "0",
                "--no-scheduler",
                "--log-level",
                "warning",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=work,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base, process, log_path)
        yield base, history
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_browser()


@pytest.fixture
def tab(browser: Any, served: tuple[str, DemoHistory]) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A page, the URLs it requested and the dialogs it opened (an alert would mean a value ran as script)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    def record(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    try:
        yield page, requests, dialogs
    finally:
        page.close()


def _screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_the_matrix_shows_the_stacks_and_a_click_opens_the_runs_detail(
    tab: tuple[Any, list[str], list[str]], served: tuple[str, DemoHistory]
) -> None:
    page, requests, dialogs = tab
    base, history = served
    page.goto(f"{base}/")
    assert page.title() == "Stacks · orchestrator"
    cells = page.locator("table#matrix td.cell")
    assert cells.count() == 12
    stacks = [cells.nth(i).get_attribute("data-stack") for i in range(12)]
    assert stacks == [f"{p}/{e}" for p in ("app", "data", "network") for e in ("dev", "qa", "uat", "prod")]
    app_qa = page.locator('td.cell[data-stack="app/qa"]')
    assert app_qa.locator(".badge.s-succeeded").inner_text() == "succeeded"
    assert app_qa.locator(".drift .badge").inner_text() == "drifted 1"
    assert page.locator('td.cell[data-stack="data/uat"] .drift .badge').inner_text() == "error"
    assert "gate blocked" in page.locator('td.cell[data-stack="network/prod"] .blocked').inner_text()
    _screenshot(page, "matrix.png")

    app_qa.locator("a.last-run").click()
    page.wait_for_url(f"{base}/runs/{history.main_deploy}")
    assert page.locator("h1#title").inner_text() == f"Run {history.main_deploy}"
    section = page.locator('section.stack[data-stack="app/qa"]')
    timeout = section.locator('tr.diff[data-path="visibilityTimeoutSeconds"]')
    assert timeout.locator("td.old").inner_text() == "30"
    assert timeout.locator("td.new").inner_text() == "60"
    assert section.locator('tr.resource[data-op="replace"] b.name').inner_text() == "app-assets"
    assert page.locator('tr.gate[data-environment="prod"] .badge').inner_text() == "blocked"
    _screenshot(page, "run.png")

    assert dialogs == []
    assert all(url.startswith(base) for url in requests), requests  # nothing from the network


def test_the_history_filters_from_the_form(
    tab: tuple[Any, list[str], list[str]], served: tuple[str, DemoHistory]
) -> None:
    page, _, dialogs = tab
    base, history = served
    page.goto(f"{base}/runs")
    assert page.locator("tr.run").count() == 4
    page.select_option('select[name="flow"]', "deploy")
    page.select_option('select[name="environment"]', "prod")
    page.click('form#filters button[type="submit"]')
    page.wait_for_url(f"{base}/runs?flow=deploy&environment=prod&project=&status=")
    rows = page.locator("tr.run")
    assert [rows.nth(i).get_attribute("data-run") for i in range(rows.count())] == [history.main_deploy]
    _screenshot(page, "runs.png")

    page.goto(f"{base}/runs/{history.hostile}")  # hostile names render as text, never run
    assert page.locator("tr.resource b.name").inner_text() == '<script>alert("x")</script>'
    _screenshot(page, "hostile-run.png")
    assert dialogs == []


def test_a_lock_is_released_through_the_token_form(
    tab: tuple[Any, list[str], list[str]], served: tuple[str, DemoHistory]
) -> None:
    page, _, _ = tab
    base, _ = served
    page.goto(f"{base}/locks")
    row = page.locator('tr.lock[data-stack="network/prod"]')
    assert row.get_attribute("data-expired") == "no"
    assert page.locator('tr.lock[data-stack="app/dev"] .badge').inner_text() == "expired"
    _screenshot(page, "locks.png")

    row.locator('input[name="token"]').fill("not-the-token")
    row.locator("button").click()
    assert "a valid dashboard token is required" in page.content()
    page.goto(f"{base}/locks")
    row = page.locator('tr.lock[data-stack="network/prod"]')
    row.locator('input[name="token"]').fill(TOKEN)
    row.locator("button").click()
    page.wait_for_url(f"{base}/locks?released=network%2Fprod")
    assert page.locator("#released").inner_text() == "Released the lock on network/prod."
    assert page.locator('tr.lock[data-stack="network/prod"]').count() == 0
    page.goto(f"{base}/")
    assert page.locator('td.cell[data-stack="network/prod"]').get_attribute("data-locked") == "no"


def test_insights_charts_draw_without_javascript(browser: Any, served: tuple[str, DemoHistory]) -> None:
    """The Insights page in a tab with JavaScript off: the table, the five SVG charts drawn at their
    size, and the filter form (a plain GET) still work."""
    base, _ = served
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(f"{base}/insights")
        assert page.title() == "Insights · orchestrator"
        assert page.locator('#dora tr[data-group="all"] td').first.inner_text() == "9"
        charts = page.locator("figure.chart svg")
        assert charts.count() == 5
        for n in range(5):
            box = charts.nth(n).bounding_box()
            assert box is not None and box["width"] > 600 and box["height"] > 150
        assert "succeeded" in page.locator("figure#chart-deploys").inner_text()
        _screenshot(page, "insights.png")

        page.select_option('select[name="environment"]', "qa")
        page.click('form#filters button[type="submit"]')
        page.wait_for_url(f"{base}/insights?since=30d&environment=qa&project=")
        assert page.locator('#dora tr[data-group="all"] td').first.inner_text() == "3"
        _screenshot(page, "insights-qa.png")
        assert all(url.startswith(base) for url in requests), requests
    finally:
        context.close()
