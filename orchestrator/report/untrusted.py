"""The PR comment for a pull request that was not previewed because its author is not trusted."""

from __future__ import annotations

from functools import cache

import jinja2

from orchestrator.models import Plan

PREVIEW_MARKER = "<!-- orchestrator:preview -->"


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("orchestrator.report", "templates"),
        autoescape=False,  # Markdown, not HTML; values come from the plan, not from the PR body
        keep_trailing_newline=True,
    )
    return env.get_template("untrusted.md.j2")


def render_untrusted(plan: Plan, reason: str, rerun_command: str) -> str:
    return _template().render(
        marker=PREVIEW_MARKER,
        head_sha=plan.head,
        reason=reason,
        environments=plan.environments,
        rerun_command=rerun_command,
        stacks=[s.id for s in plan.stacks],
    )
