"""Running the real CLI in-process for fuzzing: exit code and everything printed."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path


def run_cli(*args: str | Path) -> tuple[int, str, str]:
    from orchestrator.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, out.getvalue(), err.getvalue()


def assert_clean_exit(code: int, out: str, err: str, what: str) -> None:
    """The fuzzing property for commands: 0, 1 or 2, and never a traceback or a bug report."""
    assert code in (0, 1, 2), f"{what}: exit {code}\n{err}"
    assert "Traceback" not in err and "internal error" not in err, f"{what}:\n{err}"
