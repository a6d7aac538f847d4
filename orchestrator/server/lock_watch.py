"""The lock watch: every few minutes, alert the stacks whose lease has been held longer than
their environment's `notify.lock_threshold_minutes`.

A run that is stuck keeps renewing its lease and holds its stacks for as long as it hangs; the
end-of-run check (flows/alerts.py `notify_run`) would only see it when some later deploy
finishes. Each lease is announced once across ticks, restarts and servers sharing the database
(the alert's key names the lease; alerts/send.py claims it), and a tick never waits on a webhook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestrator.alerts.send import Dispatch
from orchestrator.errors import UserError
from orchestrator.server.periodic import Periodic

log = logging.getLogger("orchestrator.server")

DEFAULT_INTERVAL_S = 120.0


class LockWatch:
    def __init__(self, check: Callable[[], tuple[Dispatch, ...]], *, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        self.check = check
        self.last_error: str | None = None
        self._service = Periodic("lock-watch", self.tick, interval_s=lambda: interval_s, on_error=self._failed)

    def start(self) -> None:
        self._service.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._service.stop(timeout)

    def tick(self) -> tuple[Dispatch, ...]:
        """The alerts queued now (sent in the background)."""
        queued = tuple(d for d in self.check() if d.queued)
        for sent in queued:
            log.info("lock watch: %s", sent.alert.summary)
        self.last_error = None
        return queued

    def _failed(self, exc: Exception) -> None:
        self.last_error = exc.message if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
        log.error("lock watch: %s", self.last_error)


def held_locks_check(repo: Path, store: Any) -> Callable[[], tuple[Dispatch, ...]]:
    """Each tick reads the clone's configuration afresh (thresholds and webhooks may change)."""

    def check() -> tuple[Dispatch, ...]:
        from orchestrator.config.load import load_repository
        from orchestrator.flows.alerts import notify_held_locks

        return notify_held_locks(load_repository(repo), store)

    return check
