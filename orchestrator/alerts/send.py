"""Sending alerts: once per event, in the background, never longer than the environment's timeout.

The key is claimed in the database before the call, so a retry or another server never sends
it again; a failed call is recorded (and logged) but not retried, which could announce twice.
Calls run on a small pool of background threads: the flow goes on at once. A command line
process waits for its pending calls at exit, each bounded by its timeout. The URL is a secret:
it never reaches a log, a result or the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from orchestrator.alerts.events import Alert
from orchestrator.alerts.messages import payload
from orchestrator.config.resolved import NotifySettings
from orchestrator.redact import Redactor
from orchestrator.store.alerts import AlertLog

log = logging.getLogger("orchestrator.alerts")

Post = Callable[[str, dict[str, Any], float], int]  # (url, JSON payload, timeout s) → HTTP status
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="orchestrator-alert")


@dataclass(frozen=True)
class Dispatch:
    """What became of one alert here: `queued` (sent in the background), or why not."""

    alert: Alert
    queued: bool
    reason: str | None = None  # already sent, no URL set, event not wanted
    future: Future[str] | None = None  # resolves to the recorded outcome (tests wait on it)


def http_post(url: str, body: dict[str, Any], timeout_s: float) -> int:
    import httpx

    return httpx.post(url, json=body, timeout=timeout_s).status_code


def dispatch(alert: Alert, settings: NotifySettings, log_: AlertLog, *, environ: Mapping[str, str],
             link: str | None, post: Post = http_post) -> Dispatch:
    if not settings.wants(alert.kind):
        return Dispatch(alert, False, f"{alert.kind} is not in notify.events" if settings.webhook_url_env
                        else "no notify.webhook_url_env")
    name = settings.webhook_url_env or ""
    url = environ.get(name, "").strip()
    if not url:
        return Dispatch(alert, False, f"${name} is not set")
    if not log_.claim(alert.key, kind=alert.kind, environment=alert.environment, run_id=alert.run_id):
        return Dispatch(alert, False, "already sent")
    body = payload(alert, fmt=settings.format, link=link)
    future = _POOL.submit(_deliver, alert, url, body, settings.timeout_s, log_, post)
    return Dispatch(alert, True, future=future)


def _deliver(alert: Alert, url: str, body: dict[str, Any], timeout_s: float, log_: AlertLog, post: Post) -> str:
    try:
        status = post(url, body, timeout_s)
        outcome = "sent" if 200 <= status < 300 else f"the webhook answered HTTP {status}"
    except Exception as exc:  # the message may hold the URL: say only what kind of failure, redacted
        outcome = "POST failed: " + Redactor([url]).text(f"{type(exc).__name__}: {exc}").replace(url, "[webhook URL]")
    if outcome != "sent":
        log.warning("alert %s for %s: %s", alert.kind, alert.environment, outcome)
    try:
        log_.record(alert.key, outcome)
    except Exception:  # the outcome is a note; the database being away must not raise in a pool thread
        log.warning("alert %s: could not record the outcome", alert.key, exc_info=True)
    return outcome
