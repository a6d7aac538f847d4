"""The four DORA measures over plain deployment rows."""

from __future__ import annotations

import pytest

from orchestrator.insights.delivery import build_history, delivery, delivery_days
from orchestrator.insights.model import Scope
from tests.insights.rows import T0, at, deployment, window

EVERYTHING = Scope().covers


def test_deployment_frequency_counts_stack_updates_that_ran_in_the_window() -> None:
    rows = [
        deployment(-5),  # before the window
        deployment(1),
        deployment(2, project="network"),
        deployment(3, status="locked"),  # never touched the stack
        deployment(30, flow="promote", environment="qa"),
        deployment(24 * 10 + 1),  # after
    ]
    measures = delivery(build_history(rows), {}, window(), EVERYTHING)
    assert measures.deployments == 3
    assert measures.per_day == pytest.approx(0.3)
    assert measures.results == {"succeeded": 3, "locked": 1}


def test_lead_time_runs_from_commit_time_to_first_successful_update_in_the_environment() -> None:
    commit_times = {"a": at(0), "b": at(10), "c": at(20)}
    rows = [
        deployment(2, commit="a", environment="qa"),
        deployment(5, commit="a", status="failed"),  # a failure does not deliver
        deployment(6, commit="a"),  # prod: 6 h after the commit
        deployment(7, commit="a", run="again"),  # a redeploy is not a new delivery
        deployment(13, commit="b", project="network"),  # prod: first stack at 13 h → 3 h
        deployment(14, commit="b"),
        deployment(40, commit="c", flow="rollback"),  # a rollback delivers no change
        deployment(41, commit="unknown-commit"),  # no commit time: no lead time
    ]
    measures = delivery(build_history(rows), commit_times, window(), Scope(environment="prod").covers)
    assert measures.lead_time.count == 2
    assert measures.lead_time.median_s == pytest.approx(4.5 * 3600)
    assert measures.lead_time.p90_s == pytest.approx(6 * 3600)
    # Per project, the project's own stacks decide: app got b at 14 h → 4 h.
    app = delivery(build_history(rows), commit_times, window(), Scope(environment="prod", project="app").covers)
    assert (app.lead_time.median_s, app.lead_time.p90_s) == (5 * 3600, 6 * 3600)


def test_a_commit_first_delivered_before_the_window_has_no_lead_time_in_it() -> None:
    rows = [deployment(-2, commit="a"), deployment(3, commit="a", run="redeploy")]
    measures = delivery(build_history(rows), {"a": at(-10)}, window(), EVERYTHING)
    assert measures.lead_time.count == 0
    assert measures.lead_time.median_s is None


def test_change_failure_rate_counts_failed_and_rolled_back_changes() -> None:
    rows = [
        deployment(1, commit="a"),
        deployment(2, commit="b"),  # rolled back by the next deployment of app/prod
        deployment(3, commit="a", flow="rollback"),
        deployment(4, commit="c", status="failed"),
        deployment(5, commit="d", project="network"),
        deployment(6, commit="e", project="network", status="locked"),  # not a change that ran
    ]
    measures = delivery(build_history(rows), {}, window(), EVERYTHING)
    assert (measures.changes, measures.failed_changes) == (4, 2)
    assert measures.change_failure_rate == pytest.approx(0.5)
    assert measures.results == {"succeeded": 2, "rolled back": 1, "rollback": 1, "failed": 1, "locked": 1}


def test_no_changes_no_failure_rate() -> None:
    assert delivery(build_history([]), {}, window(), EVERYTHING).change_failure_rate is None


def test_time_to_restore_from_the_first_bad_deployment_to_the_next_good_one() -> None:
    rows = [
        deployment(1, commit="a"),
        deployment(2, commit="b", status="failed"),  # broken from 2 h ...
        deployment(3, commit="b2", status="failed"),  # still broken
        deployment(5, commit="c"),  # ... restored by a fix at 5 h: 3 h
        deployment(10, commit="d"),  # rolled back: broken from 10 h ...
        deployment(11, commit="c", flow="rollback"),  # ... restored by the rollback at 11 h: 1 h
        deployment(20, commit="e", project="network", status="failed"),  # never restored
    ]
    measures = delivery(build_history(rows), {}, window(), EVERYTHING)
    assert measures.time_to_restore.count == 2
    assert measures.time_to_restore.mean_s == pytest.approx(2 * 3600)
    assert measures.unrestored == 1


def test_stacks_are_judged_apart() -> None:
    """A failure of app/qa is not restored by a success of app/prod, nor rolled back by network's rollback."""
    rows = [
        deployment(1, environment="qa", status="failed"),
        deployment(2, environment="prod"),
        deployment(3, project="network", flow="rollback"),
    ]
    measures = delivery(build_history(rows), {}, window(), EVERYTHING)
    assert measures.unrestored == 1
    assert measures.failed_changes == 1


def test_days_stack_results_and_lead_times_per_utc_day() -> None:
    rows = [
        deployment(1, commit="a"),
        deployment(2, commit="b", status="failed"),
        deployment(25, commit="c"),
        deployment(26, commit="a", flow="rollback"),
    ]
    days = delivery_days(build_history(rows), {"a": at(0), "c": at(23)}, window(0, 72), EVERYTHING)
    assert [d.day for d in days] == [T0.date(), at(24).date(), at(48).date()]
    assert days[0].results == {"succeeded": 1, "failed": 1}
    assert days[0].change_failure_rate == pytest.approx(0.5)
    assert days[0].lead_time.median_s == pytest.approx(3600)
    assert days[1].results == {"rolled back": 1, "rollback": 1}
    assert days[1].lead_time.median_s == pytest.approx(2 * 3600)
    assert days[2].results == {} and days[2].change_failure_rate is None
