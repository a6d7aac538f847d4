"""The child process's plumbing: progress events on stdout, the program's prints on
stderr, death with the parent, and the result file."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from orchestrator.engines.local.job import JobResult


class Events:
    """Progress as JSON lines on the stream the parent reads."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> None:
        if self._stream is None:
            return
        line = json.dumps(event, default=str)
        with self._lock:
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                self._stream = None


def split_stdout() -> TextIO:
    """Keep the real stdout for events; send fd 1 (the program's prints) to stderr."""
    events_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    return os.fdopen(events_fd, "w", buffering=1)


def die_with_parent() -> None:
    """Ask Linux to SIGKILL us when the parent dies, so an orphan never keeps applying."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def write_result(path: Path, result: JobResult) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result.to_json(), default=str))
    os.replace(tmp, path)
