"""GitHub Actions reads every line a step prints: one that starts with `::` is a workflow command
(`::add-mask::`, `::stop-commands::`, `::error::`...). Text we print from a pull request, a
commit or a program could start a line that way and command the runner, so in an Actions job
the CLI's stdout and stderr go through a `CommandGuard`: a line that would start with `::` gets
a zero-width space between the colons (it reads the same; the runner sees no command). The
orchestrator's own annotations pass with `write_commands`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any, TextIO, cast

_BREAK = "\u200b"


class CommandGuard:
    """A text stream that neutralises workflow commands at the start of a line (after any
    indentation, which the runner trims) and passes everything else to `target` unchanged."""

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self._head = ""  # the current line so far while it could still become a command
        self._decided = False  # the current line can no longer start with `::`

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # as a text stream does: click probes with b"" for a binary one
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        for piece in text.splitlines(keepends=True):
            self._write_piece(piece)
        return len(text)

    def _write_piece(self, piece: str) -> None:
        ends_line = piece.endswith(("\n", "\r"))
        if self._decided:
            self._target.write(piece)
        else:
            head = self._head + piece
            start = head.lstrip()
            if start.startswith("::"):
                at = head.index("::")
                self._target.write(f"{head[: at + 1]}{_BREAK}{head[at + 1 :]}")
                self._decided = True
            elif start.rstrip("\r\n") in ("", ":") and not ends_line:
                self._head = head  # not known yet: wait for the rest of the line
                return
            else:
                self._target.write(head)
                self._decided = True
            self._head = ""
        if ends_line:
            self._decided = False

    def write_command(self, line: str) -> None:
        """One of our own workflow commands, as the runner should read it."""
        self.flush()
        if self._decided:  # a command must start its line
            self._target.write("\n")
            self._decided = False
        self._target.write(line + "\n")

    def flush(self) -> None:
        if self._head:
            self._target.write(self._head)
            self._head, self._decided = "", True
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    def writable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, buffer...: the real stream's
        return getattr(self._target, name)


def guard_workflow_commands(environ: Mapping[str, str]) -> None:
    """In a GitHub Actions job, put a `CommandGuard` on stdout and stderr (once)."""
    if environ.get("GITHUB_ACTIONS") != "true":
        return
    if not isinstance(sys.stdout, CommandGuard):
        sys.stdout = cast(TextIO, CommandGuard(sys.stdout))
    if not isinstance(sys.stderr, CommandGuard):
        sys.stderr = cast(TextIO, CommandGuard(sys.stderr))


def write_commands(stream: TextIO, lines: Iterable[str]) -> None:
    """Write our own workflow-command lines, through a guard when there is one."""
    for line in lines:
        if isinstance(stream, CommandGuard):
            stream.write_command(line)
        else:
            stream.write(line + "\n")
    stream.flush()
