"""What a finished run says, and how it reads: pure functions over plain facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchestrator.alerts.events import GateOutcome, HeldLock, RunFacts, StackOutcome, lock_alerts, run_alerts
from orchestrator.alerts.messages import payload, run_link, slack_text

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _facts(run_id: str = "r1", flow: str = "deploy") -> RunFacts:
    return RunFacts(
        run_id=run_id, flow=flow, commit=COMMIT, environments=("qa", "prod"),
        stacks=(StackOutcome("app/qa", "failed", "AccessDenied"), StackOutcome("network/qa", "succeeded"),
                StackOutcome("app/prod", "skipped", "waiting for a gate")),
        gates=(GateOutcome("qa", True), GateOutcome("prod", False, ("needs 1 approving review, has 0",))),
    )


def test_a_failed_stack_and_a_closed_gate_each_make_one_alert() -> None:
    alerts = run_alerts(_facts())
    assert [(a.kind, a.environment, a.stacks) for a in alerts] == [
        ("deploy_failed", "qa", ("app/qa",)), ("gate_waiting", "prod", ("app/prod",))]
    assert alerts[0].details == ("app/qa: failed: AccessDenied",)
    assert alerts[1].details == ("needs 1 approving review, has 0",)


def test_keys_name_the_event_so_a_retried_run_repeats_none() -> None:
    assert [a.key for a in run_alerts(_facts("r1"))] == [a.key for a in run_alerts(_facts("r2"))]


def test_a_rollback_is_announced_per_environment() -> None:
    facts = RunFacts(run_id="r9", flow="rollback", commit=COMMIT, environments=("prod",),
                     stacks=(StackOutcome("app/prod", "succeeded"),))
    (alert,) = run_alerts(facts)
    assert (alert.kind, alert.summary) == ("rollback", "prod was rolled back to 0123456789ab")


def test_locks_held_past_the_threshold() -> None:
    now = datetime(2025, 1, 1, 12, tzinfo=UTC)
    locks = [HeldLock("app/prod", "deploy run r0 by ci", "r0", now - timedelta(minutes=45)),
             HeldLock("app/qa", "deploy run r5 by ci", "r5", now - timedelta(minutes=5))]
    (alert,) = lock_alerts(locks, now=now, thresholds={"prod": 1800, "qa": 1800})
    assert (alert.kind, alert.stacks) == ("stack_locked", ("app/prod",))
    assert alert.key == "stack_locked:app/prod:r0:2025-01-01T11:15:00+00:00"  # the lease: stack, run, taken at
    assert alert.summary == "app/prod has been locked for 45 min"


def test_each_lease_is_its_own_event_and_hours_read_as_hours() -> None:
    now = datetime(2025, 1, 1, 12, tzinfo=UTC)
    taken = HeldLock("app/prod", "deploy run r0 by ci", "r0", now - timedelta(hours=3, minutes=5), "abc")
    retaken = HeldLock("app/prod", "deploy run r0 by ci", "r0", now - timedelta(hours=1))  # same run, new lease
    first, second = lock_alerts([taken, retaken], now=now, thresholds={"prod": 1800})
    assert first.key != second.key
    assert (first.summary, first.commit) == ("app/prod has been locked for 3 h 05 min", "abc")
    assert first.details == ("held by deploy run r0 by ci", "since 2025-01-01 08:55 UTC")


def test_slack_text_escapes_and_links_the_run() -> None:
    alert = run_alerts(_facts())[0]
    text = slack_text(alert, "https://ci.example.com/runs/r1")
    assert text.splitlines()[0] == "*Deploy failed* in qa: deploy of 0123456789ab failed in qa: 1 of 2 stack(s)"
    assert "<https://ci.example.com/runs/r1|run r1> · commit `0123456789ab` · stacks: app/qa" in text
    hostile = run_alerts(RunFacts(run_id="r", flow="deploy", commit=COMMIT, environments=("qa",),
                                  stacks=(StackOutcome("app/qa", "failed", "<!channel> & <http://x|y>"),)))[0]
    assert "&lt;!channel&gt; &amp; &lt;http://x|y&gt;" in slack_text(hostile, None)


def test_the_json_event_carries_run_commit_and_stacks() -> None:
    body = payload(run_alerts(_facts())[1], fmt="json", link=None)
    assert body["event"] == "gate_waiting" and body["environment"] == "prod"
    assert body["run"] == {"id": "r1", "url": None} and body["commit"] == COMMIT and body["stacks"] == ["app/prod"]


def test_the_run_link_prefers_the_dashboard_then_the_ci_run() -> None:
    assert run_link("r1", {"ORCHESTRATOR_DASHBOARD_URL": "https://orch.example.com/"}) == \
        "https://orch.example.com/runs/r1"
    github = {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "42", "GITHUB_REPOSITORY": "acme/infra"}
    assert run_link("r1", github) == "https://github.com/acme/infra/actions/runs/42"
    assert run_link("r1", {}) is None
