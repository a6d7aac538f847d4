"""The tracking issue of each environment: opened on drift, updated while it lasts, closed once
every finding is resolved. Found again by a hidden marker, as the PR comment is."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from orchestrator.drift.model import DriftReport, Finding
from orchestrator.vcs.base import VcsClient, VcsError

MARKER = "<!-- orchestrator:drift:{env} -->"
ISSUE_LABELS = ("drift",)

# (report, environment, its active findings, its resolved ones) -> the issue's Markdown body;
# the report package renders it (`report.drift.issue_body`).
IssueBody = Callable[[DriftReport, str, Sequence[Finding], Sequence[Finding]], str]


def issue_marker(environment: str) -> str:
    return MARKER.format(env=environment)


@dataclass(frozen=True)
class IssueAction:
    environment: str
    action: Literal["opened", "updated", "closed", "none"]
    number: int | None = None
    url: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "action": self.action, "number": self.number,
                "url": self.url, "error": self.error}


def track_issues(
    vcs: VcsClient | None,
    report: DriftReport,
    environments: Sequence[str],
    active: Mapping[str, Finding],
    body: IssueBody,
) -> tuple[IssueAction, ...]:
    """One issue per environment: opened on drift, updated while it lasts, closed once resolved.

    `active` is every active finding the store holds (also of stacks this run did not
    check), so a run over one project never closes an issue about another.
    """
    if vcs is None:
        return ()
    actions = []
    for env in environments:
        mine = [f for f in active.values() if f.environment == env]
        resolved = [f for f in report.findings if f.environment == env and f.state == "resolved"]
        try:
            actions.append(_track_one(vcs, env, body(report, env, mine, resolved), mine, resolved))
        except VcsError as exc:
            actions.append(IssueAction(env, "none", error=exc.message))
    return tuple(actions)


def _track_one(
    vcs: VcsClient, env: str, body: str, active: Sequence[Finding], resolved: Sequence[Finding]
) -> IssueAction:
    marker = issue_marker(env)
    existing = vcs.find_issue(marker)
    drift = [f for f in active if f.kind != "error" and f.state in ("new", "ongoing")]
    if drift:
        if existing is None:
            issue = vcs.open_issue(f"Drift in {env}", body, marker, ISSUE_LABELS)
            return IssueAction(env, "opened", issue.number, issue.url or None)
        issue = vcs.update_issue(existing.number, body, marker=marker)
        return IssueAction(env, "updated", issue.number, issue.url or None)
    if existing is None:
        return IssueAction(env, "none")
    vcs.update_issue(existing.number, body, marker=marker)
    issue = vcs.close_issue(existing.number, closing_comment(env, active, resolved))
    return IssueAction(env, "closed", issue.number, issue.url or None)


def closing_comment(env: str, active: Sequence[Finding], resolved: Sequence[Finding]) -> str:
    acknowledged = [f for f in active if f.state == "acknowledged"]
    text = f"All drift in `{env}` is resolved ({len(resolved)} finding(s) gone since the last run)."
    if acknowledged:
        text += f" {len(acknowledged)} acknowledged finding(s) remain, not tracked here."
    return text
