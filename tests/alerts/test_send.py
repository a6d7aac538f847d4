"""Alerts sent to a real HTTP receiver on loopback: once per event, in the background, bounded by the
timeout, the URL never recorded; and end to end from a real deploy run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator.alerts.events import Alert
from orchestrator.alerts.send import dispatch
from orchestrator.config.resolved import NotifySettings
from orchestrator.engines.base import StackResult
from orchestrator.models import StackSpec
from orchestrator.store.alerts import AlertLog
from orchestrator.store.sql import SqlStore
from tests.alerts.receiver import receiver
from tests.support.dashboard_demo import DemoEngine, make_demo_repo
from tests.support.gitrepo import git

HOOK_VAR = "TEST_ALERTS_WEBHOOK_URL"
ALERT = Alert(kind="deploy_failed", environment="qa", key="deploy_failed:qa:abc:app/qa", summary="it broke",
              run_id="r1", commit="abc", stacks=("app/qa",), details=("app/qa: failed",))


@pytest.fixture
def sent_log(tmp_path: Path) -> AlertLog:
    return AlertLog(SqlStore(f"sqlite:///{tmp_path / 'store.db'}"))


def _settings(**changes: Any) -> NotifySettings:
    return NotifySettings(webhook_url_env=HOOK_VAR, **changes)


def test_an_alert_is_sent_once_whoever_reports_it_again(sent_log: AlertLog) -> None:
    with receiver() as hook:
        env = {HOOK_VAR: hook.url}
        first = dispatch(ALERT, _settings(), sent_log, environ=env, link=None)
        assert first.queued and first.future is not None and first.future.result(timeout=10) == "sent"
        again = dispatch(ALERT, _settings(), sent_log, environ=env, link=None)
        assert (again.queued, again.reason) == (False, "already sent")
        assert hook.bodies == [{"text": hook.bodies[0]["text"]}]
        assert "*Deploy failed* in qa: it broke" in hook.bodies[0]["text"]
    assert sent_log.outcomes() == {ALERT.key: "sent"}


def test_a_slow_endpoint_never_holds_the_caller(sent_log: AlertLog) -> None:
    with receiver(delay_s=3) as hook:
        began = time.monotonic()
        queued = dispatch(ALERT, _settings(timeout_s=0.5, format="json"), sent_log, environ={HOOK_VAR: hook.url},
                          link="https://dash.example.com/runs/r1")
        assert time.monotonic() - began < 0.5  # queued, not sent, when dispatch returns
        assert queued.future is not None
        outcome = queued.future.result(timeout=10)
    assert outcome.startswith("POST failed: ReadTimeout")
    assert hook.url not in outcome and "secret-token-xyz" not in outcome
    assert sent_log.outcomes()[ALERT.key] == outcome


def test_an_error_answer_is_recorded(sent_log: AlertLog) -> None:
    with receiver(status=500) as hook:
        queued = dispatch(ALERT, _settings(), sent_log, environ={HOOK_VAR: hook.url}, link=None)
        assert queued.future is not None and queued.future.result(timeout=10) == "the webhook answered HTTP 500"


def test_nothing_is_claimed_without_a_url_or_for_an_unwanted_event(sent_log: AlertLog) -> None:
    assert dispatch(ALERT, _settings(), sent_log, environ={}, link=None).reason == f"${HOOK_VAR} is not set"
    unwanted = dispatch(ALERT, _settings(events=("rollback",)), sent_log, environ={HOOK_VAR: "http://127.0.0.1:9"},
                        link=None)
    assert unwanted.reason == "deploy_failed is not in notify.events"
    assert sent_log.outcomes() == {}


class FailingApp(DemoEngine):
    def update(self, stack: StackSpec) -> StackResult:
        if stack.project == "app" and stack.environment == "qa":
            return StackResult(stack="app/qa", operation="update", status="failed", error="AccessDenied: no queue")
        return super().update(stack)


def test_a_deploy_run_alerts_its_failure_and_the_waiting_gate_once(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.flows.deploy import DeployRequest, run_deploy

    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    root = make_demo_repo(tmp_path / "infra")
    for env in ("qa", "prod"):
        path = root / "environments" / f"{env}.yaml"
        text = path.read_text().split("notify:")[0]
        path.write_text(text + f"notify:\n  webhook_url_env: {HOOK_VAR}\n  format: json\n")
    git(root, "commit", "-qam", "alerts to the team's webhook")
    store = SqlStore(f"sqlite:///{tmp_path / 'store.db'}")
    engine = FailingApp()
    with receiver() as hook:
        monkeypatch.setenv(HOOK_VAR, hook.url)
        monkeypatch.setenv("ORCHESTRATOR_DASHBOARD_URL", "https://orchestrator.example.com")
        request = DeployRequest(repo=root, after="main", branch="main", actor="ci")
        outcome = run_deploy(request, store, None, engine_factory=lambda _name: engine)
        assert [(d.alert.kind, d.alert.environment, d.queued) for d in outcome.alerts] == [
            ("deploy_failed", "qa", True),
            ("gate_waiting", "uat", False),  # uat has no webhook configured
            ("gate_waiting", "prod", True),  # prod waits for uat (and its approval)
        ]
        bodies = sorted(hook.wait_for(2), key=lambda b: b["event"])
        commit = git(root, "rev-parse", "main")
        failed, waiting = bodies
        assert failed["event"] == "deploy_failed" and failed["commit"] == commit and failed["stacks"] == ["app/qa"]
        assert failed["details"] == ["app/qa: failed: AccessDenied: no queue"]
        assert failed["run"] == {"id": outcome.run_id, "url": f"https://orchestrator.example.com/runs/{outcome.run_id}"}
        assert waiting["event"] == "gate_waiting" and waiting["environment"] == "prod"
        assert waiting["stacks"] == ["app/prod", "data/prod", "network/prod"]
        # The same failure again (a retry): nothing new is sent.
        retry = run_deploy(request, store, None, engine_factory=lambda _name: engine)
        assert [(d.alert.kind, d.reason) for d in retry.alerts if d.alert.environment != "uat"] == [
            ("deploy_failed", "already sent"), ("gate_waiting", "already sent")]
        time.sleep(0.3)
        assert len(hook.bodies) == 2
    store.close()
