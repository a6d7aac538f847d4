"""The drift report: Markdown (tracking issues, step summaries), JSON (tools) and one
standalone HTML page (people), all from a `DriftReport`.

Pure except `write_reports`. Prose lives in `templates/drift_*.j2`; this package prepares
views: `views` (what the forms share), `markdown` (the budgeted Markdown and the tracking
issue's body), `html`, `output` (JSON and the report files) and `templates`. Safety rules,
as for the PR comment:
* everything printed is redacted (`Redactor`: credential-looking strings, plus the secrets
  a caller knows): template expressions pass through a `finalize` hook that redacts, then
  escapes for the context (inline Markdown via `mdtext`, HTML via Jinja2's autoescape);
* values come from the cloud and from programs in the repository, so they are untrusted:
  they never leave their context (table cell, code block, `<summary>`, HTML element).

The Markdown speaks of what changed since the last run (new and resolved findings) unless
asked for everything; it fits in `MAX_MARKDOWN_CHARS` by dropping detail level by level
and says what it cut. The JSON and HTML always hold every finding.
"""

from orchestrator.report.drift.html import render_html
from orchestrator.report.drift.markdown import MAX_MARKDOWN_CHARS, issue_body, render_markdown
from orchestrator.report.drift.output import normalize_formats, render_json, write_reports
from orchestrator.report.drift.views import REPORT_FILES

__all__ = [
    "MAX_MARKDOWN_CHARS",
    "REPORT_FILES",
    "issue_body",
    "normalize_formats",
    "render_html",
    "render_json",
    "render_markdown",
    "write_reports",
]
