"""Reporting review stacks: the comment's "Review environment" section, commit statuses, and a
transient GitHub Deployment per pull request. A VCS failure never loses the report file.

The Deployment's environment is `review/pr-<n>` (`review/<env>/pr-<n>` when several environments
of the base branch have review stacks), created with `transient_environment: true` (and never
production) for each `up`, its status `success` or `failure` with the first URL output as its
`environment_url` and `auto_inactive: true`. GitHub's API description says `auto_inactive` marks
earlier *non-transient* deployments inactive only, so `down` sets every deployment it recorded
`inactive` itself, which GitHub shows as destroyed for a transient environment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from orchestrator.engines.base import StackResult
from orchestrator.flows.publish import report_file, status_of, write_report
from orchestrator.flows.review_plan import ReviewStackPlan
from orchestrator.redact import Redactor
from orchestrator.report.review import ReviewSectionView, ReviewStackView, SectionState, render_review_section, splice
from orchestrator.report.untrusted import PREVIEW_MARKER
from orchestrator.store.review import ReviewStore
from orchestrator.vcs.base import VcsClient, VcsError, truncate

STATUS_PREFIX = "orchestrator/review"
_LIMIT = 140


@dataclass(frozen=True)
class EnvironmentReview:
    """What a review run did in one environment."""

    environment: str
    state: SectionState
    results: Mapping[str, StackResult] = field(default_factory=dict)
    stacks: tuple[ReviewStackPlan, ...] = ()
    note: str | None = None
    others: tuple[int, ...] = ()  # refused: the pull requests holding the review environments
    max_active: int = 0
    left_out: tuple[str, ...] = ()
    expires_at: datetime | None = None
    ttl: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "state": self.state,
            "stacks": [{"id": s.id, "project": s.project, "stack_name": s.stack_name, "reads": s.reads}
                       for s in self.stacks],
            "results": [r.to_json() for r in self.results.values()],
            "note": self.note,
            "holders": list(self.others),
            "left_out": list(self.left_out),
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
        }

    def view(self, pr: int, head: str) -> ReviewSectionView:
        stacks = tuple(
            ReviewStackView(sid, "destroyed" if r.ok and r.operation == "destroy" else r.status,
                            outputs=dict(r.outputs), error=r.error)
            for sid, r in self.results.items()
        )
        return ReviewSectionView(
            environment=self.environment, pr=pr, state=self.state, head=head, stacks=stacks, ttl=self.ttl,
            expires_at=self.expires_at, note=self.note, others=self.others, max_active=self.max_active,
            left_out=self.left_out,
        )


def publish_review(vcs: VcsClient | None, pr: int, *, head: str, action: str,
                   environments: Sequence[EnvironmentReview], redactor: Redactor, reviews: ReviewStore, root: Path,
                   summary_path: Path | None, head_ref: str | None) -> tuple[bool, str | None, Path]:
    """Write the section to the report file, then into the pull request's comment, with statuses
    and deployments. Returns (published, error, report path)."""
    section = render_review_section([e.view(pr, head) for e in environments], redactor)
    report = report_file(root, "review", pr, head, summary_path)
    write_report(report, section, append=summary_path is not None)
    if vcs is None:
        return False, None, report
    try:
        vcs.upsert_comment(pr, PREVIEW_MARKER, splice(vcs.comment_body(pr, PREVIEW_MARKER), section))
        if action == "up":
            _statuses(vcs, head, environments)
        _deployments(vcs, pr, head, action, environments, reviews, head_ref)
    except VcsError as exc:
        return False, f"{exc.message}; the review report is in {report}", report
    return True, None, report


def _statuses(vcs: VcsClient, head: str, environments: Sequence[EnvironmentReview]) -> None:
    ran = [e for e in environments if e.results]
    for env in ran:
        for sid, result in env.results.items():
            state, description = status_of(result)
            vcs.set_status(head, f"{STATUS_PREFIX}: {sid}", state, truncate(description, _LIMIT))
    if ran:
        failed = [sid for e in ran for sid, r in e.results.items() if not r.ok]
        total = sum(len(e.results) for e in ran)
        if failed:
            vcs.set_status(head, STATUS_PREFIX, "failure",
                           truncate(f"{len(failed)} of {total} review stacks failed: {', '.join(failed)}", _LIMIT))
        else:
            vcs.set_status(head, STATUS_PREFIX, "success", f"{total} review stacks deployed")


def _deployments(vcs: VcsClient, pr: int, head: str, action: str, environments: Sequence[EnvironmentReview],
                 reviews: ReviewStore, head_ref: str | None) -> None:
    several = len(environments) > 1
    for env in environments:
        name = f"review/{env.environment}/pr-{pr}" if several else f"review/pr-{pr}"
        if action == "up" and env.state in ("up", "failed"):
            deployment = vcs.create_deployment(head, name, f"review stacks of #{pr}", ref=head_ref, transient=True)
            reviews.record_deployment(env.environment, pr, deployment)
            ok = env.state == "up"
            vcs.set_deployment_status(deployment, "success" if ok else "failure",
                                      f"{len(env.results)} review stack(s) {'deployed' if ok else 'failed'}",
                                      environment_url=_first_url(env.results), auto_inactive=True)
        elif action == "down" and env.state == "destroyed":
            record = reviews.get(env.environment, pr)
            known = record.deployments if record is not None else ()
            # A CI job's store may not know the deployments an earlier job made: one of its own says it.
            for deployment in known or (vcs.create_deployment(head, name, f"review stacks of #{pr}", ref=head_ref,
                                                              transient=True),):
                vcs.set_deployment_status(deployment, "inactive", truncate(f"destroyed: {env.note}", _LIMIT))


def _first_url(results: Mapping[str, StackResult]) -> str | None:
    for result in results.values():
        for name in sorted(result.outputs):
            value = result.outputs[name]
            if isinstance(value, str) and value.startswith(("https://", "http://")) and " " not in value:
                return value
    return None
