"""The comment's model: every stack of a plan and what its engine said, the gates, the budget.

Pure values; `comment_model` builds one from a plan, its results and the environments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from orchestrator.engines.base import StackResult
from orchestrator.models import Plan, PlannedStack, UpToDate
from orchestrator.redact import Redactor

if TYPE_CHECKING:
    from orchestrator.config.resolved import Environment

CommentKind = Literal["Preview", "Deployed"]

# The title's words around the environments and the commit: "Deployed to qa, uat at `abc1234`".
TITLES: dict[str, tuple[str, str]] = {
    "Preview": ("Preview for", "at"),
    "Deployed": ("Deployed to", "at"),
    "rollback": ("Rolled back", "to"),
    "promote": ("Promoted to", "at"),
}
SectionKind = Literal["quiet", "unchanged", "changes", "failed", "skipped"]

MARKERS: dict[str, str] = {
    "Preview": "<!-- orchestrator:preview -->",
    "Deployed": "<!-- orchestrator:deploy -->",
}


def deploy_marker(branch: str) -> str:
    """One Deployed comment per branch a PR reached (develop → dev, then main → qa, uat, prod)."""
    return f"<!-- orchestrator:deploy:{branch} -->" if branch else MARKERS["Deployed"]


DEFAULT_MAX_CHARS = 65536  # GitHub's limit on a comment body
STATUS_EMOJI: dict[str, str] = {"succeeded": "✅", "failed": "❌", "locked": "🔒", "skipped": "⏭️"}
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}  # debug is engine noise: left out


@dataclass(frozen=True)
class EnvironmentGates:
    """What must hold before a merge deploys to an environment."""

    environment: str
    requires: tuple[str, ...] = ()
    protected: bool = False
    approvals: int = 0

    @classmethod
    def of(cls, environment: Environment) -> EnvironmentGates:
        return cls(
            environment=environment.name,
            requires=environment.requires,
            protected=environment.protected,
            approvals=environment.approvals,
        )

    @property
    def any(self) -> bool:
        return bool(self.requires) or self.protected or self.approvals > 0


@dataclass(frozen=True)
class StackOutcome:
    """A planned stack and what the engine said about it."""

    planned: PlannedStack
    result: StackResult

    @property
    def id(self) -> str:
        return self.planned.id


@dataclass(frozen=True)
class CommentModel:
    """Everything the comment shows. `stacks` are in plan order (waves, then environments)."""

    kind: CommentKind
    head_sha: str
    environments: tuple[str, ...]
    stacks: tuple[StackOutcome, ...]
    redactor: Redactor = field(default_factory=Redactor, compare=False)
    gates: tuple[EnvironmentGates, ...] = ()
    on_merge: tuple[str, ...] = ()  # environments a merge deploys, in promotion order
    rerun_command: str | None = None  # e.g. "/orchestrator preview"
    full_report_location: str = "the job summary"  # completes "The full report is in ..."
    full_report_path: str | None = None  # a file holding the full report; shown instead, as code
    max_chars: int = DEFAULT_MAX_CHARS
    group_identical: bool = True
    marker: str | None = None  # overrides the kind's marker (one Deployed comment per branch)
    current: tuple[UpToDate, ...] = ()  # stacks a deploy left alone: already at this commit or newer
    notices: tuple[str, ...] = ()  # said under the title, never cut: e.g. gates bypassed by a break-glass rollback
    flow: str = "deploy"  # a rollback or promotion is titled as such (TITLES), though it posts a Deployed comment


@dataclass(frozen=True)
class RenderedComment:
    markdown: str  # within max_chars unless the summary table alone is larger
    full_markdown: str  # nothing cut: for the step summary or a report file
    truncated: bool  # something was cut; `markdown` then says what and where the full report is
    marker: str  # the hidden line that finds this comment again
    max_chars: int

    @property
    def over_budget(self) -> bool:
        """True only when the parts never cut (title, table, footer) alone exceed the budget."""
        return len(self.markdown) > self.max_chars


def comment_model(
    plan: Plan,
    results: Mapping[str, StackResult],
    environments: Mapping[str, Environment],
    *,
    kind: CommentKind,
    redactor: Redactor,
    rerun_command: str | None = None,
    full_report_location: str = "the job summary",
    full_report_path: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    group_identical: bool = True,
    marker: str | None = None,
    notices: tuple[str, ...] = (),
    flow: str = "deploy",
) -> CommentModel:
    """The model for `plan` and its `results` (by stack id). A stack without a result shows as skipped."""
    stacks = tuple(StackOutcome(planned=s, result=results.get(s.id) or _not_run(s)) for s in plan.stacks)
    in_order = sorted(
        (environments[name] for name in plan.environments if name in environments),
        key=lambda env: (env.order, env.name),
    )
    return CommentModel(
        kind=kind,
        head_sha=plan.head,
        environments=plan.environments,
        stacks=stacks,
        redactor=redactor,
        gates=tuple(EnvironmentGates.of(env) for env in in_order),
        on_merge=tuple(env.name for env in in_order) if kind == "Preview" else (),
        rerun_command=rerun_command,
        full_report_location=full_report_location,
        full_report_path=full_report_path,
        max_chars=max_chars,
        group_identical=group_identical,
        marker=marker,
        current=plan.current if kind == "Deployed" else (),
        notices=notices,
        flow=flow,
    )


def _not_run(stack: PlannedStack) -> StackResult:
    operation = "destroy-preview" if stack.operation == "destroy" else stack.operation
    return StackResult(stack=stack.id, operation=operation, status="skipped")


def section_kind(result: StackResult) -> SectionKind:
    if result.status in ("failed", "locked"):
        return "failed"
    if result.status == "skipped":
        return "skipped"
    if result.changes or result.counts.changed:
        return "changes"
    noteworthy = any(SEVERITY_ORDER.get(d.severity, 9) <= 1 for d in result.diagnostics)
    return "unchanged" if noteworthy or result.policy_violations else "quiet"
