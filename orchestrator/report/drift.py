"""The drift report: Markdown (tracking issues, step summaries), JSON (tools) and one
standalone HTML page (people), all from a `DriftReport`.

Pure except `write_reports`. Prose lives in `templates/drift_*.j2`; this module prepares
views. Safety rules, as for the PR comment:
* everything printed is redacted (`Redactor`: credential-looking strings, plus the secrets
  a caller knows): template expressions pass through a `finalize` hook that redacts, then
  escapes for the context (inline Markdown via `mdtext`, HTML via Jinja2's autoescape);
* values come from the cloud and from programs in the repository, so they are untrusted:
  they never leave their context (table cell, code block, `<summary>`, HTML element).

The Markdown speaks of what changed since the last run (new and resolved findings) unless
asked for everything; it fits in `MAX_MARKDOWN_CHARS` by dropping detail level by level
and says what it cut. The JSON and HTML always hold every finding.
"""

from __future__ import annotations

import contextvars
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from orchestrator.drift.findings import in_report_order
from orchestrator.drift.model import DriftReport, Finding, FindingState, StackDrift, UnmanagedScan
from orchestrator.engines.base import SECRET, UNKNOWN, PropertyDiff
from orchestrator.errors import UserError
from orchestrator.redact import Redactor
from orchestrator.report import mdtext

if TYPE_CHECKING:
    import jinja2

MAX_MARKDOWN_CHARS = 65_000  # GitHub's issue/comment body limit is 65,536; keep a margin
JSON_FORMAT_VERSION = 1
REPORT_FILES: dict[str, str] = {"md": "drift-report.md", "json": "drift-report.json", "html": "drift-report.html"}
_FORMAT_ALIASES: dict[str, str] = {"md": "md", "markdown": "md", "json": "json", "html": "html"}

STATE_ORDER: tuple[FindingState, ...] = ("new", "ongoing", "acknowledged", "resolved")
CHANGE_STATES: tuple[FindingState, ...] = ("new", "resolved")  # what "changed since the last run" lists
KIND_ORDER: dict[str, int] = {"error": 0, "drifted": 1, "deleted": 2, "unmanaged": 3}
# Labels and symbols are in templates/drift_labels.j2.

MAX_VALUE_CHARS = 1000  # one property value in full detail
CAPPED_VALUE_CHARS = 200  # ... when the Markdown is over budget
CAPPED_DIFF_LINES = 20  # property diffs per finding when over budget
CAPPED_MESSAGE_CHARS = 2000  # an error text when over budget
MAX_TABLE_ROWS_WHEN_CUT = 100  # stacks table rows per environment at the last budget level
# Findings listed per state group and environment at each budget level (None: all).
_LIST_CAPS: tuple[int | None, ...] = (None, None, None, 200, 50, 10, 0)


# --------------------------------------------------------------------------- public API


def render_markdown(
    report: DriftReport,
    *,
    only_changes: bool | None = None,
    redactor: Redactor | None = None,
    max_chars: int = MAX_MARKDOWN_CHARS,
) -> str:
    """The report as Markdown within `max_chars`. `only_changes` None: the report's own setting."""
    changes_only = report.only_changes if only_changes is None else only_changes
    token = _REDACTOR.set(redactor or Redactor())
    try:
        return _fit_markdown(report, changes_only=changes_only, max_chars=max_chars)
    finally:
        _REDACTOR.reset(token)


def render_json(report: DriftReport, *, redactor: Redactor | None = None) -> str:
    """`DriftReport.to_json()` with findings in a stable order, redacted, indented."""
    data = report.to_json()
    data["format_version"] = JSON_FORMAT_VERSION
    data["only_changes"] = report.only_changes
    data["findings"] = [f.to_json() for f in sorted_findings(report.findings)]
    data["environment_summaries"] = [_environment_json(report, env) for env in environments_of(report)]
    return json.dumps((redactor or Redactor()).value(data), indent=2, ensure_ascii=False, default=str) + "\n"


def render_html(report: DriftReport, *, redactor: Redactor | None = None) -> str:
    """One standalone HTML page (inline CSS, no script, no network) with every finding."""
    token = _REDACTOR.set(redactor or Redactor())
    try:
        return _templates()["html"].render(**_html_context(report))
    finally:
        _REDACTOR.reset(token)


def write_reports(
    report: DriftReport,
    out_dir: Path,
    formats: Sequence[str],
    *,
    redactor: Redactor | None = None,
) -> dict[str, Path]:
    """Write `drift-report.<md|json|html>` into `out_dir` atomically; returns format → path."""
    from orchestrator.engines.local.state import atomic_write

    wanted = normalize_formats(formats)
    renderers = {
        "md": lambda: render_markdown(report, redactor=redactor),
        "json": lambda: render_json(report, redactor=redactor),
        "html": lambda: render_html(report, redactor=redactor),
    }
    written: dict[str, Path] = {}
    for fmt in wanted:
        path = out_dir / REPORT_FILES[fmt]
        atomic_write(path, renderers[fmt]())
        written[fmt] = path
    return written


def normalize_formats(formats: Sequence[str]) -> list[str]:
    """`["md", "json"]` or `["md,json"]` → canonical names, de-duplicated, in order."""
    out: list[str] = []
    for item in formats:
        for raw in item.split(","):
            name = raw.strip().lower()
            if not name:
                continue
            fmt = _FORMAT_ALIASES.get(name)
            if fmt is None:
                raise UserError(
                    f"unknown drift report format {raw.strip()!r}",
                    f"use one or more of: {', '.join(REPORT_FILES)} (e.g. --format md,json,html)",
                )
            if fmt not in out:
                out.append(fmt)
    return out


# --------------------------------------------------------------------------- tracking issue


ISSUE_BODY_CHARS = 60_000  # GitHub's limit is 65,536; room for the keys appendix
ISSUE_KEYS_LISTED = 200


def issue_body(report: DriftReport, env: str, active: Sequence[Finding], resolved: Sequence[Finding]) -> str:
    """The environment's part of the report, with every active finding (not only this run's
    changes), and the keys `orchestrator drift ack` takes."""
    mine = replace(
        report,
        environments=(env,),
        stacks=tuple(s for s in report.stacks if s.environment == env),
        findings=in_report_order([*active, *resolved]),
        scans=tuple(s for s in report.scans if s.environment == env),
        ignored=sum(s.ignored for s in report.stacks if s.environment == env),
        only_changes=False,
    )
    body = render_markdown(mine, only_changes=False, max_chars=ISSUE_BODY_CHARS)
    keys = sorted(f.key for f in active if f.state in ("new", "ongoing"))
    if keys:
        listed = "\n".join(keys[:ISSUE_KEYS_LISTED])
        more = f"\n({len(keys) - ISSUE_KEYS_LISTED} more in the JSON report)" if len(keys) > ISSUE_KEYS_LISTED else ""
        body += (
            "\n<details><summary>Finding keys, for <code>orchestrator drift ack KEY --reason ...</code></summary>"
            f"\n\n{mdtext.code_block(listed + more)}\n\n</details>\n"
        )
    return body


# --------------------------------------------------------------------------- shared views


def environments_of(report: DriftReport) -> list[str]:
    """The report's environments, then any that only findings, stacks or scans name."""
    seen = dict.fromkeys(report.environments)
    for env in (
        *(s.environment for s in report.stacks),
        *(f.environment for f in report.findings),
        *(s.environment for s in report.scans),
    ):
        seen.setdefault(env)
    return list(seen)


def sorted_findings(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (
            f.environment,
            STATE_ORDER.index(f.state),
            f.stack is None,  # unmanaged resources after the stacks' findings
            f.stack or "",
            KIND_ORDER.get(f.kind, 9),
            f.type,
            f.name,
            f.key,
        ),
    )


def _environment_json(report: DriftReport, env: str) -> dict[str, Any]:
    findings = [f for f in report.findings if f.environment == env]
    stacks = [s for s in report.stacks if s.environment == env]
    return {
        "environment": env,
        "stacks": len(stacks),
        "stacks_drifted": sum(s.status == "drifted" for s in stacks),
        "stacks_failed": sum(s.status == "error" for s in stacks),
        "ignored": sum(s.ignored for s in stacks),
        **{state: sum(f.state == state for f in findings) for state in STATE_ORDER},
    }


@dataclass(frozen=True)
class _DiffLine:
    path: str
    kind: str
    old: str  # "" for an added property
    new: str  # "" for a removed one


def diff_lines(diffs: Sequence[PropertyDiff], *, value_chars: int = MAX_VALUE_CHARS) -> list[_DiffLine]:
    return [
        _DiffLine(
            path=_one_line(d.path),
            kind=d.kind,
            old="" if d.kind == "add" else _cut(show_value(d.old), value_chars),
            new="" if d.kind == "delete" else _cut(show_value(d.new), value_chars),
        )
        for d in diffs
    ]


def show_value(value: Any) -> str:
    """One value on one line: strings JSON-quoted, markers bare, integral floats as ints."""
    if isinstance(value, str):
        return value if value in (SECRET, UNKNOWN) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Pulumi hands numbers over as floats: 80.0 is the 80 in the code
    return json.dumps(_whole_numbers(value), ensure_ascii=False, default=str, separators=(", ", ": "))


def _whole_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_whole_numbers(v) for v in value]
    return value


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    # Redact before cutting: half a token is something no later redaction recognises.
    text = _REDACTOR.get().text(text)
    return f"{text[:limit]}...(+{len(text) - limit} chars)"


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s"


def _counts(findings: Sequence[Finding]) -> dict[str, int]:
    return {state: sum(f.state == state for f in findings) for state in STATE_ORDER}


# --------------------------------------------------------------------------- Markdown


@dataclass(frozen=True)
class _Detail:
    """How much the Markdown shows; lower levels cut more to fit the budget."""

    level: int
    diffs: bool  # property diff blocks at all
    value_chars: int
    diff_lines: int | None
    message_chars: int | None
    list_cap: int | None  # findings per state group and environment
    clean_rows: bool  # rows of clean stacks in the stacks table
    table_rows: int | None  # rows of the stacks table per environment


def _detail(level: int) -> _Detail:
    return _Detail(
        level=level,
        diffs=level < 2,
        value_chars=MAX_VALUE_CHARS if level == 0 else CAPPED_VALUE_CHARS,
        diff_lines=None if level == 0 else CAPPED_DIFF_LINES,
        message_chars=None if level == 0 else CAPPED_MESSAGE_CHARS,
        list_cap=_LIST_CAPS[level],
        clean_rows=level < 4,
        table_rows=None if level < _LEVELS - 1 else MAX_TABLE_ROWS_WHEN_CUT,
    )


_LEVELS = len(_LIST_CAPS)


def _fit_markdown(report: DriftReport, *, changes_only: bool, max_chars: int) -> str:
    text = ""
    listed = CHANGE_STATES if changes_only else STATE_ORDER
    for level in range(_LEVELS):
        detail = _detail(level)
        if level < _LEVELS - 1 and _diffs_alone_exceed(report.findings, listed, detail, max_chars):
            continue  # rendering thousands of diff blocks only to throw them away is the slow part
        text = _render_markdown(report, changes_only=changes_only, detail=detail, max_chars=max_chars)
        if len(text) <= max_chars:
            return text
    # Only a report with an absurd number of environments or failing stacks gets here:
    # cut the text itself, at a line, and say so.
    note = _templates()["md_phrase"].module.hard_cut(max_chars)  # type: ignore[attr-defined]
    keep = max_chars - len(note) - 2
    head = text[:keep].rsplit("\n", 1)[0]
    return f"{_close_open_fences(head)}\n\n{note}"


def _diffs_alone_exceed(
    findings: Sequence[Finding], listed: Sequence[FindingState], detail: _Detail, max_chars: int
) -> bool:
    """A cheap lower bound of the diff blocks' size at this level (values measured unquoted)."""
    if not detail.diffs:
        return False
    total = 0
    cap = detail.value_chars
    for finding in findings:
        if finding.state not in listed or not finding.diffs:
            continue
        diffs = finding.diffs if detail.diff_lines is None else finding.diffs[: detail.diff_lines]
        for diff in diffs:
            old = 0 if diff.kind == "add" else min(len(str(diff.old)), cap)
            new = 0 if diff.kind == "delete" else min(len(str(diff.new)), cap)
            total += len(diff.path) + old + new
        if total > max_chars:
            return True
    return False


def _close_open_fences(text: str) -> str:
    """A cut inside a fenced block or `<details>` would swallow the note: close them."""
    fence_open: str | None = None
    for line in text.split("\n"):
        stripped = line.strip()
        if fence_open is None and stripped.startswith("```"):
            fence_open = stripped[: len(stripped) - len(stripped.lstrip("`"))]
        elif fence_open is not None and stripped == fence_open:
            fence_open = None
    if fence_open is not None:
        text += f"\n{fence_open}"
    unclosed = text.count("<details>") - text.count("</details>")
    return text + "\n</details>" * max(0, unclosed)


@dataclass(frozen=True)
class _MdFinding:
    finding: Finding
    diff_block: Markup | None
    diff_count: int
    message_block: Markup | None


@dataclass(frozen=True)
class _MdGroup:
    state: str
    total: int
    items: list[_MdFinding]
    not_listed: int


@dataclass(frozen=True)
class _MdEnvironment:
    name: str
    stacks: list[StackDrift]
    rows_not_listed: int
    failed: list[tuple[StackDrift, Markup]]
    failed_not_listed: int
    groups: list[_MdGroup]
    counted_only: dict[str, int]  # states counted but not listed (changes-only mode)
    scan: UnmanagedScan | None
    unmanaged_found: int
    ignored: int


def _render_markdown(report: DriftReport, *, changes_only: bool, detail: _Detail, max_chars: int) -> str:
    listed_states = CHANGE_STATES if changes_only else STATE_ORDER
    envs = [_md_environment(report, env, listed_states, detail) for env in environments_of(report)]
    not_listed = sum(g.not_listed for e in envs for g in e.groups)
    failed_cut = sum(e.failed_not_listed for e in envs)
    rows_cut = sum(e.rows_not_listed for e in envs)
    counts = _counts(report.findings)
    text = _templates()["md"].render(
        report=report,
        changes_only=changes_only,
        counts=counts,
        environments=envs,
        stacks_total=len(report.stacks),
        stacks_failed=sum(s.status == "error" for s in report.stacks),
        stacks_drifted=sum(s.status == "drifted" for s in report.stacks),
        generated_at=report.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        cut={
            "any": detail.level > 0,
            "max_chars": max_chars,
            "long_values": detail.level >= 1 and detail.diffs,
            "diff_blocks": not detail.diffs,
            "findings": not_listed,
            "stack_rows": rows_cut,
            "errors": failed_cut,
        },
        files=REPORT_FILES,
    )
    return text.rstrip("\n") + "\n"


def _md_environment(
    report: DriftReport, env: str, listed_states: Sequence[FindingState], detail: _Detail
) -> _MdEnvironment:
    stacks = sorted((s for s in report.stacks if s.environment == env), key=lambda s: s.stack)
    shown_stacks = stacks if detail.clean_rows else [s for s in stacks if s.status != "clean"]
    if detail.table_rows is not None:
        shown_stacks = shown_stacks[: detail.table_rows]
    findings = sorted_findings([f for f in report.findings if f.environment == env])
    groups: list[_MdGroup] = []
    for state in listed_states:
        in_state = [f for f in findings if f.state == state]
        if not in_state:
            continue
        shown = in_state if detail.list_cap is None else in_state[: detail.list_cap]
        groups.append(
            _MdGroup(
                state=state,
                total=len(in_state),
                items=[_md_finding(f, detail) for f in shown],
                not_listed=len(in_state) - len(shown),
            )
        )
    counted_only = {state: n for state, n in _counts(findings).items() if state not in listed_states and n}
    scan = next((s for s in report.scans if s.environment == env), None)
    failed = [s for s in stacks if s.status == "error"]
    failed_shown = failed if detail.list_cap is None else failed[: detail.list_cap]
    return _MdEnvironment(
        name=env,
        stacks=shown_stacks,
        rows_not_listed=len(stacks) - len(shown_stacks),
        failed=[(s, _block(s.error or "", detail.message_chars)) for s in failed_shown],
        failed_not_listed=len(failed) - len(failed_shown),
        groups=groups,
        counted_only=counted_only,
        scan=scan,
        unmanaged_found=sum(f.kind == "unmanaged" and f.state in ("new", "ongoing") for f in findings),
        ignored=sum(s.ignored for s in stacks),
    )


def _md_finding(finding: Finding, detail: _Detail) -> _MdFinding:
    diff_block: Markup | None = None
    if detail.diffs and finding.diffs:
        lines = diff_lines(finding.diffs, value_chars=detail.value_chars)
        shown = lines if detail.diff_lines is None else lines[: detail.diff_lines]
        text = "\n".join(_diff_text(line) for line in shown)
        if len(shown) < len(lines):
            text += f"\n... ({len(lines) - len(shown)} more properties)"
        diff_block = _block(text, None)
    message_block = _block(finding.message, detail.message_chars) if finding.message else None
    return _MdFinding(
        finding=finding,
        diff_block=diff_block,
        diff_count=len(finding.diffs),
        message_block=message_block,
    )


def _diff_text(line: _DiffLine) -> str:
    # Pulumi's notation (`old => new`), as in the PR comment; recorded → live.
    if line.kind == "add":
        return f"+ {line.path}: {line.new}"
    if line.kind == "delete":
        return f"- {line.path}: {line.old}"
    return f"~ {line.path}: {line.old} => {line.new}"


def _block(text: str, limit: int | None) -> Markup:
    """A fenced code block of redacted text (redacted before any cut)."""
    redacted = _REDACTOR.get().text(text.rstrip())
    if limit is not None and len(redacted) > limit:
        redacted = f"{redacted[:limit]}\n...(+{len(redacted) - limit} chars)"
    return Markup(mdtext.code_block(redacted))


# --------------------------------------------------------------------------- HTML


@dataclass(frozen=True)
class _HtmlFinding:
    finding: Finding
    diffs: list[_DiffLine]
    acknowledged_until: str | None
    first_seen: str | None


@dataclass(frozen=True)
class _HtmlEnvironment:
    name: str
    anchor: str
    stacks: list[StackDrift]
    stack_findings: list[_HtmlFinding]
    unmanaged: list[_HtmlFinding]
    counts: dict[str, int]
    scan: UnmanagedScan | None
    ignored: int


def _html_context(report: DriftReport) -> dict[str, Any]:
    envs = [_html_environment(report, env, index) for index, env in enumerate(environments_of(report))]
    return {
        "report": report,
        "generated_at": report.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "counts": _counts(report.findings),
        "environments": envs,
        "stacks_total": len(report.stacks),
        "stacks_failed": sum(s.status == "error" for s in report.stacks),
        "stacks_drifted": sum(s.status == "drifted" for s in report.stacks),
        "unmanaged_active": sum(f.kind == "unmanaged" and f.state in ("new", "ongoing") for f in report.findings),
        "states": STATE_ORDER,
        "duration": format_duration,
    }


def _html_environment(report: DriftReport, env: str, index: int) -> _HtmlEnvironment:
    findings = sorted_findings([f for f in report.findings if f.environment == env])
    views = [_html_finding(f) for f in findings]
    stacks = sorted((s for s in report.stacks if s.environment == env), key=lambda s: s.stack)
    return _HtmlEnvironment(
        name=env,
        anchor=f"env-{index}",  # names are untrusted: the anchor is an index
        stacks=stacks,
        stack_findings=[v for v in views if v.finding.kind != "unmanaged"],
        unmanaged=[v for v in views if v.finding.kind == "unmanaged"],
        counts=_counts(findings),
        scan=next((s for s in report.scans if s.environment == env), None),
        ignored=sum(s.ignored for s in stacks),
    )


def _html_finding(finding: Finding) -> _HtmlFinding:
    until = finding.acknowledged_until
    return _HtmlFinding(
        finding=finding,
        diffs=diff_lines(finding.diffs),
        acknowledged_until=None if until is None else until.date().isoformat(),
        first_seen=None if finding.first_seen is None else finding.first_seen.strftime("%Y-%m-%d %H:%M"),
    )


# --------------------------------------------------------------------------- templates

_REDACTOR: contextvars.ContextVar[Redactor] = contextvars.ContextVar("drift_report_redactor")
TEMPLATE_DIR = Path(__file__).parent / "templates"


@functools.cache
def _templates() -> dict[str, jinja2.Template]:
    """Compiled once per process. Jinja2 is imported here so the CLI starts fast."""
    import jinja2

    common: dict[str, Any] = {
        "loader": jinja2.FileSystemLoader(TEMPLATE_DIR),
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
    }
    markdown = jinja2.Environment(autoescape=False, finalize=_finalize_markdown, **common)
    markdown.filters.update(h=_filter_html, code=_filter_code, number=_filter_number)
    html = jinja2.Environment(autoescape=True, finalize=_finalize_html, **common)
    html.filters.update(number=_filter_number)
    return {
        "md": markdown.get_template("drift_report.md.j2"),
        "md_phrase": markdown.get_template("drift_phrase.md.j2"),
        "html": html.get_template("drift_report.html.j2"),
    }


def _finalize_markdown(value: Any) -> Any:
    """Every `{{ }}` in the Markdown templates: redacted and escaped unless a filter made it safe."""
    return mdtext.template_value(value, _REDACTOR.get().text)


def _finalize_html(value: Any) -> Any:
    """Every `{{ }}` in the HTML template: redacted; Jinja2's autoescape then escapes it."""
    if isinstance(value, Markup) or value is None or isinstance(value, (int, float)):
        return "" if value is None else value
    return _REDACTOR.get().text(str(value))


def _filter_html(value: Any) -> Markup:
    return Markup(mdtext.in_html(_REDACTOR.get().text(str(value))))


def _filter_code(value: Any) -> Markup:
    return Markup(mdtext.code_span(_REDACTOR.get().text(str(value))))


def _filter_number(value: int) -> str:
    return f"{value:,}"
