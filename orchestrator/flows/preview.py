"""Use case: a pull request was opened or updated.

Plan the affected stacks, preview them on a checkout of the head commit, and keep one
consolidated comment on the PR (plus a commit status per stack) up to date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.config.load import load_repository
from orchestrator.config.resolved import RepoConfig, Settings
from orchestrator.engines.base import StackResult, redact_result
from orchestrator.errors import ConfigError, UserError
from orchestrator.execute import OnEvent
from orchestrator.flows.checkouts import (
    EngineFactory,
    checkouts,
    default_concurrency,
    default_engine_factory,
    run_plan,
)
from orchestrator.flows.plan import PlanRequest, make_plan
from orchestrator.flows.publish import (
    Publication,
    load_results,
    publish,
    publish_statuses,
    publish_untrusted,
    report_file,
)
from orchestrator.flows.redaction import secret_values
from orchestrator.flows.trust import Trust, check_trust
from orchestrator.git import EMPTY_TREE, GitRepo
from orchestrator.models import Plan, PlannedStack
from orchestrator.redact import Redactor
from orchestrator.report.comment import RenderedComment, comment_model, render_comment
from orchestrator.report.review import SECTION_BUDGET as REVIEW_SECTION_BUDGET
from orchestrator.report.untrusted import PREVIEW_MARKER, render_untrusted
from orchestrator.vcs.base import VcsClient

STATUS_PREFIX = "orchestrator/preview"
RERUN_COMMAND = "/orchestrator preview"


@dataclass(frozen=True)
class PreviewRequest:
    repo: Path
    base: str  # the PR's base branch (or any ref on it)
    head: str  # the PR's head commit
    branch: str | None = None  # the base branch name, when `base` is not one
    pr: int | None = None
    author: str | None = None
    from_fork: bool = False
    approved_by: str | None = None  # a trusted user asked for this preview (`/orchestrator preview`)
    concurrency: int | None = None
    summary_path: Path | None = None  # GITHUB_STEP_SUMMARY, when running in GitHub Actions
    stacks: tuple[str, ...] = ()  # a CI matrix job: preview only these; statuses only, no comment
    results_from: Path | None = None  # the report job of a matrix: merge the jobs' results, run nothing


@dataclass(frozen=True)
class PreviewOutcome:
    plan: Plan
    results: Mapping[str, StackResult]
    trust: Trust
    comment: RenderedComment | None
    report_path: Path | None
    published: bool
    publish_error: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    notice: str | None = None  # not an error: e.g. a fork's pull request, reported to the job summary only
    comment_at: str | None = None  # where the comment went: its URL, or its file with --vcs files
    skipped: tuple[str, ...] = ()  # what was not published (or not previewed), one line each, saying why

    @property
    def ok(self) -> bool:
        return all(r.status == "succeeded" for r in self.results.values())

    @property
    def exit_code(self) -> int:
        return 0 if self.ok and self.publish_error is None else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan.to_json(),
            "results": [r.to_json() for r in self.results.values()],
            "trusted": self.trust.trusted,
            "trust_reason": self.trust.reason,
            "comment": None
            if self.comment is None
            else {"chars": len(self.comment.markdown), "truncated": self.comment.truncated, "at": self.comment_at},
            "skipped": list(self.skipped),
            "published": self.published,
            "publish_error": self.publish_error,
            "report": None if self.report_path is None else str(self.report_path),
            "exit_code": self.exit_code,
            "notice": self.notice,
        }


def run_preview(
    request: PreviewRequest,
    vcs: VcsClient | None,
    *,
    engine_factory: EngineFactory = default_engine_factory,
    on_event: OnEvent | None = None,
) -> PreviewOutcome:
    plan, config = make_plan(
        PlanRequest(repo=request.repo, head=request.head, base=request.base, branch=request.branch, event="pr")
    )
    git = GitRepo(request.repo)
    # Who is trusted is read from the base commit: the PR's own orchestrator.yaml is the
    # author's to edit, so it must not be able to vouch for the author.
    trust = check_trust(_trust_settings(git, plan), vcs, author=request.author,
                        from_fork=request.from_fork, approved_by=request.approved_by)
    report = report_file(config.root, "preview", request.pr, plan.head, request.summary_path)
    if not trust.trusted:
        markdown = render_untrusted(plan, trust.reason or "", RERUN_COMMAND)
        comment = RenderedComment(markdown=markdown, full_markdown=markdown, truncated=False,
                                  marker=PREVIEW_MARKER, max_chars=config.settings.comment_max_chars)
        published, error, notice = publish_untrusted(
            vcs, request.pr, comment, plan, STATUS_PREFIX, report, read_only=_read_only_token(request),
            location=_report_location(request, report), append_report=_appends(request),
            keep_review=_has_review(config, plan))
        return PreviewOutcome(plan=plan, results={}, trust=trust, comment=comment, report_path=report,
                              published=published, publish_error=error, notice=notice,
                              skipped=(f"not previewed: {trust.reason}; a trusted user can comment `{RERUN_COMMAND}`",))

    if request.results_from is not None:
        redactor = Redactor()
        results = {sid: redact_result(r, redactor) for sid, r in load_results(request.results_from, plan).items()}
    else:
        selected = _select(plan, request.stacks)
        with checkouts(git, selected, config) as where:
            redactor = Redactor(secret_values(where.spec(s) for s in selected.stacks))
            execution = run_plan(
                selected,
                where,
                preview=True,
                concurrency=default_concurrency(config, request.concurrency),
                engine_factory=engine_factory,
                on_event=_redacting(on_event, redactor),
            )
        results = {sid: redact_result(r, redactor) for sid, r in execution.results.items()}
    if request.stacks:
        # One job of a matrix: its statuses now; the report job posts the one comment.
        published, error = publish_statuses(vcs, results, plan, STATUS_PREFIX)
        return PreviewOutcome(plan=plan, results=results, trust=trust, comment=None, report_path=None,
                              published=published, publish_error=error)
    comment = render_comment(
        comment_model(
            plan,
            results,
            config.environments,
            kind="Preview",
            redactor=redactor,
            rerun_command=RERUN_COMMAND,
            full_report_location=_report_location(request, report),
            full_report_path=None if request.summary_path else str(report),
            max_chars=_comment_budget(config, plan),
            group_identical=config.settings.comment_group_identical,
        )
    )
    done = publish(vcs, request.pr, comment, results, plan, STATUS_PREFIX, report, append_report=_appends(request),
                   keep_review=_has_review(config, plan))
    return _outcome(plan, results, trust, comment, report, done, ())


def _outcome(
    plan: Plan,
    results: Mapping[str, StackResult],
    trust: Trust,
    comment: RenderedComment,
    report: Path,
    done: Publication,
    not_done: tuple[str, ...],
) -> PreviewOutcome:
    return PreviewOutcome(plan=plan, results=results, trust=trust, comment=comment, report_path=report,
                          published=done.published, publish_error=done.error, comment_at=done.comment_at,
                          skipped=(*not_done, *done.skipped))


def _has_review(config: RepoConfig, plan: Plan) -> bool:
    """Whether an environment of the plan has review stacks: their section of the comment is kept."""
    return any(config.environments[e].review.enabled for e in plan.environments if e in config.environments)


def _comment_budget(config: RepoConfig, plan: Plan) -> int:
    return config.settings.comment_max_chars - (REVIEW_SECTION_BUDGET if _has_review(config, plan) else 0)


def _select(plan: Plan, stacks: tuple[str, ...]) -> Plan:
    if not stacks:
        return plan
    unknown = sorted(set(stacks) - {s.id for s in plan.stacks})
    if unknown:
        raise UserError(
            f"stack {unknown[0]!r} is not in the plan of this pull request",
            hint=f"stacks in the plan: {', '.join(s.id for s in plan.stacks) or 'none'}",
        )
    return plan.select(stacks)


def _trust_settings(git: GitRepo, plan: Plan) -> Settings:
    """`trust` as the base commit configures it. Without a valid base configuration nobody is
    vouched for by name, and only repository permissions (read through the VCS API) count."""
    if plan.base == EMPTY_TREE:
        return Settings()
    try:
        return load_repository(git.root, git.tree(plan.base)).settings
    except ConfigError:
        return Settings()


def _redacting(on_event: OnEvent | None, redactor: Redactor) -> OnEvent | None:
    """Progress reports see results redacted, as the comment does: they end up in CI logs."""
    if on_event is None:
        return None

    def forward(kind: str, stack: PlannedStack, result: StackResult | None) -> None:
        on_event(kind, stack, None if result is None else redact_result(result, redactor))

    return forward


def _read_only_token(request: PreviewRequest) -> bool:
    # GitHub gives a workflow run for a fork's pull request a read-only token (and no secrets):
    # it cannot comment, so it does not try (unless a trusted user asked: then it is another run).
    return request.summary_path is not None and request.from_fork and request.approved_by is None


def _appends(request: PreviewRequest) -> bool:
    # GITHUB_STEP_SUMMARY is shared by every command of the step: add to it, never replace it.
    return request.summary_path is not None


def _report_location(request: PreviewRequest, report: Path) -> str:
    return "the job summary" if request.summary_path else f"`{report}`"
