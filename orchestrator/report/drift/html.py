"""The drift report as one standalone HTML page (people): every finding, inline CSS, no script."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrator.drift.model import DriftReport, Finding, StackDrift, UnmanagedScan
from orchestrator.models import GitDrift
from orchestrator.redact import Redactor
from orchestrator.report.drift.templates import drift_templates
from orchestrator.report.drift.views import (
    REDACTOR,
    STATE_ORDER,
    DiffLine,
    behind_in,
    diff_lines,
    environments_of,
    sorted_findings,
    state_counts,
)
from orchestrator.report.values import format_duration


def render_html(report: DriftReport, *, redactor: Redactor | None = None) -> str:
    """One standalone HTML page (inline CSS, no script, no network) with every finding."""
    token = REDACTOR.set(redactor or Redactor())
    try:
        return drift_templates()["html"].render(**_html_context(report))
    finally:
        REDACTOR.reset(token)


@dataclass(frozen=True)
class _HtmlFinding:
    finding: Finding
    diffs: list[DiffLine]
    acknowledged_until: str | None
    first_seen: str | None


@dataclass(frozen=True)
class _HtmlEnvironment:
    name: str
    anchor: str
    stacks: list[StackDrift]
    stack_findings: list[_HtmlFinding]
    unmanaged: list[_HtmlFinding]
    counts: dict[str, int]
    scan: UnmanagedScan | None
    ignored: int
    behind: list[GitDrift]


def _html_context(report: DriftReport) -> dict[str, Any]:
    envs = [_html_environment(report, env, index) for index, env in enumerate(environments_of(report))]
    return {
        "report": report,
        "generated_at": report.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "counts": state_counts(report.findings),
        "environments": envs,
        "stacks_total": len(report.stacks),
        "stacks_failed": sum(s.status == "error" for s in report.stacks),
        "stacks_drifted": sum(s.status == "drifted" for s in report.stacks),
        "unmanaged_active": sum(f.kind == "unmanaged" and f.state in ("new", "ongoing") for f in report.findings),
        "states": STATE_ORDER,
        "duration": format_duration,
    }


def _html_environment(report: DriftReport, env: str, index: int) -> _HtmlEnvironment:
    findings = sorted_findings([f for f in report.findings if f.environment == env])
    views = [_html_finding(f) for f in findings]
    stacks = sorted((s for s in report.stacks if s.environment == env), key=lambda s: s.stack)
    return _HtmlEnvironment(
        name=env,
        anchor=f"env-{index}",  # names are untrusted: the anchor is an index
        stacks=stacks,
        stack_findings=[v for v in views if v.finding.kind != "unmanaged"],
        unmanaged=[v for v in views if v.finding.kind == "unmanaged"],
        counts=state_counts(findings),
        scan=next((s for s in report.scans if s.environment == env), None),
        ignored=sum(s.ignored for s in stacks),
        behind=behind_in(report, env),
    )


def _html_finding(finding: Finding) -> _HtmlFinding:
    until = finding.acknowledged_until
    return _HtmlFinding(
        finding=finding,
        diffs=diff_lines(finding.diffs),
        acknowledged_until=None if until is None else until.date().isoformat(),
        first_seen=None if finding.first_seen is None else finding.first_seen.strftime("%Y-%m-%d %H:%M"),
    )
