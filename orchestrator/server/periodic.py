"""A background service that does one round of work, waits, and does the next, until stopped.

The drift scheduler and the pull-mode poller are such services: a round that fails is logged
(and recorded by its service) and the next round runs anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Periodic:
    def __init__(self, name: str, round_: Callable[[], object], *, interval_s: Callable[[], float],
                 on_error: Callable[[Exception], None]) -> None:
        self.name = name
        self._round = round_
        self._interval_s = interval_s
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._round()
            except Exception as exc:  # keep going whatever one round did
                self._on_error(exc)
            self._stop.wait(self._interval_s())
