"""`stack_locked` while the lease is held: the server's lock watch and every `orchestrator drift` run
announce a stack held past its threshold once per lease, to a real HTTP receiver on loopback,
without waiting on it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from orchestrator.server.app import Server, ServerOptions, build_server
from orchestrator.store import schema
from orchestrator.store.sql import SqlStore
from tests.alerts.receiver import Receiver, receiver
from tests.support.dashboard_demo import make_demo_repo
from tests.support.gitrepo import git

HOOK_VAR = "TEST_LOCK_ALERTS_WEBHOOK_URL"
DASHBOARD = "https://orchestrator.example.com"
COMMIT = "0ced3f9ea3810123456789abcdef0123456789ab"


@dataclass
class Infra:
    root: Path
    url: str
    store: SqlStore

    def server(self) -> Server:
        """A server process on the shared database (a second call is a restart)."""
        return build_server(ServerOptions(repo=self.root, workers=0), secret=None, database_url=self.url)

    def hold(self, stack: str, run_id: str, *, minutes: float) -> None:
        """`run_id` took `stack` `minutes` ago and keeps renewing it (a stuck run)."""
        lease = self.store.acquire_lock(stack, holder=f"deploy run {run_id} by ci on runner-7 pid 4242",
                                        run_id=run_id, commit=COMMIT, ttl_s=600)
        assert lease is not None
        with self.store.transaction(write=True) as conn:
            conn.execute(sa.update(schema.locks).where(schema.locks.c.stack == stack)
                         .values(acquired_at=lease.acquired_at - timedelta(minutes=minutes)))


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Infra]:
    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("ORCHESTRATOR_PUBLIC_URL", raising=False)
    monkeypatch.setenv("ORCHESTRATOR_DASHBOARD_URL", DASHBOARD)
    root = make_demo_repo(tmp_path / "infra")
    for env in ("qa", "prod"):  # qa keeps the default threshold (30 min), prod alerts after 20 min
        path = root / "environments" / f"{env}.yaml"
        threshold = "  lock_threshold_minutes: 20\n" if env == "prod" else ""
        path.write_text(path.read_text().split("notify:")[0]
                        + f"notify:\n  webhook_url_env: {HOOK_VAR}\n  format: json\n  timeout_s: 1\n{threshold}")
    git(root, "commit", "-qam", "lock alerts to the team's webhook")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = SqlStore(url)
    yield Infra(root, url, store)
    store.close()


def _settle(hook: Receiver, count: int) -> list[dict[str, object]]:
    """The bodies once `count` arrived, after a moment in which any extra one would have too."""
    bodies = hook.wait_for(count)
    time.sleep(0.3)
    assert len(hook.bodies) == count, hook.bodies
    return bodies


def test_the_server_announces_a_stuck_lease_once_and_a_new_lease_again(infra: Infra,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    infra.hold("app/prod", "r-stuck", minutes=185)
    infra.hold("app/qa", "r-busy", minutes=25)  # under qa's 30 minutes
    server = infra.server()
    assert server.lock_watch is not None
    with receiver() as hook:
        monkeypatch.setenv(HOOK_VAR, hook.url)
        (first,) = server.lock_watch.tick()
        assert first.queued
        (body,) = _settle(hook, 1)
        assert body["event"] == "stack_locked" and body["environment"] == "prod"
        assert body["summary"] == "app/prod has been locked for 3 h 05 min"
        assert body["stacks"] == ["app/prod"] and body["commit"] == COMMIT
        assert body["details"][0] == "held by deploy run r-stuck by ci on runner-7 pid 4242"
        assert body["run"] == {"id": "r-stuck", "url": f"{DASHBOARD}/runs/r-stuck"}

        assert server.lock_watch.tick() == ()  # the next tick: the same lease, already announced
        server.stop()
        restarted = infra.server()  # a restart (or a second replica) remembers it through the database
        assert restarted.lock_watch is not None and restarted.lock_watch.tick() == ()
        _settle(hook, 1)

        infra.store.release_lock("app/prod", "r-stuck")
        infra.hold("app/prod", "r-next", minutes=21)  # a new lease of the same stack: a new event
        (again,) = restarted.lock_watch.tick()
        assert again.alert.run_id == "r-next"
        bodies = _settle(hook, 2)
        assert bodies[1]["summary"] == "app/prod has been locked for 21 min"
        restarted.stop()


def test_a_lease_under_the_threshold_says_nothing(infra: Infra, monkeypatch: pytest.MonkeyPatch) -> None:
    infra.hold("app/prod", "r-1", minutes=19)
    infra.hold("network/qa", "r-2", minutes=29)
    server = infra.server()
    assert server.lock_watch is not None
    with receiver() as hook:
        monkeypatch.setenv(HOOK_VAR, hook.url)
        assert server.lock_watch.tick() == ()
        _settle(hook, 0)
    server.stop()


def test_a_slow_webhook_does_not_hold_the_tick(infra: Infra, monkeypatch: pytest.MonkeyPatch) -> None:
    infra.hold("app/prod", "r-stuck", minutes=45)
    server = infra.server()
    assert server.lock_watch is not None
    with receiver(delay_s=5) as hook:
        monkeypatch.setenv(HOOK_VAR, hook.url)
        began = time.monotonic()
        (queued,) = server.lock_watch.tick()
        took = time.monotonic() - began
        assert queued.future is not None and not queued.future.done()  # still waiting on the receiver (5 s)
        assert took < 1.0  # the tick did not wait for it, nor for the call's 1 s timeout
        assert queued.future.result(timeout=10).startswith("POST failed: ReadTimeout")  # after timeout_s (1 s)
    server.stop()


def test_a_scheduled_drift_run_announces_held_locks_even_when_nothing_is_due(infra: Infra) -> None:
    from orchestrator.flows.drift import DriftRequest, run_drift
    from orchestrator.store.drift import DriftStore

    now = datetime.now(UTC)
    DriftStore(infra.store).record_run(["qa", "prod"], at=now, run_id="earlier")  # checked just now: not due
    infra.hold("app/prod", "r-stuck", minutes=45)
    infra.hold("app/qa", "r-crawl", minutes=50)
    with receiver() as hook:
        environ = {HOOK_VAR: hook.url, "GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "99",
                   "GITHUB_REPOSITORY": "acme/infra"}
        request = DriftRequest(repo=infra.root, environments=("prod",), due=True, now=now, environ=environ)
        outcome = run_drift(request, infra.store, None)
        assert outcome.run_id is None and outcome.not_due  # no drift check ran
        assert [d.alert.stacks for d in outcome.lock_alerts] == [("app/prod",)]  # qa is not this run's
        (body,) = _settle(hook, 1)
        # The drift job's own CI run is not where the stuck run is: no link without a dashboard.
        assert body["run"] == {"id": "r-stuck", "url": None}
        again = run_drift(request, infra.store, None)
        assert [(d.queued, d.reason) for d in again.lock_alerts] == [(False, "already sent")]
        _settle(hook, 1)
