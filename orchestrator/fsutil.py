"""Files and processes on this machine: the one atomic write and the one liveness check.

Bottom layer: imports nothing from the package.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def atomic_write(path: Path, data: str | bytes, *, mode: int = 0o666) -> None:
    """Write `data` so that a reader, or a crash, sees either the old file or the new one, whole.

    A temp file beside `path` with a name no other writer (thread or process) uses, flushed to
    disk, renamed over `path`; then the directory is synced so the rename survives a power
    loss. The temp file is removed if anything fails. Text is written as UTF-8. `mode` is the
    new file's permission before the umask, as for `open()`: 0o600 for a file only its owner
    may read.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pid_alive(pid: int) -> bool:
    """Whether process `pid` runs on this machine. A process owned by another user counts; a
    zombie (exited, not yet reaped by its parent) does not: it will never release anything."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): the signal said it exists
    # The state letter follows the command name, which is in parentheses and may hold any text.
    return stat.rpartition(")")[2].split()[:1] != ["Z"]
