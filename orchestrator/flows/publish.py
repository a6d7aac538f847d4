"""Reporting a flow's result: the full report on disk (or the job summary), the PR comment,
and one commit status per stack plus an aggregate. A VCS failure never loses the report."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.engines.base import StackResult, format_counts, result_from_json
from orchestrator.errors import UserError
from orchestrator.flows.gates import is_waiting
from orchestrator.fsutil import atomic_write
from orchestrator.models import Plan
from orchestrator.report.comment import RenderedComment
from orchestrator.report.retention import is_our_reports_directory, prune_runs
from orchestrator.report.review import kept_section, splice
from orchestrator.store.api import new_run_id
from orchestrator.vcs.base import LooseComments, StatusState, VcsClient, VcsError, truncate

_STATUS_LIMIT = 140
_RUN_SUFFIX = re.compile(r"-\d{8}-\d{6}-[0-9a-z-]+\.md$")
NOT_PUBLISHED = "comment and statuses not published: no --vcs (github, gitlab or files) given"


def report_file(
    root: Path, flow: str, pr: int | None, head: str, summary_path: Path | None, run_id: str | None = None
) -> Path:
    """Where the full report goes: the job summary in GitHub Actions, else a file under .orchestrator/
    named after the run (`deploy-pr7-<run id>.md`), so two runs never overwrite each other;
    `write_report` keeps a copy without the run id (`deploy-pr7.md`) as the latest."""
    if summary_path is not None:
        return summary_path
    stem = f"{flow}-pr{pr}" if pr is not None else f"{flow}-{head[:12]}"
    # A flow the run store does not record (a preview) gets an id in the store's format.
    return root / ".orchestrator" / "reports" / f"{stem}-{run_id or new_run_id(datetime.now(UTC))}.md"


def latest_report(path: Path) -> Path:
    """`deploy-pr7-20261130-150528-24ae221e.md` → `deploy-pr7.md`: the latest run's copy."""
    return path.with_name(_RUN_SUFFIX.sub(".md", path.name))


def write_report(path: Path, markdown: str, *, append: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if append:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
        return
    atomic_write(path, markdown)
    latest = latest_report(path)
    if latest != path:
        atomic_write(latest, markdown)
    if is_our_reports_directory(path.parent):
        prune_runs(path.parent)


def status_of(result: StackResult) -> tuple[StatusState, str]:
    if result.status == "succeeded":
        return "success", format_counts(result.counts)
    if is_waiting(result):
        return "pending", result.error or "waiting"
    if result.status == "skipped":
        return "error", result.error or "skipped"
    blocking = list(dict.fromkeys(f"{v.policy} ({v.policy_pack})" for v in result.policy_violations
                                  if v.enforcement == "mandatory"))
    if blocking:
        return "failure", f"mandatory polic{'ies' if len(blocking) > 1 else 'y'} violated: {', '.join(blocking)}"
    return "failure", f"{result.status}: {error_headline(result.error)}"


def error_headline(error: str | None) -> str:
    """The line of an error worth a status description: a traceback's first line says nothing,
    its last one (the exception) says what went wrong."""
    lines = [line.strip() for line in (error or "").strip().splitlines() if line.strip()]
    if not lines:
        return "no details"
    return lines[-1] if lines[0].startswith("Traceback (most recent call last)") else lines[0]


@dataclass(frozen=True)
class Publication:
    """What publishing a flow's report did: where the comment went, and what it did not do."""

    published: bool
    error: str | None = None
    comment_at: str | None = None  # the comment's URL, or its file with --vcs files
    skipped: tuple[str, ...] = ()  # one line per thing not published, saying why


def publish(
    vcs: VcsClient | None,
    pr: int | None,
    comment: RenderedComment,
    results: Mapping[str, StackResult],
    plan: Plan,
    status_prefix: str,
    report: Path,
    *,
    untrusted: bool = False,
    append_report: bool = False,
    raise_refusal: bool = False,
    keep_review: bool = False,
) -> Publication:
    """Write the report, then upsert the comment and statuses, saying where the comment went
    and what was not published. With `raise_refusal`, a 401/403 is raised for the caller to judge.
    `keep_review`: the comment's review environment section (flows/review.py) stays as it is."""
    write_report(report, comment.full_markdown, append=append_report)
    if vcs is None:
        return Publication(False, skipped=(NOT_PUBLISHED,))
    skipped: list[str] = []
    comment_at = None
    try:
        if pr is not None:
            kept = kept_section(vcs.comment_body(pr, comment.marker)) if keep_review else None
            body = comment.markdown if kept is None else splice(comment.markdown, kept)
            comment_at = vcs.upsert_comment(pr, comment.marker, body).url
        elif isinstance(vcs, LooseComments):
            comment_at = vcs.write_comment(comment.marker, comment.markdown).url
        else:
            skipped.append("comment not posted: no pull request number (pass --pr N)")
        _set_statuses(vcs, results, plan, status_prefix)
        state, description = _aggregate(results, untrusted=untrusted)
        vcs.set_status(plan.head, status_prefix, state, truncate(description, _STATUS_LIMIT))
    except VcsError as exc:
        if raise_refusal and exc.status in (401, 403):
            raise
        return Publication(False, f"{exc.message}; the full report is in {report}", comment_at, tuple(skipped))
    return Publication(True, None, comment_at, tuple(skipped))


def publish_untrusted(
    vcs: VcsClient | None,
    pr: int | None,
    comment: RenderedComment,
    plan: Plan,
    status_prefix: str,
    report: Path,
    *,
    read_only: bool,
    location: str,
    append_report: bool = False,
    keep_review: bool = False,
) -> tuple[bool, str | None, str | None]:
    """The "not previewed" report of an untrusted pull request: (published, error, notice).

    A run whose token may not write (a fork's pull request, Dependabot's: GitHub gives those a
    read-only token) cannot comment, and that is no failure: the report goes to the job summary
    and the run ends with a notice. `read_only` says so in advance; a 401/403 says so after.
    """
    if read_only:
        write_report(report, comment.full_markdown, append=append_report)
        return False, None, f"not previewed; the report is in {location}: the token of this run may not comment"
    try:
        done = publish(
            vcs, pr, comment, {}, plan, status_prefix, report, untrusted=True, append_report=append_report,
            raise_refusal=True, keep_review=keep_review,
        )
    except VcsError as exc:
        refused = f"the host refused to publish it ({exc.message})"
        return False, None, f"not previewed; the report is in {location}: {refused}"
    return done.published, done.error, None


def publish_statuses(
    vcs: VcsClient | None, results: Mapping[str, StackResult], plan: Plan, status_prefix: str
) -> tuple[bool, str | None]:
    """Only the per-stack statuses (a matrix job; the report job posts the comment)."""
    if vcs is None:
        return False, None
    try:
        _set_statuses(vcs, results, plan, status_prefix)
    except VcsError as exc:
        return False, exc.message
    return True, None


def _set_statuses(vcs: VcsClient, results: Mapping[str, StackResult], plan: Plan, status_prefix: str) -> None:
    for stack_id, result in results.items():
        state, description = status_of(result)
        vcs.set_status(plan.head, f"{status_prefix}: {stack_id}", state, truncate(description, _STATUS_LIMIT))


def write_results(path: Path, results: Mapping[str, StackResult]) -> None:
    """Results of a run as JSON, for the report job of a CI matrix to merge."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([r.to_json() for r in results.values()], indent=1), encoding="utf-8")


def load_results(directory: Path, plan: Plan) -> dict[str, StackResult]:
    """The results the matrix jobs wrote (`*.json` under `directory`), for the stacks of `plan`.

    A planned stack without a result file is reported as failed: its job did not finish.
    """
    if not directory.is_dir():
        raise UserError(
            f"{directory}: no such directory of matrix results",
            hint="download the matrix jobs' artifacts there first (actions/download-artifact)",
        )
    found: dict[str, StackResult] = {}
    for file in sorted(directory.rglob("*.json")):
        try:
            entries = json.loads(file.read_text(encoding="utf-8"))
            for entry in entries if isinstance(entries, list) else entries.get("results", []):
                result = result_from_json(entry)
                found[result.stack] = result
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UserError(f"{file}: not a results file of `orchestrator preview --results-out` ({exc})") from None
    missing = "no result: the matrix job did not finish"
    return {
        s.id: found.get(s.id) or StackResult(stack=s.id, operation="preview", status="failed", error=missing)
        for s in plan.stacks
    }


def _aggregate(results: Mapping[str, StackResult], *, untrusted: bool) -> tuple[StatusState, str]:
    if untrusted:
        return "pending", "not previewed: waiting for a maintainer's /orchestrator preview"
    failed = [sid for sid, r in results.items() if r.status != "succeeded" and not is_waiting(r)]
    if failed:
        return "failure", f"{len(failed)} of {len(results)} stacks did not succeed: {', '.join(failed)}"
    waiting = [sid for sid, r in results.items() if is_waiting(r)]
    if waiting:
        return "pending", f"{len(waiting)} of {len(results)} stacks wait for a gate: {', '.join(waiting)}"
    changed = sum(1 for r in results.values() if r.counts.changed)
    return "success", f"{len(results)} stacks, {changed} with changes"
