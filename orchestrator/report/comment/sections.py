"""One section per stack (or per group of identical stacks), rendered lazily at each budget level."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from orchestrator.engines.base import PolicyViolation
from orchestrator.report.budget import Level
from orchestrator.report.comment.blocks import (
    CAPPED_DIAGNOSTICS,
    REDACTOR,
    ChangeLines,
    LinesCache,
    diagnostics_block,
    error_block,
    fenced,
    resource_name,
)
from orchestrator.report.comment.model import STATUS_EMOJI, CommentModel, StackOutcome, section_kind
from orchestrator.report.comment.templates import comment_templates


class Section:
    """One stack, or several environments of a project with identical changes, rendered lazily per level."""

    def __init__(self, model: CommentModel, members: Sequence[StackOutcome], lines: LinesCache) -> None:
        self.model = model
        self._line_cache = lines
        self.members = tuple(members)
        self.lead = self.members[0]
        self.kind = section_kind(self.lead.result)
        self.unchanged = self.kind in ("quiet", "unchanged", "skipped")
        self._cache: dict[Level, str] = {}
        self._redacted_full: str | None = None
        self._phrase: str | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.members)

    def render(self, level: Level) -> str:
        cached = self._cache.get(level)
        if cached is None:
            cached = "" if level == Level.NONE else comment_templates()["section"].render(**self._context(level))
            self._cache[level] = cached
        return cached

    def _context(self, level: Level) -> dict[str, Any]:
        result = self.lead.result
        capped = level != Level.FULL
        ordered = sorted(result.policy_violations, key=lambda v: ENFORCEMENT_ORDER.get(v.enforcement, 9))
        violations = ordered[:CAPPED_DIAGNOSTICS] if capped else ordered
        return {
            "kind": self.model.kind,
            "section": self.kind,
            "level": level.name.lower(),
            "emoji": STATUS_EMOJI.get(result.status, "❔"),
            "status": result.status,
            "project": self.lead.planned.project,
            "environments": [m.planned.environment for m in self.members],
            "operation": self.lead.planned.operation,
            "counts": result.counts,
            "changes_block": self._changes_block(level),
            "diagnostics_block": (
                diagnostics_block(result.diagnostics, capped=capped, error=result.error)
                if level <= Level.LINES
                else None
            ),
            "violations": [_violation_view(v) for v in violations],
            "violations_cut": max(0, len(result.policy_violations) - CAPPED_DIAGNOSTICS) if capped else 0,
            "error_block": error_block(result.error, capped=capped) if level <= Level.LINES else None,
            "reason": _skip_reason(result.error),
            "notes": list(result.notes),
            "phrase": self.phrase(),
        }

    def phrase(self) -> str:
        """The counts in words, for the summary line of every level (rendered once)."""
        if self._phrase is None:
            result = self.lead.result
            context = {
                "kind": self.model.kind,
                "section": self.kind,
                "status": result.status,
                "counts": result.counts,
                "operation": self.lead.planned.operation,
            }
            self._phrase = Markup(comment_templates()["phrase"].render(**context).strip())
        return self._phrase

    def _changes_block(self, level: Level) -> str | None:
        if level > Level.LINES or not self.lead.result.changes:
            return None
        lines = self._line_cache.of(self.lead)
        if self._redacted_full is None:
            self._redacted_full = REDACTOR.get().text(lines.text)
        if level == Level.FULL:
            return fenced(self._redacted_full, "diff", redacted=True)
        return fenced("\n".join(self._redacted_resource_lines(lines, self._redacted_full)), "diff", redacted=True)

    @staticmethod
    def _redacted_resource_lines(lines: ChangeLines, redacted_full: str) -> list[str]:
        """The resource lines, taken from the already redacted full text when it kept its line count.

        Every line was redacted there in full context, so this saves a second scan; a secret
        spanning lines (a private key block) changes the count and we redact afresh.
        """
        if redacted_full == lines.text:
            return lines.resources  # nothing was redacted in this stack: the common case
        redacted = redacted_full.split("\n")
        if len(redacted) != len(lines.full):
            return [REDACTOR.get().text("\n".join(lines.resources))]
        return [redacted[index] for index in lines.resource_index]


ENFORCEMENT_ORDER = {"mandatory": 0, "advisory": 1, "remediate": 2}  # what blocks a merge first


def _violation_view(violation: PolicyViolation) -> dict[str, Any]:
    return {
        "enforcement": violation.enforcement,
        "policy_pack": violation.policy_pack,
        "policy": violation.policy,
        "message": violation.message,
        "resource": resource_name(violation.urn) if violation.urn else None,
    }


def _skip_reason(error: str | None) -> str | None:
    # execute.skipped_result says "skipped: <why>"; the template already says "skipped".
    return error.removeprefix("skipped:").strip() if error else None
