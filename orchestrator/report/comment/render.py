"""Rendering the comment: title and summary table, the sections, the footer, fitted to the budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from orchestrator.engines.base import OpCounts
from orchestrator.report.budget import Level, fit
from orchestrator.report.comment.blocks import REDACTOR, LinesCache
from orchestrator.report.comment.grouping import group_sections
from orchestrator.report.comment.model import MARKERS, STATUS_EMOJI, TITLES, CommentModel, RenderedComment
from orchestrator.report.comment.sections import Section
from orchestrator.report.comment.templates import comment_templates
from orchestrator.report.values import format_duration

MAX_LISTED_STACKS = 5  # stack ids named per kind of cut in the "shortened" note


def render_comment(model: CommentModel) -> RenderedComment:
    token = REDACTOR.set(model.redactor)
    try:
        return _render(model)
    finally:
        REDACTOR.reset(token)


def _render(model: CommentModel) -> RenderedComment:
    templates = comment_templates()
    marker = model.marker or MARKERS[model.kind]
    header = templates["header"].render(**_header_context(model, marker))
    footer = templates["footer"].render(**_footer_context(model))
    lines = LinesCache()
    sections = [Section(model, members, lines) for members in group_sections(model, lines)]
    full = _compose(header, "", [s.render(Level.FULL) for s in sections], footer)
    if len(full) <= model.max_chars:
        return RenderedComment(
            markdown=full, full_markdown=full, truncated=False, marker=marker, max_chars=model.max_chars
        )
    levels, note = _fit_with_note(model, header, footer, sections)
    markdown = _compose(header, note, [s.render(level) for s, level in zip(sections, levels, strict=True)], footer)
    return RenderedComment(
        markdown=markdown, full_markdown=full, truncated=True, marker=marker, max_chars=model.max_chars
    )


def _compose(header: str, note: str, sections: Sequence[str], footer: str) -> str:
    return "".join((header, note, *sections, footer))


def _fit_with_note(
    model: CommentModel, header: str, footer: str, sections: Sequence[Section]
) -> tuple[list[Level], str]:
    """Levels that fit, and the note saying what was cut; the note's own size is budgeted too."""
    note_size = 0
    while True:
        levels = fit(
            count=len(sections),
            size_at=lambda index, level: len(sections[index].render(level)),
            unchanged=[s.unchanged for s in sections],
            fixed=len(header) + len(footer) + note_size,
            max_chars=model.max_chars,
        )
        note = comment_templates()["cut"].render(**_cut_context(model, sections, levels))
        used = (
            len(header)
            + len(footer)
            + len(note)
            + sum(len(s.render(lv)) for s, lv in zip(sections, levels, strict=True))
        )
        if used <= model.max_chars or len(note) <= note_size or all(lv == Level.NONE for lv in levels):
            return levels, note
        note_size = len(note)


@dataclass(frozen=True)
class _Row:
    emoji: str
    project: str
    environment: str
    counts: OpCounts
    duration: str
    ran: bool


CURRENT_LISTED = 20


def _header_context(model: CommentModel, marker: str) -> dict[str, Any]:
    results = [s.result for s in model.stacks]
    failed = sum(r.status in ("failed", "locked") for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    return {
        "marker": Markup(marker),
        "kind": model.kind,
        "title": TITLES.get(model.flow if model.kind == "Deployed" else model.kind) or TITLES[model.kind],
        "short_sha": model.head_sha[:7],
        "environments": list(model.environments),
        "total": len(results),
        "failed": failed,
        "skipped": skipped,
        "changed": sum(r.ok and (bool(r.changes) or r.counts.changed > 0) for r in results),
        "overall_emoji": "❌" if failed else ("⚠️" if skipped else "✅"),
        # The header is never cut for the budget: a large repository lists a few and counts the rest.
        "current": [{"stack": c.id, "commit": c.commit[:7], "reason": c.reason}
                    for c in model.current[:CURRENT_LISTED]],
        "current_more": max(0, len(model.current) - CURRENT_LISTED),
        "notices": list(model.notices),
        "rows": [
            _Row(
                emoji=STATUS_EMOJI.get(s.result.status, "❔"),
                project=s.planned.project,
                environment=s.planned.environment,
                counts=s.result.counts,
                duration=format_duration(s.result.duration_s),
                ran=s.result.status != "skipped",
            )
            for s in model.stacks
        ],
    }


def _footer_context(model: CommentModel) -> dict[str, Any]:
    """What a merge does is told only for the stacks that previewed: for the others it is unknown."""
    previewed = [s for s in model.stacks if s.result.status == "succeeded"]
    missing = [s for s in model.stacks if s.result.status != "succeeded"]
    environments = {s.planned.environment for s in previewed}
    return {
        "kind": model.kind,
        "on_merge": [env for env in model.on_merge if env in environments],
        "planned": bool(model.on_merge),
        "previewed": len(previewed),
        "failed": sum(s.result.status in ("failed", "locked") for s in missing),
        "skipped": sum(s.result.status == "skipped" for s in missing),
        "missing": [f"{s.id} ({s.result.status})" for s in missing[:MAX_LISTED_STACKS]],
        "missing_more": max(0, len(missing) - MAX_LISTED_STACKS),
        "gates": list(model.gates),
        "rerun_command": model.rerun_command,
    }


def _cut_context(model: CommentModel, sections: Sequence[Section], levels: Sequence[Level]) -> dict[str, Any]:
    def ids(predicate: Any) -> list[str]:
        return [i for s, lv in zip(sections, levels, strict=True) if predicate(s, lv) for i in s.ids]

    def listed(found: list[str]) -> dict[str, Any]:
        return {"count": len(found), "ids": found[:MAX_LISTED_STACKS], "more": max(0, len(found) - MAX_LISTED_STACKS)}

    return {
        "max_chars": model.max_chars,
        "location": model.full_report_location,
        "location_path": model.full_report_path,
        "unchanged": listed(ids(lambda s, lv: s.unchanged and lv > Level.FULL)),
        "diffs": listed(ids(lambda s, lv: not s.unchanged and lv == Level.LINES)),
        "lines": listed(ids(lambda s, lv: not s.unchanged and lv == Level.HEADLINE)),
        "sections": listed(ids(lambda s, lv: not s.unchanged and lv == Level.NONE)),
    }
