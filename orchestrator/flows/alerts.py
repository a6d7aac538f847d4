"""Use case: tell people what a finished deploy, promote or rollback run needs them to know.

Called at the end of `run_deploy`. Never raises and never waits on an endpoint: alerts are
queued on background threads (alerts/send.py); a store that cannot be read only loses the
alerts, with a warning, never the deploy's result.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from orchestrator.alerts.events import HeldLock, RunFacts, lock_alerts, run_alerts
from orchestrator.alerts.messages import run_link
from orchestrator.alerts.send import Dispatch, Post, dispatch, http_post
from orchestrator.config.resolved import RepoConfig

log = logging.getLogger("orchestrator.alerts")


def notify_run(config: RepoConfig, store: Any, facts: RunFacts, *, environ: Mapping[str, str] | None = None,
               post: Post = http_post, now: datetime | None = None) -> tuple[Dispatch, ...]:
    """Queue the run's alerts and those of stacks of its environments locked longer than their threshold."""
    if not any(config.environments[e].notify.webhook_url_env for e in facts.environments if e in config.environments):
        return ()  # nothing configured: not even a query
    try:
        return _notify(config, store, facts, os.environ if environ is None else environ, post, now)
    except Exception:  # alerts are a courtesy: the deploy's outcome stands whatever happens here
        log.warning("alerts for run %s could not be sent", facts.run_id, exc_info=True)
        return ()


def _notify(config: RepoConfig, store: Any, facts: RunFacts, environ: Mapping[str, str], post: Post,
            now: datetime | None) -> tuple[Dispatch, ...]:
    from orchestrator.store.alerts import AlertLog

    sent_log = AlertLog(store)
    alerts = run_alerts(facts)
    thresholds = {name: env.notify.lock_threshold_s for name, env in config.environments.items()
                  if name in facts.environments}
    held = [HeldLock(lease.stack, lease.holder, lease.run_id, lease.acquired_at) for lease in store.locks()
            if lease.stack.rpartition("/")[2] in thresholds]
    alerts += lock_alerts(held, now=now or datetime.now(UTC), thresholds=thresholds)
    return tuple(dispatch(alert, config.environments[alert.environment].notify, sent_log, environ=environ,
                          link=run_link(alert.run_id, environ), post=post)
                 for alert in alerts if alert.environment in config.environments)
