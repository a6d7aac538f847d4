"""The drift report as Markdown (tracking issues, step summaries), within a size budget.

It speaks of what changed since the last run (new and resolved findings) unless asked for
everything; it fits in `MAX_MARKDOWN_CHARS` by dropping detail level by level and says
what it cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from markupsafe import Markup

from orchestrator.drift.findings import in_report_order
from orchestrator.drift.model import DriftReport, Finding, FindingState, StackDrift, UnmanagedScan
from orchestrator.models import GitDrift
from orchestrator.redact import Redactor
from orchestrator.report import mdtext
from orchestrator.report.drift.templates import drift_templates
from orchestrator.report.drift.views import (
    CHANGE_STATES,
    MAX_VALUE_CHARS,
    REDACTOR,
    REPORT_FILES,
    STATE_ORDER,
    DiffLine,
    behind_in,
    diff_lines,
    environments_of,
    sorted_findings,
    state_counts,
)

MAX_MARKDOWN_CHARS = 65_000  # GitHub's issue/comment body limit is 65,536; keep a margin
CAPPED_VALUE_CHARS = 200  # ... when the Markdown is over budget
CAPPED_DIFF_LINES = 20  # property diffs per finding when over budget
CAPPED_MESSAGE_CHARS = 2000  # an error text when over budget
MAX_TABLE_ROWS_WHEN_CUT = 100  # stacks table rows per environment at the last budget level
# Findings listed per state group and environment at each budget level (None: all).
_LIST_CAPS: tuple[int | None, ...] = (None, None, None, 200, 50, 10, 0)


def render_markdown(
    report: DriftReport,
    *,
    only_changes: bool | None = None,
    redactor: Redactor | None = None,
    max_chars: int = MAX_MARKDOWN_CHARS,
) -> str:
    """The report as Markdown within `max_chars`. `only_changes` None: the report's own setting."""
    changes_only = report.only_changes if only_changes is None else only_changes
    token = REDACTOR.set(redactor or Redactor())
    try:
        return _fit_markdown(report, changes_only=changes_only, max_chars=max_chars)
    finally:
        REDACTOR.reset(token)


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
        git_drift=tuple(d for d in report.git_drift if d.environment == env),
    )
    body = render_markdown(mine, only_changes=False, max_chars=ISSUE_BODY_CHARS)
    keys = sorted(f.key for f in active if f.state in ("new", "ongoing"))
    if keys:
        # Keys hold resource names and ids from the cloud: redacted like the rest of the body.
        listed = Redactor().text("\n".join(keys[:ISSUE_KEYS_LISTED]))
        more = f"\n({len(keys) - ISSUE_KEYS_LISTED} more in the JSON report)" if len(keys) > ISSUE_KEYS_LISTED else ""
        body += (
            "\n<details><summary>Finding keys, for <code>orchestrator drift ack KEY --reason ...</code></summary>"
            f"\n\n{mdtext.code_block(listed + more)}\n\n</details>\n"
        )
    return body


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
    note = drift_templates()["md_phrase"].module.hard_cut(max_chars)  # type: ignore[attr-defined]
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
    behind: list[GitDrift]


def _render_markdown(report: DriftReport, *, changes_only: bool, detail: _Detail, max_chars: int) -> str:
    listed_states = CHANGE_STATES if changes_only else STATE_ORDER
    envs = [_md_environment(report, env, listed_states, detail) for env in environments_of(report)]
    not_listed = sum(g.not_listed for e in envs for g in e.groups)
    failed_cut = sum(e.failed_not_listed for e in envs)
    rows_cut = sum(e.rows_not_listed for e in envs)
    counts = state_counts(report.findings)
    text = drift_templates()["md"].render(
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
    counted_only = {state: n for state, n in state_counts(findings).items() if state not in listed_states and n}
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
        behind=behind_in(report, env),
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


def _diff_text(line: DiffLine) -> str:
    # Pulumi's notation (`old => new`), as in the PR comment; recorded → live.
    if line.kind == "add":
        return f"+ {line.path}: {line.new}"
    if line.kind == "delete":
        return f"- {line.path}: {line.old}"
    return f"~ {line.path}: {line.old} => {line.new}"


def _block(text: str, limit: int | None) -> Markup:
    """A fenced code block of redacted text (redacted before any cut)."""
    redacted = REDACTOR.get().text(text.rstrip())
    if limit is not None and len(redacted) > limit:
        redacted = f"{redacted[:limit]}\n...(+{len(redacted) - limit} chars)"
    return Markup(mdtext.code_block(redacted))
