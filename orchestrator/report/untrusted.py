"""The PR comment for a pull request that was not previewed because its author is not trusted."""

from __future__ import annotations

from markupsafe import Markup

from orchestrator.models import Plan
from orchestrator.report import mdtext
from orchestrator.report.mdtemplates import markdown_template

PREVIEW_MARKER = "<!-- orchestrator:preview -->"


def render_untrusted(plan: Plan, reason: str, rerun_command: str) -> str:
    return markdown_template("untrusted.md.j2").render(
        marker=Markup(PREVIEW_MARKER),
        head_sha=plan.head,
        reason=reason,
        environments=plan.environments,
        rerun_command=Markup(mdtext.code_block(rerun_command).strip("\n")),
        stacks=[s.id for s in plan.stacks],
    )
