"""The PR comment for a pull request that was not previewed because its author is not trusted."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.models import Plan
from orchestrator.templating import template_environment

if TYPE_CHECKING:
    import jinja2

PREVIEW_MARKER = "<!-- orchestrator:preview -->"


@cache
def _template() -> jinja2.Template:
    # Markdown, not HTML; values come from the plan, not from the PR body.
    env = template_environment(Path(__file__).parent / "templates", html=False)
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
