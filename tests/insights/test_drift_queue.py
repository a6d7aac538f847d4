"""Drift findings over time and the server's queue, over plain rows."""

from __future__ import annotations

import pytest

from orchestrator.insights.drift import drift_days, drift_measures
from orchestrator.insights.queue import queue_days, queue_measures
from tests.insights.rows import T0, at, finding, job, window


def test_open_findings_at_each_days_end_and_time_to_resolve() -> None:
    spans = [
        finding(-10, 5, key="a"),  # open before the window, resolved on day 1
        finding(2, 30, key="b"),  # resolved on day 2: 28 h
        finding(3, key="c", kind="unmanaged", project=None),  # still open
        finding(4, 6, key="d", kind="error"),  # a failed read is not drift
        finding(50, key="e", kind="deleted"),
    ]
    days = drift_days(spans, window(0, 72))
    assert [(d.day, d.open) for d in days] == [(T0.date(), 2), (at(24).date(), 1), (at(48).date(), 2)]
    measures = drift_measures(spans, window(0, 72))
    assert (measures.open_now, measures.opened, measures.resolved) == (2, 3, 2)
    assert measures.time_to_resolve.mean_s == pytest.approx((15 + 28) / 2 * 3600)


def test_the_last_day_counts_up_to_the_windows_end() -> None:
    spans = [finding(1, 20)]
    assert [d.open for d in drift_days(spans, window(0, 12))] == [1]


def test_queue_wait_and_run_per_kind_of_job() -> None:
    jobs = [
        job(1, 1.5, 2),  # waited 0.5 h, ran 0.5 h
        job(2, 3, 5),  # waited 1 h, ran 2 h
        job(3, None, None, status="queued"),  # still waiting
        job(4, 4.1, 4.2, kind="preview"),
        job(-3, -2, -1),  # queued before the window
    ]
    measures = {m.kind: m for m in queue_measures(jobs, window())}
    assert list(measures) == ["deploy", "preview"]
    deploy = measures["deploy"]
    assert (deploy.jobs, deploy.waiting) == (3, 1)
    assert deploy.wait.median_s == pytest.approx(0.75 * 3600)
    assert deploy.run.p90_s == pytest.approx(2 * 3600)
    assert measures["preview"].wait.median_s == pytest.approx(0.1 * 3600)
    days = queue_days(jobs, window())
    assert [(d.day, d.kind, d.wait.count) for d in days] == [(T0.date(), "deploy", 2), (T0.date(), "preview", 1)]
