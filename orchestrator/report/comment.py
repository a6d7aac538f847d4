"""The consolidated pull-request comment: one Markdown document for every stack of a plan.

Pure: `render_comment(CommentModel) -> RenderedComment`; the only I/O is reading the
Jinja2 templates (compiled once per process). Prose lives in `templates/comment_*.md.j2`;
this module prepares views and the literal diff blocks.

Safety rules:
* Everything printed is redacted: template expressions pass through `_finalize`
  (redact, then escape for inline Markdown) unless a filter already made them safe
  (`h`, `code`, `block`, which redact too); the diff, diagnostics and error blocks are
  redacted as whole texts before they are fenced.
* Untrusted text never leaves its context: see `orchestrator.report.mdtext`.
"""

from __future__ import annotations

import contextvars
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from markupsafe import Markup

from orchestrator.engines.base import (
    SECRET,
    UNKNOWN,
    Diagnostic,
    OpCounts,
    PolicyViolation,
    ResourceChange,
    StackResult,
)
from orchestrator.models import Plan, PlannedStack
from orchestrator.report import mdtext
from orchestrator.report.budget import Level, fit
from orchestrator.report.redact import Redactor

if TYPE_CHECKING:
    import jinja2

    from orchestrator.config.resolved import Environment

CommentKind = Literal["Preview", "Deployed"]
SectionKind = Literal["quiet", "unchanged", "changes", "failed", "skipped"]

MARKERS: dict[str, str] = {
    "Preview": "<!-- orchestrator:preview -->",
    "Deployed": "<!-- orchestrator:deploy -->",
}


def deploy_marker(branch: str) -> str:
    """One Deployed comment per branch a PR reached (develop → dev, then main → qa, uat, prod)."""
    return f"<!-- orchestrator:deploy:{branch} -->" if branch else MARKERS["Deployed"]
DEFAULT_MAX_CHARS = 65536  # GitHub's limit on a comment body

STATUS_EMOJI: dict[str, str] = {"succeeded": "✅", "failed": "❌", "locked": "🔒", "skipped": "⏭️"}
# Pulumi's own notation for steps and values (`old => new`), so the diff block reads like
# `pulumi preview --diff`. The blocks stay ASCII on purpose: redaction scans them, and
# Python searches 1-byte strings several times faster than ones holding "→" or emoji.
OP_SYMBOL: dict[str, str] = {
    "create": "+",
    "update": "~",
    "delete": "-",
    "replace": "+-",
    "read": ">",
    "refresh": "~",
    "same": " ",
}
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}  # debug is engine noise: left out
MAX_VALUE_CHARS = 1000  # one property value; the rest is cut with a marker (policy documents get long)
CAPPED_ERROR_CHARS = 2000  # error text when a section is trimmed for the budget
CAPPED_DIAGNOSTICS = 10
MAX_LISTED_STACKS = 5  # stack ids named per kind of cut in the "shortened" note


@dataclass(frozen=True)
class EnvironmentGates:
    """What must hold before a merge deploys to an environment."""

    environment: str
    requires: tuple[str, ...] = ()
    protected: bool = False
    approvals: int = 0

    @classmethod
    def of(cls, environment: Environment) -> EnvironmentGates:
        return cls(
            environment=environment.name,
            requires=environment.requires,
            protected=environment.protected,
            approvals=environment.approvals,
        )

    @property
    def any(self) -> bool:
        return bool(self.requires) or self.protected or self.approvals > 0


@dataclass(frozen=True)
class StackOutcome:
    """A planned stack and what the engine said about it."""

    planned: PlannedStack
    result: StackResult

    @property
    def id(self) -> str:
        return self.planned.id


@dataclass(frozen=True)
class CommentModel:
    """Everything the comment shows. `stacks` are in plan order (waves, then environments)."""

    kind: CommentKind
    head_sha: str
    environments: tuple[str, ...]
    stacks: tuple[StackOutcome, ...]
    redactor: Redactor = field(default_factory=Redactor, compare=False)
    gates: tuple[EnvironmentGates, ...] = ()
    on_merge: tuple[str, ...] = ()  # environments a merge deploys, in promotion order
    rerun_command: str | None = None  # e.g. "/orchestrator preview"
    full_report_location: str = "the job summary"  # completes "The full report is in ..."
    full_report_path: str | None = None  # a file holding the full report; shown instead, as code
    max_chars: int = DEFAULT_MAX_CHARS
    group_identical: bool = True
    marker: str | None = None  # overrides the kind's marker (one Deployed comment per branch)


@dataclass(frozen=True)
class RenderedComment:
    markdown: str  # within max_chars unless the summary table alone is larger
    full_markdown: str  # nothing cut: for the step summary or a report file
    truncated: bool  # something was cut; `markdown` then says what and where the full report is
    marker: str  # the hidden line that finds this comment again
    max_chars: int

    @property
    def over_budget(self) -> bool:
        """True only when the parts never cut (title, table, footer) alone exceed the budget."""
        return len(self.markdown) > self.max_chars


def comment_model(
    plan: Plan,
    results: Mapping[str, StackResult],
    environments: Mapping[str, Environment],
    *,
    kind: CommentKind,
    redactor: Redactor,
    rerun_command: str | None = None,
    full_report_location: str = "the job summary",
    full_report_path: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    group_identical: bool = True,
    marker: str | None = None,
) -> CommentModel:
    """The model for `plan` and its `results` (by stack id). A stack without a result shows as skipped."""
    stacks = tuple(StackOutcome(planned=s, result=results.get(s.id) or _not_run(s)) for s in plan.stacks)
    in_order = sorted(
        (environments[name] for name in plan.environments if name in environments),
        key=lambda env: (env.order, env.name),
    )
    return CommentModel(
        kind=kind,
        head_sha=plan.head,
        environments=plan.environments,
        stacks=stacks,
        redactor=redactor,
        gates=tuple(EnvironmentGates.of(env) for env in in_order),
        on_merge=tuple(env.name for env in in_order) if kind == "Preview" else (),
        rerun_command=rerun_command,
        full_report_location=full_report_location,
        full_report_path=full_report_path,
        max_chars=max_chars,
        group_identical=group_identical,
        marker=marker,
    )


def _not_run(stack: PlannedStack) -> StackResult:
    operation = "destroy-preview" if stack.operation == "destroy" else stack.operation
    return StackResult(stack=stack.id, operation=operation, status="skipped")


# --------------------------------------------------------------------------- rendering


def render_comment(model: CommentModel) -> RenderedComment:
    token = _REDACTOR.set(model.redactor)
    try:
        return _render(model)
    finally:
        _REDACTOR.reset(token)


def _render(model: CommentModel) -> RenderedComment:
    templates = _templates()
    marker = model.marker or MARKERS[model.kind]
    header = templates["header"].render(**_header_context(model, marker))
    footer = templates["footer"].render(**_footer_context(model))
    lines = _LinesCache()
    sections = [_Section(model, members, lines) for members in _group(model, lines)]
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
    model: CommentModel, header: str, footer: str, sections: Sequence[_Section]
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
        note = _templates()["cut"].render(**_cut_context(model, sections, levels))
        used = (
            len(header)
            + len(footer)
            + len(note)
            + sum(len(s.render(lv)) for s, lv in zip(sections, levels, strict=True))
        )
        if used <= model.max_chars or len(note) <= note_size or all(lv == Level.NONE for lv in levels):
            return levels, note
        note_size = len(note)


# --------------------------------------------------------------------------- sections


class _Section:
    """One stack, or several environments of a project with identical changes, rendered lazily per level."""

    def __init__(self, model: CommentModel, members: Sequence[StackOutcome], lines: _LinesCache) -> None:
        self.model = model
        self._line_cache = lines
        self.members = tuple(members)
        self.lead = self.members[0]
        self.kind = _section_kind(self.lead.result)
        self.unchanged = self.kind in ("quiet", "unchanged", "skipped")
        self._cache: dict[Level, str] = {}
        self._redacted_full: str | None = None
        self._phrase: str | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.members)

    def render(self, level: Level) -> str:
        cached = self._cache.get(level)
        if cached is None:
            cached = "" if level == Level.NONE else _templates()["section"].render(**self._context(level))
            self._cache[level] = cached
        return cached

    def _context(self, level: Level) -> dict[str, Any]:
        result = self.lead.result
        capped = level != Level.FULL
        violations = result.policy_violations[:CAPPED_DIAGNOSTICS] if capped else result.policy_violations
        return {
            "kind": self.model.kind,
            "section": self.kind,
            "level": level.name.lower(),
            "emoji": STATUS_EMOJI.get(result.status, "❔"),
            "status": result.status,
            "project": self.lead.planned.project,
            "environments": [m.planned.environment for m in self.members],
            "operation": self.lead.planned.operation,
            "counts": result.counts,
            "changes_block": self._changes_block(level),
            "diagnostics_block": _diagnostics_block(result.diagnostics, capped=capped)
            if level <= Level.LINES
            else None,
            "violations": [_violation_view(v) for v in violations],
            "violations_cut": max(0, len(result.policy_violations) - CAPPED_DIAGNOSTICS) if capped else 0,
            "error_block": _error_block(result.error, capped=capped) if level <= Level.LINES else None,
            "reason": _skip_reason(result.error),
            "phrase": self.phrase(),
        }

    def phrase(self) -> str:
        """The counts in words, for the summary line of every level (rendered once)."""
        if self._phrase is None:
            result = self.lead.result
            context = {
                "kind": self.model.kind,
                "section": self.kind,
                "status": result.status,
                "counts": result.counts,
                "operation": self.lead.planned.operation,
            }
            self._phrase = Markup(_templates()["phrase"].render(**context).strip())
        return self._phrase

    def _changes_block(self, level: Level) -> str | None:
        if level > Level.LINES or not self.lead.result.changes:
            return None
        lines = self._line_cache.of(self.lead)
        if self._redacted_full is None:
            self._redacted_full = _REDACTOR.get().text(lines.text)
        if level == Level.FULL:
            return _fenced(self._redacted_full, "diff", redacted=True)
        return _fenced("\n".join(self._redacted_resource_lines(lines, self._redacted_full)), "diff", redacted=True)

    @staticmethod
    def _redacted_resource_lines(lines: _ChangeLines, redacted_full: str) -> list[str]:
        """The resource lines, taken from the already redacted full text when it kept its line count.

        Every line was redacted there in full context, so this saves a second scan; a secret
        spanning lines (a private key block) changes the count and we redact afresh.
        """
        if redacted_full == lines.text:
            return lines.resources  # nothing was redacted in this stack: the common case
        redacted = redacted_full.split("\n")
        if len(redacted) != len(lines.full):
            return [_REDACTOR.get().text("\n".join(lines.resources))]
        return [redacted[index] for index in lines.resource_index]


def _violation_view(violation: PolicyViolation) -> dict[str, Any]:
    return {
        "enforcement": violation.enforcement,
        "policy_pack": violation.policy_pack,
        "policy": violation.policy,
        "message": violation.message,
        "resource": _resource_name(violation.urn) if violation.urn else None,
    }


def _skip_reason(error: str | None) -> str | None:
    # execute.skipped_result says "skipped: <why>"; the template already says "skipped".
    return error.removeprefix("skipped:").strip() if error else None


def _section_kind(result: StackResult) -> SectionKind:
    if result.status in ("failed", "locked"):
        return "failed"
    if result.status == "skipped":
        return "skipped"
    if result.changes or result.counts.changed:
        return "changes"
    noteworthy = any(SEVERITY_ORDER.get(d.severity, 9) <= 1 for d in result.diagnostics)
    return "unchanged" if noteworthy or result.policy_violations else "quiet"


# --------------------------------------------------------------------------- grouping


def _group(model: CommentModel, lines: _LinesCache) -> list[list[StackOutcome]]:
    """Sections in plan order; identical change sets of one project in several environments share one.

    Fingerprints are only computed when a cheap signature (project, operation, counts...)
    already matches another stack: most stacks never need one.
    """
    sections: list[list[StackOutcome]] = []
    buckets: dict[tuple[Any, ...], list[_Candidate]] = {}
    for outcome in model.stacks:
        signature = _signature(outcome) if model.group_identical else None
        if signature is None:
            sections.append([outcome])
            continue
        bucket = buckets.setdefault(signature, [])
        match = _matching(bucket, outcome, lines) if bucket else None
        if match is not None:
            match.members.append(outcome)
        else:
            candidate = _Candidate(outcome)
            bucket.append(candidate)
            sections.append(candidate.members)
    return sections


class _Candidate:
    """The first stack of a possible group, its fingerprints computed on first need."""

    def __init__(self, lead: StackOutcome) -> None:
        self.members = [lead]
        self._fingerprints: dict[bool, str] = {}

    def fingerprint(self, lines: _LinesCache, *, quick: bool) -> str:
        found = self._fingerprints.get(quick)
        if found is None:
            found = self._fingerprints[quick] = _fingerprint(self.members[0], lines, quick=quick)
        return found


def _matching(bucket: Sequence[_Candidate], outcome: StackOutcome, lines: _LinesCache) -> _Candidate | None:
    # A quick look at the first lines rejects most candidates before the whole change set is compared.
    quick = _fingerprint(outcome, lines, quick=True)
    close = [c for c in bucket if c.fingerprint(lines, quick=True) == quick]
    if not close:
        return None
    fingerprint = _fingerprint(outcome, lines, quick=False)
    return next((c for c in close if c.fingerprint(lines, quick=False) == fingerprint), None)


def _signature(outcome: StackOutcome) -> tuple[Any, ...] | None:
    result, planned = outcome.result, outcome.planned
    kind = _section_kind(result)
    if kind in ("failed", "skipped"):
        return None  # errors are specific to their stack: always shown on their own
    if kind == "quiet":
        return (planned.project, planned.operation, kind)
    shape = (len(result.changes), len(result.diagnostics), len(result.policy_violations))
    return (planned.project, planned.operation, kind, result.counts, shape)


QUICK_FINGERPRINT_LINES = 12


def _fingerprint(outcome: StackOutcome, lines: _LinesCache, *, quick: bool) -> str:
    """What the section would show, plus URNs and the uncut long values, minus the stack and
    environment names: equal fingerprints mean "same changes, only the names differ".

    Built from the rendered lines (needed anyway) rather than the raw values, for speed.
    Plain substring replacement (no token boundaries) can only make two change sets compare
    equal when they differ exactly by those names, which is the point.
    """
    result, planned = outcome.result, outcome.planned
    if _section_kind(result) == "quiet":
        return ""
    shown = lines.of(outcome)
    if quick:
        return _without_names("\n".join(shown.full[:QUICK_FINGERPRINT_LINES]), planned)
    parts = [
        shown.text,
        "\x1e".join(shown.cut_values),
        "\x1e".join(change.urn for change in result.changes),
        "\x1e".join(f"{d.severity}\x1f{d.message}\x1f{d.urn}" for d in result.diagnostics),
        "\x1e".join(repr(v) for v in result.policy_violations),
    ]
    return _without_names("\x1d".join(parts), planned)


def _without_names(document: str, planned: PlannedStack) -> str:
    for name in sorted({planned.stack, planned.environment} - {""}, key=len, reverse=True):
        for spelling in dict.fromkeys((name, name.upper(), name.capitalize())):
            document = document.replace(spelling, "\x00")
    return document


# --------------------------------------------------------------------------- literal blocks


@dataclass(frozen=True)
class _ChangeLines:
    resources: list[str]  # one line per resource: symbol, op, type, name
    full: list[str]  # the same with each resource's property diffs under it
    resource_index: list[int]  # where each resource line is in `full`
    text: str  # `full` joined: the body of the diff block
    cut_values: list[str]  # values shortened to MAX_VALUE_CHARS, uncut (for fingerprints only)


class _LinesCache:
    """The change lines of each stack, built once per render (grouping and sections share them)."""

    def __init__(self) -> None:
        self._by_outcome: dict[int, _ChangeLines] = {}

    def of(self, outcome: StackOutcome) -> _ChangeLines:
        found = self._by_outcome.get(id(outcome))
        if found is None:
            found = self._by_outcome[id(outcome)] = _change_lines(outcome.result.changes)
        return found


def _change_lines(changes: Sequence[ResourceChange], *, sanitize: bool = False) -> _ChangeLines:
    """The diff-block lines. One tight loop: this runs for every property of every stack.

    Values are JSON-quoted (no raw line breaks); a type, name or path holding one is rare, so
    the whole block is checked once and rebuilt with `sanitize` only when needed.
    """
    one_line = _one_line if sanitize else _same
    show = _show
    resources: list[str] = []
    full: list[str] = []
    add_line = full.append
    index: list[int] = []
    cut: list[str] = []
    for change in changes:
        line = f"{OP_SYMBOL.get(change.op, '?'):<2} {change.op:<7} {one_line(change.type)}  {one_line(change.name)}"
        resources.append(line)
        index.append(len(full))
        add_line(line)
        for diff in change.diffs:
            path = one_line(diff.path)
            kind = diff.kind
            old = "" if kind == "add" else show(diff.old)
            new = "" if kind == "delete" else show(diff.new)
            if len(old) > MAX_VALUE_CHARS or len(new) > MAX_VALUE_CHARS:
                old, new = _cut(old, cut), _cut(new, cut)
            if kind == "add":
                add_line(f"    + {path}: {new}")
            elif kind == "delete":
                add_line(f"    - {path}: {old}")
            else:
                add_line(f"    ~ {path}: {old} => {new}")
    text = "\n".join(full)
    if not sanitize and (text.count("\n") != len(full) - 1 or "\r" in text):
        return _change_lines(changes, sanitize=True)
    return _ChangeLines(resources=resources, full=full, resource_index=index, cut_values=cut, text=text)


def _same(text: str) -> str:
    return text


def _cut(text: str, cut: list[str]) -> str:
    if len(text) <= MAX_VALUE_CHARS:
        return text
    cut.append(text)
    # Redact before cutting: a cut through a secret or a token would leave half of it
    # that no later redaction recognises.
    text = _REDACTOR.get().text(text)
    return f"{text[:MAX_VALUE_CHARS]}...(+{len(text) - MAX_VALUE_CHARS} chars)"


_JSON = json.JSONEncoder(ensure_ascii=False, default=str, separators=(", ", ": "))
_json_string: Callable[[str], str] = json.encoder.encode_basestring


def _show(value: Any) -> str:
    """One property value on one line: strings JSON-quoted, markers bare, floats without `.0`."""
    kind = type(value)
    if kind is str:
        return value if value in (SECRET, UNKNOWN) else _json_string(value)
    if kind is float and value.is_integer():
        return str(int(value))  # Pulumi hands numbers over as floats: 80.0 is the 80 the user wrote
    if kind is int or kind is float:
        return str(value)
    return _JSON.encode(_whole_numbers(value))  # None, booleans, lists, maps: as JSON


def _whole_numbers(value: Any) -> Any:
    """Integral floats inside lists and maps as ints, as at the top level."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_whole_numbers(v) for v in value]
    return value


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _diagnostics_block(diagnostics: Sequence[Diagnostic], *, capped: bool) -> str | None:
    shown = sorted((d for d in diagnostics if d.severity in SEVERITY_ORDER), key=lambda d: SEVERITY_ORDER[d.severity])
    if capped:
        shown = [d for d in shown if SEVERITY_ORDER[d.severity] <= 1][:CAPPED_DIAGNOSTICS]
    if not shown:
        return None
    lines = []
    for diagnostic in shown:
        where = f"{_resource_name(diagnostic.urn)}: " if diagnostic.urn else ""
        # Redacted before the continuation lines are indented: that would split a multi-line secret.
        message = _REDACTOR.get().text(diagnostic.message.rstrip()).replace("\n", "\n  ")
        lines.append(f"{diagnostic.severity}: {where}{message}")
    return _fenced("\n".join(lines), "")


def _resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _error_block(error: str | None, *, capped: bool) -> str | None:
    if not error:
        return None
    text = _REDACTOR.get().text(error.rstrip())  # before the cap, which could cut a secret in two
    if capped and len(text) > CAPPED_ERROR_CHARS:
        text = f"{text[:CAPPED_ERROR_CHARS]}\n...(+{len(text) - CAPPED_ERROR_CHARS} chars)"
    return _fenced(text, "", redacted=True)


def _fenced(text: str, language: str, *, redacted: bool = False) -> str:
    return Markup(mdtext.code_block(text if redacted else _REDACTOR.get().text(text), language))


# --------------------------------------------------------------------------- template contexts


@dataclass(frozen=True)
class _Row:
    emoji: str
    project: str
    environment: str
    counts: OpCounts
    duration: str
    ran: bool


def _header_context(model: CommentModel, marker: str) -> dict[str, Any]:
    results = [s.result for s in model.stacks]
    failed = sum(r.status in ("failed", "locked") for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    return {
        "marker": Markup(marker),
        "kind": model.kind,
        "short_sha": model.head_sha[:7],
        "environments": list(model.environments),
        "total": len(results),
        "failed": failed,
        "skipped": skipped,
        "changed": sum(r.ok and (bool(r.changes) or r.counts.changed > 0) for r in results),
        "overall_emoji": "❌" if failed else ("⚠️" if skipped else "✅"),
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
    return {
        "kind": model.kind,
        "on_merge": list(model.on_merge),
        "gates": list(model.gates),
        "rerun_command": model.rerun_command,
    }


def _cut_context(model: CommentModel, sections: Sequence[_Section], levels: Sequence[Level]) -> dict[str, Any]:
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


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s"


# --------------------------------------------------------------------------- templates

_REDACTOR: contextvars.ContextVar[Redactor] = contextvars.ContextVar("comment_redactor")
TEMPLATE_DIR = Path(__file__).parent / "templates"
_TEMPLATE_FILES = {
    "header": "comment_header.md.j2",
    "section": "comment_section.md.j2",
    "cut": "comment_cut.md.j2",
    "footer": "comment_footer.md.j2",
    "phrase": "comment_phrase.md.j2",
}


@functools.cache
def _templates() -> dict[str, jinja2.Template]:
    """Compiled once per process. Jinja2 is imported here so the CLI starts fast."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=False,  # Markdown, not HTML: `_finalize` escapes for Markdown instead
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    environment.filters.update(h=_filter_html, code=_filter_code, block=_filter_block, number=_filter_number)
    return {name: environment.get_template(file) for name, file in _TEMPLATE_FILES.items()}


def _finalize(value: Any) -> Any:
    """Every `{{ }}` in the templates: redacted and escaped unless a filter made it safe."""
    return mdtext.template_value(value, _REDACTOR.get().text)


def _filter_html(value: Any) -> Any:
    return Markup(mdtext.in_html(_REDACTOR.get().text(str(value))))


def _filter_code(value: Any) -> Any:
    return Markup(mdtext.code_span(_REDACTOR.get().text(str(value))))


def _filter_block(value: Any) -> Any:
    return Markup(mdtext.code_block(_REDACTOR.get().text(str(value))))


def _filter_number(value: int) -> str:
    return f"{value:,}"
