"""The PR comment for a pull request that was not previewed because its author is not trusted."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from orchestrator.models import Plan
from orchestrator.redact import Redactor
from orchestrator.report import mdtext
from orchestrator.templating import template_environment

if TYPE_CHECKING:
    import jinja2

PREVIEW_MARKER = "<!-- orchestrator:preview -->"


_REDACTOR = Redactor()


@cache
def _template() -> jinja2.Template:
    # Markdown, not HTML. The project names, the author in `reason` and the head come from the
    # pull request, which nobody trusted yet: every value is redacted and escaped.
    env = template_environment(
        Path(__file__).parent / "templates",
        html=False,
        finalize=_finalize,
        filters={"code": lambda value: Markup(mdtext.code_span(_REDACTOR.text(str(value))))},
    )
    return env.get_template("untrusted.md.j2")


def _finalize(value: Any) -> Any:
    return mdtext.template_value(value, _REDACTOR.text)


def render_untrusted(plan: Plan, reason: str, rerun_command: str) -> str:
    return _template().render(
        marker=Markup(PREVIEW_MARKER),
        head_sha=plan.head,
        reason=reason,
        environments=plan.environments,
        rerun_command=Markup(mdtext.code_block(rerun_command).strip("\n")),
        stacks=[s.id for s in plan.stacks],
    )
