"""The consolidated pull-request comment: one Markdown document for every stack of a plan.

Pure: `render_comment(CommentModel) -> RenderedComment`; the only I/O is reading the
Jinja2 templates (compiled once per process). Prose lives in `templates/comment_*.md.j2`;
this package prepares views and the literal diff blocks:
`model` (the values), `grouping` (identical stacks share a section), `blocks` (diff,
diagnostics and error blocks), `sections` (one section at each budget level), `templates`
(the Jinja2 environment and filters) and `render` (title, table, sections, footer, budget).

Safety rules:
* Everything printed is redacted: template expressions pass through the `finalize` hook
  (redact, then escape for inline Markdown) unless a filter already made them safe
  (`h`, `code`, `block`, which redact too); the diff, diagnostics and error blocks are
  redacted as whole texts before they are fenced.
* Untrusted text never leaves its context: see `orchestrator.report.mdtext`.
"""

from orchestrator.report.comment.blocks import OP_SYMBOL
from orchestrator.report.comment.model import (
    DEFAULT_MAX_CHARS,
    MARKERS,
    CommentKind,
    CommentModel,
    EnvironmentGates,
    RenderedComment,
    StackOutcome,
    comment_model,
    deploy_marker,
)
from orchestrator.report.comment.render import render_comment

__all__ = [
    "DEFAULT_MAX_CHARS",
    "MARKERS",
    "OP_SYMBOL",
    "CommentKind",
    "CommentModel",
    "EnvironmentGates",
    "RenderedComment",
    "StackOutcome",
    "comment_model",
    "deploy_marker",
    "render_comment",
]
