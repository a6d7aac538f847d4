"""The stand-alone Markdown templates of `report/templates/` (the untrusted-PR comment, the
review environment section): one environment, compiled once per process.

Every `{{ }}` is redacted of credential look-alikes and escaped for Markdown; `|code` makes a
safe code span. Callers redact with their own Redactor first where they know more secrets.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from orchestrator.redact import Redactor
from orchestrator.report import mdtext
from orchestrator.templating import template_environment

if TYPE_CHECKING:
    import jinja2

_REDACTOR = Redactor()


@cache
def markdown_template(name: str) -> jinja2.Template:
    return _environment().get_template(name)


@cache
def _environment() -> jinja2.Environment:
    return template_environment(
        Path(__file__).parent / "templates", html=False, finalize=_finalize, filters={"code": _code}
    )


def _finalize(value: Any) -> Any:
    return mdtext.template_value(value, _REDACTOR.text)


def _code(value: Any) -> Markup:
    return Markup(mdtext.code_span(_REDACTOR.text(str(value))))
