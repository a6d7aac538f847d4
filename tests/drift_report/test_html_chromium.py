"""The standalone HTML drift report in a real browser (Debian's Chromium, headless, driven by
Playwright): it opens from a file:// URL with no network, shows the expected rows, a
finding's <details> expands on click, and a screenshot is kept under test-artifacts/.

Without Chromium or Playwright the tests skip, unless CI=true or ORCHESTRATOR_REQUIRE_CHROMIUM=1
(set by .ci/run), where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.report.drift import write_reports
from tests.drift_report.scenarios import full_report, hostile_report
from tests.support.chromium import launched_browser

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"


def _recorder(dialogs: list[str]) -> Any:
    """Records a dialog's message (an `alert` would mean a value ran as script) and dismisses it."""

    def record(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    return record


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_browser()


@pytest.fixture
def opened(browser: Any, tmp_path: Path) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A page with the full report open; also the URLs it requested and any dialogs."""
    written = write_reports(full_report(), tmp_path, ["html"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", _recorder(dialogs))
    page.goto(written["html"].as_uri())
    page.wait_for_load_state("load")
    try:
        yield page, requests, dialogs
    finally:
        page.close()


def test_the_page_opens_offline_with_the_expected_rows(opened: tuple[Any, list[str], list[str]]) -> None:
    page, requests, dialogs = opened
    assert page.title() == "Drift report: dev, prod"
    assert all(url.startswith("file://") for url in requests), requests  # nothing from the network
    assert dialogs == []

    stacks = page.locator("tr.stack")
    assert [stacks.nth(i).get_attribute("data-stack") for i in range(stacks.count())] == [
        "app/dev",
        "network/dev",
        "storage/dev",
        "app/prod",
        "storage/prod",
    ]
    assert page.locator('tr.stack[data-stack="storage/prod"] .badge').inner_text() == "error"
    assert "cannot be reached" in page.locator('tr.stack[data-stack="storage/prod"] pre').inner_text()

    assert page.locator("details.finding").count() == 6
    assert page.locator('details.finding[data-state="acknowledged"] .badge.state-acknowledged').inner_text() == (
        "Acknowledged"
    )
    unmanaged = page.locator("#env-0 tr.unmanaged")
    assert unmanaged.count() == 4
    assert unmanaged.locator("td.name").all_inner_texts() == ["made-by-hand", "old-ci-role", "/legacy/flag", "scratch"]
    assert "The scan failed" in page.locator("#env-1").inner_text()

    cards = {
        state: page.locator(f'#summary .card[data-state="{state}"] .n').inner_text()
        for state in ("new", "ongoing", "resolved", "acknowledged")
    }
    assert cards == {"new": "4", "ongoing": "2", "resolved": "2", "acknowledged": "2"}
    assert page.locator('#summary .card[data-summary="ignored"] .n').inner_text() == "3"

    # A resolved finding is visibly marked: struck through.
    resolved_name = page.locator('details.finding[data-state="resolved"] summary .name')
    assert "line-through" in resolved_name.evaluate("e => getComputedStyle(e).textDecorationLine")


def test_a_finding_expands_on_click_and_a_screenshot_is_kept(opened: tuple[Any, list[str], list[str]]) -> None:
    page, _, _ = opened
    finding = page.locator("details.finding", has=page.locator("strong.name", has_text="data")).first
    diff_table = finding.locator("table.diff")
    assert finding.get_attribute("open") is None
    assert not diff_table.is_visible()

    finding.locator("summary").click()

    assert finding.get_attribute("open") is not None
    assert diff_table.is_visible()
    rows = diff_table.locator("tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).locator("td").all_inner_texts() == ["tags.Owner", '"team-a"', '"someone-else"']
    assert rows.nth(1).locator("td").all_inner_texts() == ["tags.CostCenter", "(absent)", '"42"']

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "drift-report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_hostile_values_do_not_run_in_the_browser(browser: Any, tmp_path: Path) -> None:
    written = write_reports(hostile_report(), tmp_path, ["html"])
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", _recorder(dialogs))
    try:
        page.goto(written["html"].as_uri())
        page.wait_for_load_state("load")
        assert dialogs == []
        assert page.locator("script").count() == 0
        assert "<script>alert(1)</script>" in page.locator("details.finding.kind-drifted summary").inner_text()
        # Every finding and the unmanaged row survived the hostile values (nothing swallowed by a comment).
        assert page.locator("details.finding").count() == 2
        assert page.locator("tr.unmanaged").count() == 1
    finally:
        page.close()
