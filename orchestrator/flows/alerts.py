"""Use cases: tell people what a finished run needs them to know, and which stacks are held too long.

`notify_run` is called at the end of `run_deploy`; `notify_held_locks` by the server's lock watch
every few minutes and by each `orchestrator drift` run, so a lease held for hours by a stuck run
is announced while it is held, not when some later deploy happens to finish. Neither raises
nor waits on an endpoint: alerts are queued on background threads (alerts/send.py); a store
that cannot be read only loses the alerts, with a warning, never the flow's result.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from orchestrator.alerts.events import Alert, HeldLock, RunFacts, lock_alerts, run_alerts
from orchestrator.alerts.messages import dashboard_link, run_link
from orchestrator.alerts.send import Dispatch, Post, dispatch, http_post
from orchestrator.config.resolved import RepoConfig

log = logging.getLogger("orchestrator.alerts")


def notify_run(config: RepoConfig, store: Any, facts: RunFacts, *, environ: Mapping[str, str] | None = None,
               post: Post = http_post, now: datetime | None = None) -> tuple[Dispatch, ...]:
    """Queue the run's alerts and those of stacks of its environments locked longer than their threshold."""
    if not any(config.environments[e].notify.webhook_url_env for e in facts.environments if e in config.environments):
        return ()  # nothing configured: not even a query
    try:
        environ = os.environ if environ is None else environ
        alerts = run_alerts(facts) + held_lock_alerts(config, store, facts.environments, now)
        return _dispatch(config, store, alerts, environ, post)
    except Exception:  # alerts are a courtesy: the deploy's outcome stands whatever happens here
        log.warning("alerts for run %s could not be sent", facts.run_id, exc_info=True)
        return ()


def notify_held_locks(config: RepoConfig, store: Any, *, environments: Collection[str] | None = None,
                      environ: Mapping[str, str] | None = None, post: Post = http_post,
                      now: datetime | None = None) -> tuple[Dispatch, ...]:
    """Queue a `stack_locked` alert for each lease of `environments` (default all) held longer than
    its environment's `notify.lock_threshold_minutes`; each lease is announced once."""
    names = [name for name, env in config.environments.items()
             if (environments is None or name in environments) and env.notify.wants("stack_locked")]
    if not names:
        return ()  # nothing configured: not even a query
    try:
        alerts = held_lock_alerts(config, store, names, now)
        return _dispatch(config, store, alerts, os.environ if environ is None else environ, post)
    except Exception:  # a store or configuration that fails here must not stop a tick or a drift run
        log.warning("held locks could not be checked for alerts", exc_info=True)
        return ()


def held_lock_alerts(config: RepoConfig, store: Any, environments: Collection[str],
                     now: datetime | None) -> list[Alert]:
    """Alerts for the live leases of `environments` held past their threshold, judged by the
    clock the leases were stamped with (the database server's on PostgreSQL)."""
    thresholds = {name: env.notify.lock_threshold_s for name, env in config.environments.items()
                  if name in environments}
    held = [HeldLock(lease.stack, lease.holder, lease.run_id, lease.acquired_at, lease.commit)
            for lease in store.locks() if lease.stack.rpartition("/")[2] in thresholds]
    if not held:
        return []
    return lock_alerts(held, now=now or store.lease_clock(), thresholds=thresholds)


def _dispatch(config: RepoConfig, store: Any, alerts: list[Alert], environ: Mapping[str, str],
              post: Post) -> tuple[Dispatch, ...]:
    from orchestrator.store.alerts import AlertLog

    if not alerts:
        return ()
    sent_log = AlertLog(store)
    return tuple(dispatch(alert, config.environments[alert.environment].notify, sent_log, environ=environ,
                          link=_link(alert, environ), post=post)
                 for alert in alerts if alert.environment in config.environments)


def _link(alert: Alert, environ: Mapping[str, str]) -> str | None:
    # A held lock belongs to another run: this process's CI run is not where to look.
    return dashboard_link(alert.run_id, environ) if alert.kind == "stack_locked" else run_link(alert.run_id, environ)
