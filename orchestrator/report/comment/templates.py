"""The comment's Jinja2 templates (`report/templates/comment_*.md.j2`) and their filters."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from orchestrator.report import mdtext
from orchestrator.report.comment.blocks import REDACTOR
from orchestrator.templating import template_environment

if TYPE_CHECKING:
    import jinja2

TEMPLATE_DIR = Path(__file__).parent.parent / "templates"
_TEMPLATE_FILES = {
    "header": "comment_header.md.j2",
    "section": "comment_section.md.j2",
    "cut": "comment_cut.md.j2",
    "footer": "comment_footer.md.j2",
    "phrase": "comment_phrase.md.j2",
}


@functools.cache
def comment_templates() -> dict[str, jinja2.Template]:
    """Compiled once per process. Jinja2 is imported here so the CLI starts fast."""
    environment = template_environment(
        TEMPLATE_DIR,
        html=False,  # Markdown, not HTML: `_finalize` escapes for Markdown instead
        finalize=_finalize,
        filters={"h": _filter_html, "code": _filter_code, "block": _filter_block, "number": _filter_number},
    )
    return {name: environment.get_template(file) for name, file in _TEMPLATE_FILES.items()}


def _finalize(value: Any) -> Any:
    """Every `{{ }}` in the templates: redacted and escaped unless a filter made it safe."""
    return mdtext.template_value(value, REDACTOR.get().text)


def _filter_html(value: Any) -> Any:
    return Markup(mdtext.in_html(REDACTOR.get().text(str(value))))


def _filter_code(value: Any) -> Any:
    return Markup(mdtext.code_span(REDACTOR.get().text(str(value))))


def _filter_block(value: Any) -> Any:
    return Markup(mdtext.code_block(REDACTOR.get().text(str(value))))


def _filter_number(value: int) -> str:
    return f"{value:,}"
