"""Stack reference names as far as the source code fixes them, and the project they name.

A name is evaluated into a `Pattern`: literal pieces and holes (`None`) for whatever is only
known at run time (`pulumi.getStack()`, `ctx.Stack()`, a config value...). Pulumi names a
stack `org/project/stack`, or `project/stack` without the organization; the project part
must be literal for the dependency to be known before the program runs. A hole is assumed
never to hold a `/` (an organization or a stack name cannot).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Piece = str | None  # None: a value only known at run time
Pattern = tuple[Piece, ...]
HOLE: Pattern = (None,)
HOLE_TEXT = "{…}"  # how a hole is shown to people

_PRINTF = re.compile(r"%%|%[-+ #0]*\d*(?:\.\d+)?[a-zA-Z]")  # Go's fmt.Sprintf, Java's String.format, Python's %
_BRACES = re.compile(r"\{\{|\}\}|\{[^{}]*\}")  # C#'s string.Format, Python's str.format

Resolution = Literal["project", "own", "unknown"]


def concat(parts: Iterable[Pattern]) -> Pattern:
    """Patterns one after the other, neighbouring literals and holes merged."""
    out: list[Piece] = []
    for part in parts:
        for piece in part:
            if piece == "":
                continue
            if out and piece is None and out[-1] is None:
                continue
            if out and piece is not None and out[-1] is not None:
                out[-1] = f"{out[-1]}{piece}"
            else:
                out.append(piece)
    return tuple(out)


def literal(text: str) -> Pattern:
    return (text,)


def printf(template: Pattern) -> Pattern:
    """A printf-style format (`%s`, `%v`, `%d`...) with every directive as a hole; `%%` is `%`."""
    return _format(template, _PRINTF, lambda directive: "%" if directive == "%%" else None)


def braces(template: Pattern) -> Pattern:
    """A `{0}` / `{}` / `{name}` format with every field as a hole; `{{` and `}}` are braces."""
    return _format(template, _BRACES, lambda field: field[0] if field in ("{{", "}}") else None)


def _format(template: Pattern, directive: re.Pattern[str], replacement: Callable[[str], str | None]) -> Pattern:
    parts: list[Pattern] = []
    for piece in template:
        if piece is None:
            parts.append(HOLE)
            continue
        position = 0
        for found in directive.finditer(piece):
            parts.append(literal(piece[position : found.start()]))
            value = replacement(found.group(0))
            parts.append(HOLE if value is None else literal(value))
            position = found.end()
        parts.append(literal(piece[position:]))
    return concat(parts)


def shown(pattern: Pattern) -> str:
    """The name for people: literal pieces as written, holes as `{…}`."""
    return "".join(HOLE_TEXT if piece is None else piece for piece in pattern) or HOLE_TEXT


@dataclass(frozen=True)
class Target:
    resolution: Resolution  # project: names another project; own: a stack of the same project; unknown
    project: str | None = None


def target(pattern: Pattern) -> Target:
    """Which project a stack reference name points at, if the source code fixes it."""
    segments = _segments(pattern)
    if len(segments) == 1:
        # A bare stack name reads a stack of the program's own project; a hole could be anything.
        return Target("own") if None not in segments[0] else Target("unknown")
    if len(segments) > 3:
        return Target("unknown")
    project = segments[-2]
    if None in project or not "".join(p for p in project if p is not None):
        return Target("unknown")
    return Target("project", "".join(p for p in project if p is not None))


def _segments(pattern: Sequence[Piece]) -> list[list[Piece]]:
    segments: list[list[Piece]] = [[]]
    for piece in pattern:
        if piece is None:
            segments[-1].append(None)
            continue
        first, *rest = piece.split("/")
        if first:
            segments[-1].append(first)
        for part in rest:
            segments.append([part] if part else [])
    return segments
