"""One lock file per stack, as the DIY backend keeps: held by a process, taken over when
that process is dead."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from orchestrator.engines.local.state import timestamp
from orchestrator.fsutil import pid_alive


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    started: str
    operation: str = ""

    def describe(self) -> str:
        what = f" ({self.operation})" if self.operation else ""
        return f"pid {self.pid} on {self.host}, since {self.started}{what}"


class LocalStateLocked(Exception):
    """The local engine's lock file for a stack is held (flows.locking.StackLocked is a held
    lease in the run store)."""

    def __init__(self, holder: LockHolder, path: Path) -> None:
        super().__init__(f"stack is locked by {holder.describe()} (lock file {path})")
        self.holder = holder
        self.path = path


def _read_holder(path: Path) -> LockHolder | None:
    try:
        raw = json.loads(path.read_text())
        return LockHolder(
            pid=int(raw["pid"]), host=str(raw["host"]), started=str(raw["started"]),
            operation=str(raw.get("operation", "")),
        )
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        # A torn or foreign lock file: treat as held by nobody we can name.
        return LockHolder(pid=0, host="unknown", started="unknown")


class StackLock:
    """One lock file per stack. A lock whose holder is a dead process on this host is
    stale and taken over; any other held lock raises `LocalStateLocked`."""

    def __init__(self, path: Path, *, operation: str = "") -> None:
        self.path = path
        self.operation = operation
        self.holder: LockHolder | None = None
        self.took_over: LockHolder | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = LockHolder(pid=os.getpid(), host=socket.gethostname(), started=timestamp(), operation=self.operation)
        # The guard serializes the check-then-take of a stale lock between processes.
        with open(self.path.with_name(self.path.name + ".guard"), "a") as guard:
            fcntl.flock(guard.fileno(), fcntl.LOCK_EX)
            try:
                current = _read_holder(self.path)
                if current is not None:
                    if current.host == me.host and current.pid > 0 and not pid_alive(current.pid):
                        self.took_over = current
                        self.path.unlink()
                    else:
                        raise LocalStateLocked(current, self.path)
                self._create(me)
            finally:
                fcntl.flock(guard.fileno(), fcntl.LOCK_UN)
        self.holder = me

    def _create(self, me: LockHolder) -> None:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                holder = _read_holder(self.path) or me
                raise LocalStateLocked(holder, self.path) from exc
            raise
        with os.fdopen(fd, "w") as fh:
            json.dump({"pid": me.pid, "host": me.host, "started": me.started, "operation": me.operation}, fh)
            fh.flush()
            os.fsync(fh.fileno())

    def release(self) -> None:
        if self.holder is None:
            return
        current = _read_holder(self.path)
        if current is not None and current.pid == self.holder.pid and current.host == self.holder.host:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        self.holder = None

    def __enter__(self) -> StackLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
