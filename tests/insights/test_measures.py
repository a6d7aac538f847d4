"""Everything at once: scope, breakdowns, JSON, and the window and span parsing the CLI relies on."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from orchestrator.insights.measures import Rows, compute
from orchestrator.insights.model import Scope, Window, parse_span
from tests.insights.rows import at, deployment, finding, job, ts, window


def _rows() -> Rows:
    return Rows(
        deployments=[
            deployment(1, commit="a", environment="qa"),
            deployment(2, commit="a", environment="prod"),
            deployment(3, commit="a", environment="prod", project="network", status="failed"),
            deployment(4, commit="b", environment="dev", project="network"),
        ],
        commit_times={"a": ts(0), "b": ts(3)},
        findings=[finding(1, key="x"), finding(2, key="y", environment="qa"),
                  finding(2, key="z", kind="unmanaged", project=None)],
        jobs=[job(1, 2, 3)],
    )


def test_breakdowns_follow_the_environment_order_and_the_scope() -> None:
    insights = compute(_rows(), window(), environment_order=("dev", "qa", "prod"))
    assert list(insights.environments) == ["dev", "qa", "prod"]
    assert list(insights.projects) == ["app", "network"]
    assert insights.delivery.deployments == 4
    assert insights.environments["prod"].change_failure_rate == pytest.approx(0.5)
    assert insights.drift.open_now == 3

    prod_app = compute(_rows(), window(), Scope(environment="prod", project="app"))
    assert prod_app.delivery.deployments == 1
    assert list(prod_app.environments) == ["prod"] and list(prod_app.projects) == ["app"]
    assert prod_app.drift.open_now == 1  # not qa's, not the unmanaged resource (no project)
    assert len(prod_app.queue) == 1  # the queue is the server's: not scoped


def test_json_is_plain_and_complete() -> None:
    data = json.loads(json.dumps(compute(_rows(), window(0, 48)).to_json()))
    assert data["window"]["days"] == 2
    assert data["delivery"]["lead_time"]["count"] == 3
    assert [d["day"] for d in data["series"]["delivery"]] == ["2025-03-01", "2025-03-02"]
    assert data["series"]["drift"][0]["open"] == 3
    assert data["queue"][0]["kind"] == "deploy"


@pytest.mark.parametrize(("text", "span"), [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)),
                                            ("2w", timedelta(weeks=2)), (" 90m ", timedelta(minutes=90))])
def test_spans(text: str, span: timedelta) -> None:
    assert parse_span(text) == span


@pytest.mark.parametrize("text", ["30", "d", "0d", "-3d", "3y", "1.5d"])
def test_bad_spans_say_what_to_write(text: str) -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 30d"):
        parse_span(text)


@pytest.mark.parametrize("text", ["99999999999999999999d", "99999999w", "5270401m", "3661d", "9" * 400 + "h"])
def test_spans_past_ten_years_are_refused_before_any_date_arithmetic(text: str) -> None:
    with pytest.raises(ValueError, match="longer than 3660 days"):
        parse_span(text)
    assert parse_span("3660d") == timedelta(days=3660)


def test_a_window_must_be_aware_and_forward() -> None:
    with pytest.raises(ValueError, match="after it starts"):
        Window(start=at(2), end=at(1))
    with pytest.raises(ValueError, match="timezone-aware"):
        Window(start=at(0).replace(tzinfo=None), end=at(1))
