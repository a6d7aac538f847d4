"""What the error boundary does with a bug: one line on the terminal, and the traceback,
redacted, in a file whose path that line names (tracebacks hold local values such as URLs
and tokens; the terminal and CI logs are read by more people than the file)."""

from __future__ import annotations

import os
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

from orchestrator.cli.terminal import echo

CRASH_DIR_ENV = "ORCHESTRATOR_CRASH_DIR"


def report_crash(exc: BaseException, redact: Callable[[str], str]) -> Path | None:
    """Write the redacted traceback of `exc` and print one line naming the file."""
    text = redact("".join(traceback.format_exception(exc)))
    summary = redact(f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__)
    path = _write(text)
    where = f"the traceback is in {path}" if path else "the traceback could not be written:\n" + text
    echo(
        f"internal error (a bug in the orchestrator; please report it): {summary}; {where}",
        fg="red",
        err=True,
    )
    return path


def _write(text: str) -> Path | None:
    directory = os.environ.get(CRASH_DIR_ENV) or tempfile.gettempdir()
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="orchestrator-crash-", suffix=".txt", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError:
        return None
    return Path(name)
