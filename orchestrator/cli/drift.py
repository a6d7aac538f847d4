"""`orchestrator drift` (the scheduled check) and `orchestrator drift ack` (accept a finding)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchestrator.cli.options import (
    CONCURRENCY,
    actor_name,
    json_option,
    open_context,
    progress_printer,
    repo_option,
    vcs_option,
    vcs_out_option,
)
from orchestrator.cli.terminal import echo

if TYPE_CHECKING:
    from orchestrator.flows.drift import DriftOutcome


@click.group(invoke_without_command=True)
@repo_option()
@click.option("--env", "environments", multiple=True, help="Only this environment (repeatable; default all).")
@click.option("--project", "projects", multiple=True, help="Only this project (repeatable; default all).")
@click.option("--due", is_flag=True, help="Only environments whose drift.schedule fell due since their last check.")
@click.option("--format", "formats", default="md,json,html", show_default=True, help="Report formats, comma-separated.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the reports (default .orchestrator/reports/drift).")
@click.option("--remediate", is_flag=True, help="Update drifted stacks back to their code (never protected ones).")
@click.option("--all", "everything", is_flag=True, help="Reports list every finding, not only what changed.")
@vcs_option("Where tracking issues go.")
@vcs_out_option("--out-vcs", "out_vcs")
@click.option("--concurrency", type=CONCURRENCY, help="Stacks checked at once.")
@click.option("--actor", help="Who ran this (default: CI user or login name).")
@json_option("Print the outcome as JSON; no progress output.")
@click.pass_context
def drift(
    ctx: click.Context,
    repo: Path,
    environments: tuple[str, ...],
    projects: tuple[str, ...],
    due: bool,
    formats: str,
    out_dir: Path | None,
    remediate: bool,
    everything: bool,
    vcs: str | None,
    out_vcs: Path | None,
    concurrency: int | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Check stacks against the live cloud: exit 0 no drift, 2 drift found, 1 a check failed.

    `orchestrator drift ack KEY --reason TEXT` acknowledges a finding.
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"repo": repo}
        return
    from orchestrator.flows.drift import DriftRequest, run_drift

    config, store, client = open_context(repo, vcs, out_vcs)
    request = DriftRequest(
        repo=repo,
        environments=environments,
        projects=projects,
        due=due,
        formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
        out_dir=out_dir,
        remediate=remediate,
        everything=everything,
        actor=actor_name(actor),
        concurrency=concurrency,
    )
    outcome = run_drift(request, store, client, config=config, on_event=None if as_json else progress_printer())
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2, default=str))
    else:
        _print(outcome)
    sys.exit(outcome.exit_code)


@drift.command("ack")
@click.argument("finding")
@click.option("--reason", required=True, help="Why this drift is accepted (kept with it and in the audit log).")
@click.option("--until", "until", help="Date (YYYY-MM-DD, through that day, UTC) or ISO time the acknowledgement ends.")
@click.option("--actor", help="Who acknowledges (default: CI user or login name).")
@repo_option()
@click.pass_context
def ack(ctx: click.Context, finding: str, reason: str, until: str | None, actor: str | None, repo: Path) -> None:
    """Acknowledge FINDING (its key, or a unique URN, ARN or name): not reported as new while it lasts."""
    from datetime import UTC

    from orchestrator.flows.by_hand import AckRequest, acknowledge_finding

    if repo == Path(".") and ctx.obj and ctx.obj.get("repo"):
        repo = ctx.obj["repo"]
    now = datetime.now(UTC)
    ends = parse_until(until, now) if until else None
    _config, store, _client = open_context(repo, None, None)
    request = AckRequest(finding=finding, reason=reason, actor=actor_name(actor), at=now, until=ends)
    target = acknowledge_finding(store, request)
    echo(f"acknowledged {target.key}" + ("" if ends is None else f" until {ends.isoformat()}"))


def parse_until(text: str, now: datetime) -> datetime:
    """`YYYY-MM-DD` covers that whole day (UTC); an ISO time without zone is UTC. Must be in the future."""
    from datetime import UTC, date, timedelta

    from orchestrator.errors import UserError

    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            ends = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        else:
            ends = datetime.fromisoformat(text)
            ends = ends if ends.tzinfo else ends.replace(tzinfo=UTC)
    except ValueError:
        raise UserError(
            f"--until {text!r} is not a date", "use YYYY-MM-DD or an ISO time (2025-06-30T18:00Z)"
        ) from None
    if ends <= now:
        raise UserError(f"--until {text!r} is in the past", "give a later date, or leave --until out")
    return ends.astimezone(UTC)


def _print(outcome: DriftOutcome) -> None:
    report = outcome.report
    summary = report.to_json()["summary"]
    if outcome.run_id is None:
        for env, when in sorted(outcome.not_due.items()):
            echo(f"{env}: not due (next check {when})")
        for note in outcome.notes:
            echo(note)
        return
    for stack in report.stacks:
        echo(f"{stack.stack}: {stack.status}, {stack.findings} active finding(s), "
                   f"{stack.resources_checked} resource(s) checked" + (f", {stack.ignored} ignored" if stack.ignored
                                                                      else ""))
    for behind in report.git_drift:
        between = "off the branch" if behind.commits_behind is None else f"{behind.commits_behind} commit(s) behind"
        echo(f"{behind.stack}: behind {behind.branch} (Git drift): runs {(behind.applied or '')[:12]}"
                   f"{' (rolled back)' if behind.rolled_back else ''}, {behind.branch} is at {behind.head[:12]}, "
                   f"{between}")
    for scan in report.scans:
        state = (f"failed: {scan.error}" if scan.error
                 else f"{scan.scanned} resource(s) listed, {scan.excluded} excluded")
        echo(f"unmanaged scan of {scan.environment} ({scan.region}): {state}")
    for f in report.findings:
        if f.state in ("new", "resolved") or not report.only_changes:
            echo(f"  {f.state:12} {f.kind:9} {f.stack or f.environment} {f.type} {f.name}")
            echo(f"  {'':12} key: {f.key}")
    echo(
        f"drift: {summary['new']} new, {summary['ongoing']} ongoing, {summary['resolved']} resolved, "
        f"{summary['acknowledged']} acknowledged; {report.ignored} ignored"
    )
    for env, when in sorted(outcome.not_due.items()):
        echo(f"{env}: not due (next check {when})")
    for issue in outcome.issues:
        if issue.action != "none" or issue.error:
            echo(f"tracking issue of {issue.environment}: {issue.action} #{issue.number}"
                       + (f" ({issue.error})" if issue.error else ""))
    for sent in outcome.notifications:
        why = sent.error or sent.skipped or ""
        echo(f"webhook of {sent.environment}: {'sent' if sent.sent else 'not sent: ' + why}")
    for fix in outcome.remediations:
        echo(f"remediation of {fix.environment} ({', '.join(fix.stacks)}): {fix.status}"
                   + (f": {fix.reason}" if fix.reason else ""))
    for note in outcome.notes:
        echo(f"note: {note}")
    if outcome.report_paths:
        echo("reports: " + ", ".join(str(p) for p in outcome.report_paths))
    for failure in outcome.failures:
        echo(f"error: {failure}", err=True)
