"""Views the Markdown, HTML and JSON forms share: environments, findings in order, diff lines.

The redactor of the render in progress is `REDACTOR` (a context variable: renders in
threads do not share it).
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.drift.model import DriftReport, Finding, FindingState
from orchestrator.engines.base import PropertyDiff
from orchestrator.models import GitDrift
from orchestrator.redact import Redactor
from orchestrator.report.values import cut_value, one_line, show_value

REDACTOR: contextvars.ContextVar[Redactor] = contextvars.ContextVar("drift_report_redactor")

REPORT_FILES: dict[str, str] = {"md": "drift-report.md", "json": "drift-report.json", "html": "drift-report.html"}
STATE_ORDER: tuple[FindingState, ...] = ("new", "ongoing", "acknowledged", "resolved")
CHANGE_STATES: tuple[FindingState, ...] = ("new", "resolved")  # what "changed since the last run" lists
KIND_ORDER: dict[str, int] = {"error": 0, "drifted": 1, "deleted": 2, "unmanaged": 3}
# Labels and symbols are in templates/drift_labels.j2.

MAX_VALUE_CHARS = 1000  # one property value in full detail


def environments_of(report: DriftReport) -> list[str]:
    """The report's environments, then any that only findings, stacks or scans name."""
    seen = dict.fromkeys(report.environments)
    for env in (
        *(s.environment for s in report.stacks),
        *(f.environment for f in report.findings),
        *(s.environment for s in report.scans),
        *(d.environment for d in report.git_drift),
    ):
        seen.setdefault(env)
    return list(seen)


def behind_in(report: DriftReport, env: str) -> list[GitDrift]:
    """The environment's stacks behind their branch (Git drift), by stack."""
    return sorted((d for d in report.git_drift if d.environment == env), key=lambda d: d.stack)


def sorted_findings(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (
            f.environment,
            STATE_ORDER.index(f.state),
            f.stack is None,  # unmanaged resources after the stacks' findings
            f.stack or "",
            KIND_ORDER.get(f.kind, 9),
            f.type,
            f.name,
            f.key,
        ),
    )


@dataclass(frozen=True)
class DiffLine:
    path: str
    kind: str
    old: str  # "" for an added property
    new: str  # "" for a removed one


def diff_lines(diffs: Sequence[PropertyDiff], *, value_chars: int = MAX_VALUE_CHARS) -> list[DiffLine]:
    redact = REDACTOR.get().text
    return [
        DiffLine(
            path=one_line(d.path),
            kind=d.kind,
            old="" if d.kind == "add" else cut_value(show_value(d.old), value_chars, redact),
            new="" if d.kind == "delete" else cut_value(show_value(d.new), value_chars, redact),
        )
        for d in diffs
    ]


def state_counts(findings: Sequence[Finding]) -> dict[str, int]:
    return {state: sum(f.state == state for f in findings) for state in STATE_ORDER}
