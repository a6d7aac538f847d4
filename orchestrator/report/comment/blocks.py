"""The literal blocks of a section: the diff (Pulumi's `old => new` notation), diagnostics and
errors, each redacted as a whole text before it is fenced.

The redactor of the render in progress is `REDACTOR` (a context variable: renders in
threads do not share it).
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from orchestrator.engines.base import Diagnostic, ResourceChange
from orchestrator.redact import Redactor
from orchestrator.report import mdtext
from orchestrator.report.comment.model import SEVERITY_ORDER, StackOutcome
from orchestrator.report.values import cut_value, one_line, show_value

REDACTOR: contextvars.ContextVar[Redactor] = contextvars.ContextVar("comment_redactor")

# Pulumi's own notation for steps and values (`old => new`), so the diff block reads like
# `pulumi preview --diff`. The blocks stay ASCII on purpose: redaction scans them, and
# Python searches 1-byte strings several times faster than ones holding "→" or emoji.
OP_SYMBOL: dict[str, str] = {
    "create": "+",
    "update": "~",
    "delete": "-",
    "replace": "+-",
    "read": ">",
    "refresh": "~",
    "same": " ",
}
MAX_VALUE_CHARS = 1000  # one property value; the rest is cut with a marker (policy documents get long)
CAPPED_ERROR_CHARS = 2000  # error text when a section is trimmed for the budget
CAPPED_DIAGNOSTICS = 10


@dataclass(frozen=True)
class ChangeLines:
    resources: list[str]  # one line per resource: symbol, op, type, name
    full: list[str]  # the same with each resource's property diffs under it
    resource_index: list[int]  # where each resource line is in `full`
    text: str  # `full` joined: the body of the diff block
    cut_values: list[str]  # values shortened to MAX_VALUE_CHARS, uncut (for fingerprints only)


class LinesCache:
    """The change lines of each stack, built once per render (grouping and sections share them)."""

    def __init__(self) -> None:
        self._by_outcome: dict[int, ChangeLines] = {}

    def of(self, outcome: StackOutcome) -> ChangeLines:
        found = self._by_outcome.get(id(outcome))
        if found is None:
            found = self._by_outcome[id(outcome)] = _change_lines(outcome.result.changes)
        return found


def _change_lines(changes: Sequence[ResourceChange], *, sanitize: bool = False) -> ChangeLines:
    """The diff-block lines. One tight loop: this runs for every property of every stack.

    Values are JSON-quoted (no raw line breaks); a type, name or path holding one is rare, so
    the whole block is checked once and rebuilt with `sanitize` only when needed.
    """
    line_of = one_line if sanitize else _same
    show = show_value
    resources: list[str] = []
    full: list[str] = []
    add_line = full.append
    index: list[int] = []
    cut: list[str] = []
    for change in changes:
        line = f"{OP_SYMBOL.get(change.op, '?'):<2} {change.op:<7} {line_of(change.type)}  {line_of(change.name)}"
        resources.append(line)
        index.append(len(full))
        add_line(line)
        for diff in change.diffs:
            path = line_of(diff.path)
            kind = diff.kind
            old = "" if kind == "add" else show(diff.old)
            new = "" if kind == "delete" else show(diff.new)
            if len(old) > MAX_VALUE_CHARS or len(new) > MAX_VALUE_CHARS:
                old, new = _cut(old, cut), _cut(new, cut)
            if kind == "add":
                add_line(f"    + {path}: {new}")
            elif kind == "delete":
                add_line(f"    - {path}: {old}")
            else:
                add_line(f"    ~ {path}: {old} => {new}")
    text = "\n".join(full)
    if not sanitize and (text.count("\n") != len(full) - 1 or "\r" in text):
        return _change_lines(changes, sanitize=True)
    return ChangeLines(resources=resources, full=full, resource_index=index, cut_values=cut, text=text)


def _same(text: str) -> str:
    return text


def _cut(text: str, cut: list[str]) -> str:
    if len(text) <= MAX_VALUE_CHARS:
        return text
    cut.append(text)  # uncut, for the fingerprints
    return cut_value(text, MAX_VALUE_CHARS, REDACTOR.get().text)


def diagnostics_block(diagnostics: Sequence[Diagnostic], *, capped: bool, error: str | None = None) -> str | None:
    """The diagnostics worth a reader's time; an error diagnostic the error block already says
    word for word (the engine reports a failure both ways) is not said twice."""
    said = (error or "").strip()
    shown = sorted(
        (d for d in diagnostics
         if d.severity in SEVERITY_ORDER and not (d.severity == "error" and said and d.message.strip() in said)),
        key=lambda d: SEVERITY_ORDER[d.severity],
    )
    if capped:
        shown = [d for d in shown if SEVERITY_ORDER[d.severity] <= 1][:CAPPED_DIAGNOSTICS]
    if not shown:
        return None
    lines = []
    for diagnostic in shown:
        where = f"{resource_name(diagnostic.urn)}: " if diagnostic.urn else ""
        # Redacted before the continuation lines are indented: that would split a multi-line secret.
        message = REDACTOR.get().text(diagnostic.message.rstrip()).replace("\n", "\n  ")
        lines.append(f"{diagnostic.severity}: {where}{message}")
    return fenced("\n".join(lines), "")


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def error_block(error: str | None, *, capped: bool) -> str | None:
    if not error:
        return None
    text = REDACTOR.get().text(error.rstrip())  # before the cap, which could cut a secret in two
    if capped and len(text) > CAPPED_ERROR_CHARS:
        text = f"{text[:CAPPED_ERROR_CHARS]}\n...(+{len(text) - CAPPED_ERROR_CHARS} chars)"
    return fenced(text, "", redacted=True)


def fenced(text: str, language: str, *, redacted: bool = False) -> str:
    return Markup(mdtext.code_block(text if redacted else REDACTOR.get().text(text), language))
