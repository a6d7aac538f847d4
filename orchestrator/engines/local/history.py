"""The local engine's update history, in the layout and format of Pulumi's DIY backend.

Each update or destroy leaves `<backend>/.pulumi/history/<project>/<stack>/<stack>-<unix ns>`
`.history.json` (Pulumi's `UpdateInfo`: kind, startTime, message, environment, config,
result, endTime, resourceChanges) and `.checkpoint.json` (the checkpoint as the update left
it), as `pulumi up` does on a `file://` backend. The orchestrator reads the newest entries
back to know which commit a stack applied (engines/applied.py).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.engines.applied import HistoryEntry, update_environment, update_message
from orchestrator.engines.base import StackResult
from orchestrator.engines.local.state import in_backend, state_path
from orchestrator.fsutil import atomic_write
from orchestrator.models import UpdateOrigin

_SUFFIX = ".history.json"


def history_dir(backend: Path, project: str, stack: str) -> Path:
    return in_backend(backend, ".pulumi", "history", project, stack)


def record_update(
    backend: Path, project: str, stack: str, *, kind: str, result: StackResult, origin: UpdateOrigin | None
) -> Path:
    """Add the entry of an update or destroy that just ended (call it while holding the stack's lock)."""
    ended = time.time()
    info: dict[str, Any] = {
        "kind": kind,
        "startTime": int(ended - result.duration_s),
        "message": "" if origin is None else update_message(origin),
        "environment": {} if origin is None else update_environment(origin),
        "config": {},
        "result": "succeeded" if result.status == "succeeded" else "failed",
        "endTime": int(ended),
        "resourceChanges": {op: n for op, n in result.counts.to_json().items() if n},
    }
    prefix = history_dir(backend, project, stack) / f"{stack}-{time.time_ns()}"
    target = prefix.with_name(prefix.name + _SUFFIX)
    atomic_write(target, json.dumps(info) + "\n")
    checkpoint = state_path(backend, project, stack)
    if checkpoint.exists():
        shutil.copyfile(checkpoint, prefix.with_name(prefix.name + ".checkpoint.json"))
    return target


def read_history(backend: Path, project: str, stack: str) -> Iterator[HistoryEntry]:
    """The stack's entries, newest first (as `pulumi stack history` lists them), read lazily:
    finding the applied commit usually needs only the newest file."""
    directory = history_dir(backend, project, stack)
    if not directory.is_dir():
        return
    stamped = []
    for path in directory.glob(f"{stack}-*{_SUFFIX}"):
        stamp = path.name[len(stack) + 1 : -len(_SUFFIX)]
        if stamp.isdigit():
            stamped.append((int(stamp), path))
    for _, path in sorted(stamped, reverse=True):
        entry = _entry(path)
        if entry is not None:
            yield entry


def _entry(path: Path) -> HistoryEntry | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a torn or foreign file says nothing about what the stack runs
    if not isinstance(raw, dict):
        return None
    end = raw.get("endTime")
    environment = raw.get("environment") if isinstance(raw.get("environment"), dict) else {}
    return HistoryEntry(
        kind=str(raw.get("kind", "")),
        result=str(raw.get("result", "")),
        message=str(raw.get("message") or ""),
        environment={str(k): str(v) for k, v in (environment or {}).items()},
        ended_at=datetime.fromtimestamp(end, UTC) if isinstance(end, int) else None,
    )
