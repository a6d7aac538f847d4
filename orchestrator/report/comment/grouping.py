"""Grouping: identical change sets of one project in several environments share one section."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from orchestrator.engines.base import StackResult
from orchestrator.models import PlannedStack
from orchestrator.report.comment.blocks import LinesCache
from orchestrator.report.comment.model import CommentModel, StackOutcome, section_kind


def group_sections(model: CommentModel, lines: LinesCache) -> list[list[StackOutcome]]:
    """Sections in plan order; identical change sets of one project in several environments share one.

    Fingerprints are only computed when a cheap signature (project, operation, counts...)
    already matches another stack: most stacks never need one.
    """
    sections: list[list[StackOutcome]] = []
    buckets: dict[tuple[Any, ...], list[_Candidate]] = {}
    for outcome in model.stacks:
        signature = _signature(outcome) if model.group_identical else None
        if signature is None:
            sections.append([outcome])
            continue
        bucket = buckets.setdefault(signature, [])
        match = _matching(bucket, outcome, lines) if bucket else None
        if match is not None:
            match.members.append(outcome)
        else:
            candidate = _Candidate(outcome)
            bucket.append(candidate)
            sections.append(candidate.members)
    return sections


class _Candidate:
    """The first stack of a possible group, its fingerprints computed on first need."""

    def __init__(self, lead: StackOutcome) -> None:
        self.members = [lead]
        self._fingerprints: dict[bool, str] = {}

    def fingerprint(self, lines: LinesCache, *, quick: bool) -> str:
        found = self._fingerprints.get(quick)
        if found is None:
            found = self._fingerprints[quick] = _fingerprint(self.members[0], lines, quick=quick)
        return found


def _matching(bucket: Sequence[_Candidate], outcome: StackOutcome, lines: LinesCache) -> _Candidate | None:
    # A quick look at the first lines rejects most candidates before the whole change set is compared.
    quick = _fingerprint(outcome, lines, quick=True)
    close = [c for c in bucket if c.fingerprint(lines, quick=True) == quick]
    if not close:
        return None
    fingerprint = _fingerprint(outcome, lines, quick=False)
    return next((c for c in close if c.fingerprint(lines, quick=False) == fingerprint), None)


def _signature(outcome: StackOutcome) -> tuple[Any, ...] | None:
    result, planned = outcome.result, outcome.planned
    kind = section_kind(result)
    if kind == "skipped" or (kind == "failed" and not _failed_by_policy(result)):
        return None  # errors are specific to their stack: always shown on their own
    if kind == "quiet":
        return (planned.project, planned.operation, kind)
    shape = (len(result.changes), len(result.diagnostics), len(result.policy_violations), len(result.notes))
    return (planned.project, planned.operation, kind, result.status, result.counts, shape)


def _failed_by_policy(result: StackResult) -> bool:
    """A stack failed by its policy packs groups like changes do: the same program and policies
    in two environments give the same violations, which a reviewer reads once."""
    return result.status == "failed" and any(v.enforcement == "mandatory" for v in result.policy_violations)


QUICK_FINGERPRINT_LINES = 12


def _fingerprint(outcome: StackOutcome, lines: LinesCache, *, quick: bool) -> str:
    """What the section would show, plus URNs and the uncut long values, minus the stack and
    environment names: equal fingerprints mean "same changes, only the names differ".

    Built from the rendered lines (needed anyway) rather than the raw values, for speed.
    Plain substring replacement (no token boundaries) can only make two change sets compare
    equal when they differ exactly by those names, which is the point; autoname suffixes are
    masked the same way.
    """
    result, planned = outcome.result, outcome.planned
    if section_kind(result) == "quiet":
        return ""
    shown = lines.of(outcome)
    if quick:
        return _without_names("\n".join(shown.full[:QUICK_FINGERPRINT_LINES]), planned)
    parts = [
        shown.text,
        "\x1e".join(shown.cut_values),
        "\x1e".join(change.urn for change in result.changes),
        "\x1e".join(f"{d.severity}\x1f{d.message}\x1f{d.urn}" for d in result.diagnostics),
        "\x1e".join(repr(v) for v in result.policy_violations),
        "\x1e".join(result.notes),
        result.error or "",
    ]
    return _without_names("\x1d".join(parts), planned)


# Pulumi's autonaming appends `-` and 7 random hex digits to a resource's name
# (`uploads-3f9a2b1`): different in every stack, never a difference in what the change does.
AUTONAME_SUFFIX = re.compile(r"(?<=[0-9A-Za-z]-)[0-9a-f]{7}(?![0-9A-Za-z])")


def _without_names(document: str, planned: PlannedStack) -> str:
    for name in sorted({planned.stack, planned.environment} - {""}, key=len, reverse=True):
        for spelling in dict.fromkeys((name, name.upper(), name.capitalize())):
            document = document.replace(spelling, "\x00")
    return AUTONAME_SUFFIX.sub("\x01", document)
