"""GitHub Actions niceties: annotations, the job summary and step outputs for one flow run.

`report_to_actions` is called by the preview, deploy and drift commands after a run. Outside
GitHub Actions (no `GITHUB_ACTIONS=true`) it does nothing.

What it writes:
- one annotation per failed stack (`::error title=<stack id>::...`) and per locked stack
  (`::warning`); for drift, a warning per drifted stack and per stack behind its branch (Git
  drift), and an error per stack whose check failed.
  GitHub shows at most 10 annotations of each level per step, so beyond 9 the 10th says how
  many more there are and where to read them.
- the full Markdown report, appended to `GITHUB_STEP_SUMMARY`.
- outputs in `GITHUB_OUTPUT`:
    `has_changes`    `true` when any stack has resource changes (creates, updates, replaces,
                     deletes; for drift, drifted resources), else `false`
    `failed_stacks`  a JSON list of stack ids (`["app/dev","data/prod"]`), `[]` when none:
                     one line, usable as `fromJSON(steps.<id>.outputs.failed_stacks)`
    `locked_stacks`  the same for stacks that were locked by another run
    `drift`          `true` when drift was found (the drift report's active findings or stacks
                     behind their branch, as exit code 2; for a drift run without a report,
                     drifted resources in the results), else `false`
    `stacks_behind`  a JSON list of the stacks behind their branch (Git drift), `[]` when none
    `summary`        a few lines for people: one per failed or locked stack, or "all N stacks
                     succeeded"; multi-line, so written in the `name<<DELIMITER` form
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal, TextIO

from orchestrator.ci.command_guard import write_commands
from orchestrator.ci.github_actions import AnnotationLevel, annotation, write_outputs, write_step_summary

if TYPE_CHECKING:
    from orchestrator.drift.model import DriftReport
    from orchestrator.engines.base import StackResult
    from orchestrator.models import GitDrift

FlowKind = Literal["preview", "deploy", "drift", "promote", "rollback", "remediate", "reconcile", "review"]
MAX_ANNOTATIONS_PER_LEVEL = 10  # what GitHub shows per step for each of error and warning
MAX_MESSAGE_CHARS = 1000
_VERBS: dict[str, str] = {
    "preview": "preview",
    "deploy": "update",
    "drift": "drift check",
    "promote": "update",
    "rollback": "rollback",
    "review": "review stack",
}


def report_to_actions(
    kind: FlowKind,
    results: Mapping[str, StackResult] | Iterable[StackResult],
    *,
    markdown: str | None,
    drift: DriftReport | None = None,
    env: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> None:
    """Annotations, job summary and outputs for a run; nothing outside GitHub Actions.

    `results` maps stack ids to results (or is a sequence, the ids taken from each result);
    `markdown` is the full report for the job summary, None when the flow wrote it already.
    """
    environ = os.environ if env is None else env
    if environ.get("GITHUB_ACTIONS") != "true":
        return
    by_id = dict(results) if isinstance(results, Mapping) else {r.stack: r for r in results}
    out = sys.stdout if stream is None else stream
    write_commands(out, annotation_lines(kind, by_id, drift))
    if markdown:
        write_step_summary(markdown, environ)
    write_outputs(output_values(kind, by_id, drift), environ)


def annotation_lines(kind: FlowKind, results: Mapping[str, StackResult], drift: DriftReport | None = None) -> list[str]:
    """The workflow-command lines, errors first, capped per level as GitHub displays them."""
    errors: list[tuple[str, str]] = []  # (title, message)
    warnings: list[tuple[str, str]] = []
    verb = _VERBS[kind]
    for stack_id, result in sorted(results.items()):
        if result.status == "failed":
            errors.append((stack_id, f"{verb} failed: {_first_lines(result.error) or 'no error text'}"))
        elif result.status == "locked":
            warnings.append((stack_id, f"locked: {_first_lines(result.error) or 'another run holds the lock'}"))
    if drift is not None:
        errors.extend(
            (s.stack, f"drift check failed: {_first_lines(s.error) or 'no error text'}")
            for s in drift.stacks
            if s.status == "error" and s.stack not in results
        )
        warnings.extend(
            (s.stack, f"{s.findings} drifted resource{'s' if s.findings != 1 else ''}: see the drift report")
            for s in sorted(drift.stacks, key=lambda s: s.stack)
            if s.status == "drifted"
        )
        warnings.extend((d.stack, _behind(d)) for d in sorted(drift.git_drift, key=lambda d: d.stack))
    return [*_capped("error", errors), *_capped("warning", warnings)]


def output_values(
    kind: FlowKind, results: Mapping[str, StackResult], drift: DriftReport | None = None
) -> dict[str, str]:
    failed = sorted(stack_id for stack_id, r in results.items() if r.status == "failed")
    locked = sorted(stack_id for stack_id, r in results.items() if r.status == "locked")
    changed = any(
        r.counts.changed > 0 or any(c.op not in ("same", "read") for c in r.changes) for r in results.values()
    )
    behind = sorted(d.stack for d in drift.git_drift) if drift is not None else []
    if drift is not None:
        # `drift` is either kind, as the exit code 2 is; `stacks_behind` names the Git drift.
        drift_found = drift.has_drift or bool(behind)
        changed = changed or drift_found
    else:
        drift_found = kind == "drift" and changed
    return {
        "has_changes": _bool(changed),
        "failed_stacks": json.dumps(failed, separators=(",", ":")),
        "locked_stacks": json.dumps(locked, separators=(",", ":")),
        "drift": _bool(drift_found),
        "stacks_behind": json.dumps(behind, separators=(",", ":")),
        "summary": _summary(kind, results, failed, locked),
    }


def _summary(kind: FlowKind, results: Mapping[str, StackResult], failed: list[str], locked: list[str]) -> str:
    if not failed and not locked:
        return f"all {len(results)} stack(s): {_VERBS[kind]} succeeded or skipped"
    lines = [f"{stack_id}: failed" for stack_id in failed]
    lines += [f"{stack_id}: locked" for stack_id in locked]
    return "\n".join(lines)


def _behind(drift: GitDrift) -> str:
    """A stack whose applied commit is behind its branch (Git drift), as one warning."""
    if drift.commits_behind is None:
        where = f"not at {drift.branch or 'its branch'}'s tip ({drift.standing})"
    else:
        where = f"behind {drift.branch or 'its branch'} by {drift.commits_behind} commit(s)"
    return f"{where}: `orchestrator reconcile --env {drift.environment}` would {drift.operation} it"


def _capped(level: AnnotationLevel, items: list[tuple[str, str]]) -> list[str]:
    from orchestrator.redact import Redactor

    # Engines redact secrets they know; credential-looking text in an error still must not
    # reach the workflow log.
    redact = Redactor().text
    items = [(title, redact(message)) for title, message in items]
    if len(items) <= MAX_ANNOTATIONS_PER_LEVEL:
        return [annotation(level, message, title) for title, message in items]
    shown = items[: MAX_ANNOTATIONS_PER_LEVEL - 1]
    rest = items[MAX_ANNOTATIONS_PER_LEVEL - 1 :]
    lines = [annotation(level, message, title) for title, message in shown]
    names = ", ".join(title for title, _ in rest)
    lines.append(
        annotation(level, f"{len(rest)} more stacks: {_truncate(names)}; the job summary has them all", "more stacks")
    )
    return lines


def _first_lines(text: str | None, lines: int = 5) -> str:
    if not text:
        return ""
    return _truncate("\n".join(text.strip().splitlines()[:lines]))


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def _bool(value: bool) -> str:
    return "true" if value else "false"
