"""The "Review environment" section of the pull request's comment. Pure: views in, Markdown out.

The section lives inside the one consolidated comment (marker `<!-- orchestrator:preview -->`),
between its own hidden markers: the review flow replaces only what lies between them, and the
preview flow keeps it when it rewrites the rest (`splice`, `kept_section`).

Outputs come from programs in the pull request, so they are untrusted: every value is redacted
(the flows' Redactor: config secrets, `[secret]` outputs, credential look-alikes), then put in a
code span, or, for an http(s) URL made only of plain URL characters, in a link whose text is
escaped. Names, errors and notes go through the same escaping as the rest of the comment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from markupsafe import Markup

from orchestrator.redact import Redactor
from orchestrator.report import mdtext
from orchestrator.report.mdtemplates import markdown_template
from orchestrator.report.values import show_value

SECTION_START = "<!-- orchestrator:review:start -->"
SECTION_END = "<!-- orchestrator:review:end -->"
SECTION_BUDGET = 8000  # characters the preview leaves free for this section in the comment
MAX_OUTPUTS = 20  # per stack; the rest is counted
MAX_VALUE = 300  # characters of one output value
MAX_ERROR = 200

SectionState = Literal["deploying", "up", "failed", "destroyed", "destroy_failed", "refused", "not_trusted", "nothing"]
# A URL we make a link of: http(s), a host, then only characters that cannot end the link
# destination or the Markdown around it (no spaces, quotes, brackets, parentheses, backslashes).
_LINKABLE = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~!$&'*+,;=:@%/?#-]*)?")
_STATUS_EMOJI = {"succeeded": "✅", "destroyed": "🗑️", "failed": "❌", "locked": "🔒", "skipped": "⏭️",
                 "deploying": "⏳", "destroying": "⏳", "destroy_failed": "❌"}
_STATE_EMOJI = {"up": "🧪", "deploying": "⏳", "failed": "❌", "destroyed": "🗑️", "destroy_failed": "❌",
                "refused": "⏸️", "not_trusted": "⏸️", "nothing": "🧪"}


@dataclass(frozen=True)
class ReviewStackView:
    id: str  # `<project>/<review stack>`
    status: str  # a result status (succeeded, failed, locked, skipped), or destroyed
    outputs: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class ReviewSectionView:
    environment: str
    pr: int
    state: SectionState
    head: str = ""
    stacks: tuple[ReviewStackView, ...] = ()
    ttl: str = ""
    expires_at: datetime | None = None
    note: str | None = None  # why not trusted, why destroyed, why a destroy failed
    others: tuple[int, ...] = ()  # refused: the pull requests holding the review environments
    max_active: int = 0
    left_out: tuple[str, ...] = ()


def render_review_section(views: Sequence[ReviewSectionView], redactor: Redactor) -> str:
    """The section, between its markers, within SECTION_BUDGET characters (outputs are cut first)."""
    for max_outputs in (MAX_OUTPUTS, 5, 0):
        text = markdown_template("review_section.md.j2").render(
            start=Markup(SECTION_START), end=Markup(SECTION_END),
            environments=[_environment(v, redactor, max_outputs) for v in views],
        )
        if len(text) <= SECTION_BUDGET:
            return text
    return f"{SECTION_START}\n### Review environment\n\nThe review environment's report is too long for the " \
           f"comment; run `orchestrator review list`.\n{SECTION_END}\n"


def splice(body: str | None, section: str) -> str:
    """`body` (a comment, or None when there is none yet) with its review section replaced by
    `section`, or `section` appended."""
    if not body:
        return section
    start, end = body.find(SECTION_START), body.find(SECTION_END)
    if start != -1 and end > start:
        return body[:start] + section.rstrip("\n") + body[end + len(SECTION_END):]
    return body.rstrip("\n") + "\n\n" + section


def kept_section(body: str | None) -> str | None:
    """The review section of an existing comment, for a flow that rewrites the rest of it."""
    if not body:
        return None
    start, end = body.find(SECTION_START), body.find(SECTION_END)
    if start == -1 or end < start:
        return None
    return body[start:end + len(SECTION_END)] + "\n"


def linkable(text: str) -> bool:
    """Whether `text` is an http(s) URL made only of characters that cannot break out of a link."""
    return _LINKABLE.fullmatch(text) is not None


def output_markdown(value: Any, redactor: Redactor) -> str:
    """One output value for the comment: a link for a plain http(s) URL, else a code span."""
    text = redactor.text(value if isinstance(value, str) else show_value(value))
    if len(text) > MAX_VALUE:
        return mdtext.code_span(text[:MAX_VALUE] + "…") + f" ({len(text)} characters)"
    if isinstance(value, str) and text == value and linkable(text):
        return f"[{mdtext.inline(text)}]({text})"
    return mdtext.code_span(text)


def _environment(view: ReviewSectionView, redactor: Redactor, max_outputs: int) -> dict[str, Any]:
    return {
        "emoji": _STATE_EMOJI.get(view.state, "🧪"),
        "environment": view.environment,
        "pr": view.pr,
        "state": view.state,
        "head": view.head[:12],
        "ttl": view.ttl,
        "expires": None if view.expires_at is None else f"{view.expires_at:%Y-%m-%d %H:%M} UTC",
        "note": None if view.note is None else redactor.text(view.note),
        "others": [f"#{n}" for n in view.others],
        "max_active": view.max_active,
        "left_out": view.left_out,
        "stacks": [_stack(s, redactor, max_outputs) for s in view.stacks],
    }


def _stack(view: ReviewStackView, redactor: Redactor, max_outputs: int) -> dict[str, Any]:
    names = sorted(view.outputs)
    shown = names[:max_outputs]
    lines = [line.strip() for line in (view.error or "").strip().splitlines() if line.strip()]
    # A traceback's first line says nothing; its last one (the exception) says what went wrong.
    error = lines[-1] if lines and lines[0].startswith("Traceback") else (lines[0] if lines else None)
    return {
        "id": view.id,
        "emoji": _STATUS_EMOJI.get(view.status, "❔"),
        "status": view.status,
        "error": None if error is None else redactor.text(error)[:MAX_ERROR],
        "outputs": [(name, Markup(output_markdown(view.outputs[name], redactor))) for name in shown],
        "outputs_cut": len(names) - len(shown),
    }


