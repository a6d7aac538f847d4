"""The drift report's Jinja2 templates (`report/templates/drift_*.j2`) and their filters."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from orchestrator.report import mdtext
from orchestrator.report.drift.views import REDACTOR
from orchestrator.templating import template_environment

if TYPE_CHECKING:
    import jinja2

TEMPLATE_DIR = Path(__file__).parent.parent / "templates"


@functools.cache
def drift_templates() -> dict[str, jinja2.Template]:
    """Compiled once per process (Jinja2 loads on the first call, so the CLI starts fast)."""
    markdown = template_environment(
        TEMPLATE_DIR,
        html=False,
        finalize=_finalize_markdown,
        filters={"h": _filter_html, "code": _filter_code, "number": _filter_number},
    )
    html = template_environment(TEMPLATE_DIR, html=True, finalize=_finalize_html, filters={"number": _filter_number})
    return {
        "md": markdown.get_template("drift_report.md.j2"),
        "md_phrase": markdown.get_template("drift_phrase.md.j2"),
        "html": html.get_template("drift_report.html.j2"),
    }


def _finalize_markdown(value: Any) -> Any:
    """Every `{{ }}` in the Markdown templates: redacted and escaped unless a filter made it safe."""
    return mdtext.template_value(value, REDACTOR.get().text)


def _finalize_html(value: Any) -> Any:
    """Every `{{ }}` in the HTML template: redacted; Jinja2's autoescape then escapes it."""
    if isinstance(value, Markup) or value is None or isinstance(value, (int, float)):
        return "" if value is None else value
    return REDACTOR.get().text(str(value))


def _filter_html(value: Any) -> Markup:
    return Markup(mdtext.in_html(REDACTOR.get().text(str(value))))


def _filter_code(value: Any) -> Markup:
    return Markup(mdtext.code_span(REDACTOR.get().text(str(value))))


def _filter_number(value: int) -> str:
    return f"{value:,}"
