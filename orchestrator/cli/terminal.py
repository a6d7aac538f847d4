"""What the CLI writes to a terminal: text from a pull request, a commit, a repository or a
program, made safe to print. A control character (an escape sequence can recolour, retitle,
rewrite or link the terminal) is spelled out instead of written; CLI log records pass the
redactor as the server's do.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

_KEPT = "\n\t"


def printable(text: str) -> str:
    """Text as a terminal should get it: control characters spelled out (`\\x1b`); newlines and
    tabs kept."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in _KEPT else c.encode("unicode_escape").decode() for c in text)


def echo(message: object = "", *, err: bool = False, nl: bool = True, **style: Any) -> None:
    """`click.echo` (or `secho` with `style`) of a line that may hold others' words."""
    text = printable(str(message))
    if style:
        click.secho(text, err=err, nl=nl, **style)
    else:
        click.echo(text, err=err, nl=nl)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """`warning: <message>` on whatever stderr is now (tests and guards replace it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # not setStream: it flushes the old one, which may be closed
        super().emit(record)

    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname.lower()}: {record.getMessage()}"
        if record.exc_text:  # the exception's own line, not a traceback (already redacted)
            line += f" ({record.exc_text.strip().splitlines()[-1]})"
        return printable(line)


def install_cli_logging() -> None:
    """Warnings from the flows (a VCS call retried, an alert not sent) on stderr, one line each,
    redacted and printable; Python's last-resort handler would print them raw."""
    from orchestrator.redact import LogRedaction

    root = logging.getLogger()
    if any(isinstance(h, _Stderr) for h in root.handlers):
        return
    handler = _Stderr()
    handler.setLevel(logging.WARNING)
    handler.addFilter(LogRedaction())
    root.addHandler(handler)
