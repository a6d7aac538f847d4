"""The four DORA measures over plain deployment rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from orchestrator.insights.delivery import Breakdown, DeliveryMeasures, breakdown
from orchestrator.insights.history import build_history
from orchestrator.insights.model import ALL, Deployment, Scope, Window
from tests.insights.rows import T0, at, deployment, ts, window


def _breakdown(rows: Sequence[Deployment], commit_times: Mapping[str, float] | None = None,
               within: Window | None = None, scope: Scope = ALL) -> Breakdown:
    return breakdown(build_history(rows), commit_times or {}, within or window(), scope)


def delivery(rows: Sequence[Deployment], commit_times: Mapping[str, float] | None = None,
             scope: Scope = ALL) -> DeliveryMeasures:
    return _breakdown(rows, commit_times, scope=scope).total


def test_deployment_frequency_counts_stack_updates_that_ran_in_the_window() -> None:
    rows = [
        deployment(-5),  # before the window
        deployment(1),
        deployment(2, project="network"),
        deployment(3, status="locked"),  # never touched the stack
        deployment(30, flow="promote", environment="qa"),
        deployment(24 * 10 + 1),  # after
    ]
    measures = delivery(rows)
    assert measures.deployments == 3
    assert measures.per_day == pytest.approx(0.3)
    assert measures.results == {"succeeded": 3, "locked": 1}


def test_lead_time_runs_from_commit_time_to_first_successful_update_in_the_environment() -> None:
    commit_times = {"a": ts(0), "b": ts(10), "c": ts(20)}
    rows = [
        deployment(2, commit="a", environment="qa"),
        deployment(5, commit="a", status="failed"),  # a failure does not deliver
        deployment(6, commit="a"),  # prod: 6 h after the commit
        deployment(7, commit="a"),  # a redeploy is not a new delivery
        deployment(13, commit="b", project="network"),  # prod: first stack at 13 h → 3 h
        deployment(14, commit="b"),
        deployment(40, commit="c", flow="rollback"),  # a rollback delivers no change
        deployment(41, commit="unknown-commit"),  # no commit time: no lead time
    ]
    measures = delivery(rows, commit_times, Scope(environment="prod"))
    assert measures.lead_time.count == 2
    assert measures.lead_time.median_s == pytest.approx(4.5 * 3600)
    assert measures.lead_time.p90_s == pytest.approx(6 * 3600)
    # Per project, the project's own stacks decide: app got b at 14 h → 4 h.
    app = delivery(rows, commit_times, Scope(environment="prod", project="app"))
    assert (app.lead_time.median_s, app.lead_time.p90_s) == (5 * 3600, 6 * 3600)


def test_a_commit_first_delivered_before_the_window_has_no_lead_time_in_it() -> None:
    rows = [deployment(-2, commit="a"), deployment(3, commit="a")]
    measures = delivery(rows, {"a": ts(-10)})
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
    measures = delivery(rows)
    assert (measures.changes, measures.failed_changes) == (4, 2)
    assert measures.change_failure_rate == pytest.approx(0.5)
    assert measures.results == {"succeeded": 2, "rolled back": 1, "rollback": 1, "failed": 1, "locked": 1}


def test_a_rollback_to_the_commit_a_stack_already_runs_undoes_nothing() -> None:
    """`rollback --env prod --to a` rolls back every stack of prod; network was at `a` already."""
    rows = [
        deployment(1, commit="a", project="network"),
        deployment(1, commit="a"),
        deployment(2, commit="b"),  # app's change, the one the rollback undoes
        deployment(3, commit="a", flow="rollback"),
        deployment(3, commit="a", project="network", flow="rollback"),
    ]
    measures = delivery(rows)
    assert (measures.changes, measures.failed_changes) == (3, 1)
    assert measures.results == {"succeeded": 2, "rolled back": 1, "rollback": 2}
    network = delivery(rows, scope=Scope(project="network"))
    assert network.failed_changes == 0 and network.time_to_restore.count == 0


def test_a_reconcile_is_a_deployment_that_delivers_its_commit() -> None:
    """`orchestrator reconcile` brings a rolled-back stack to its branch's tip: a deployment."""
    rows = [
        deployment(1, commit="a"),
        deployment(2, commit="b"),  # rolled back ...
        deployment(3, commit="a", flow="rollback"),
        deployment(5, commit="c", flow="reconcile"),  # ... and the tip, c, deployed by reconcile
    ]
    measures = delivery(rows, {"c": ts(4)})
    assert measures.deployments == 4
    assert (measures.changes, measures.failed_changes) == (3, 1)
    assert measures.results == {"succeeded": 2, "rolled back": 1, "rollback": 1}
    assert measures.lead_time.count == 1 and measures.lead_time.median_s == pytest.approx(3600)


def test_no_changes_no_failure_rate() -> None:
    assert delivery([]).change_failure_rate is None


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
    measures = delivery(rows)
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
    measures = delivery(rows)
    assert measures.unrestored == 1
    assert measures.failed_changes == 1


def test_days_stack_results_and_lead_times_per_utc_day() -> None:
    rows = [
        deployment(1, commit="a"),
        deployment(2, commit="b", status="failed"),
        deployment(25, commit="c"),
        deployment(26, commit="a", flow="rollback"),
    ]
    days = _breakdown(rows, {"a": ts(0), "c": ts(23)}, window(0, 72)).days
    assert [d.day for d in days] == [T0.date(), at(24).date(), at(48).date()]
    assert days[0].results == {"succeeded": 1, "failed": 1}
    assert days[0].change_failure_rate == pytest.approx(0.5)
    assert days[0].lead_time.median_s == pytest.approx(3600)
    assert days[1].results == {"rolled back": 1, "rollback": 1}
    assert days[1].lead_time.median_s == pytest.approx(2 * 3600)
    assert days[2].results == {} and days[2].change_failure_rate is None


def test_breakdown_per_environment_and_project_adds_up() -> None:
    rows = [deployment(1, environment="qa"), deployment(2), deployment(3, project="network", status="failed"),
            deployment(4, project="network", environment="qa", flow="promote")]
    split = _breakdown(rows, {"c1": ts(0)})
    assert {e: m.deployments for e, m in split.environments.items()} == {"qa": 2, "prod": 2}
    assert {p: m.deployments for p, m in split.projects.items()} == {"app": 2, "network": 2}
    # c1 reached qa first at 1 h and prod at 2 h; per project: app 1 h and 2 h, network 4 h (qa).
    assert split.environments["prod"].lead_time.median_s == 2 * 3600
    assert split.projects["network"].lead_time.median_s == 4 * 3600
    assert split.total.lead_time.count == 2
    assert split.projects["network"].unrestored == 1 and split.projects["app"].unrestored == 0
