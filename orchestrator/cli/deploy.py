"""`orchestrator deploy`, `promote` and `rollback`: the merge flow and its manual entry points."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchestrator.cli.options import (
    CONCURRENCY,
    LEASE_SECONDS,
    PR_NUMBER,
    SECONDS_WAITED,
    actor_name,
    apply,
    json_option,
    open_context,
    progress_printer,
    read_ci_event,
    repo_option,
    vcs_option,
    vcs_out_option,
)

if TYPE_CHECKING:
    from orchestrator.ci.events import PushEvent
    from orchestrator.flows.deploy import DeployOutcome

# The options deploy, promote and rollback share, after their own.
_run_options = apply(
    vcs_option(),
    vcs_out_option(),
    click.option("--concurrency", type=CONCURRENCY, help="Stacks run at once within a wave."),
    click.option(
        "--lock-wait", type=SECONDS_WAITED, default=300.0, show_default=True, help="Seconds to wait for a held lock."
    ),
    click.option(
        "--lock-ttl", type=LEASE_SECONDS, default=600.0, show_default=True, help="Lease length, renewed while running."
    ),
    click.option("--actor", help="Who triggered this (default: CI user or login name)."),
    json_option("Print the outcome as JSON; no progress output."),
)


@click.command()
@repo_option()
@click.option("--ci", type=click.Choice(["github", "gitlab"]), help="Read the push from the CI event.")
@click.option("--before", help="The commit before the push (default: the first parent of --after).")
@click.option("--after", default="HEAD", show_default=True, help="The pushed commit.")
@click.option("--branch", help="The pushed branch (default: the checked-out branch).")
@click.option("--pr", type=PR_NUMBER, help="The merged pull request (default: looked up by commit).")
@click.option("--allow-destroy", is_flag=True, help="Destroy stacks of deleted projects in protected environments too.")
@click.option("--redeploy", is_flag=True, help="Also run environments where this commit already succeeded.")
@_run_options
def deploy(
    repo: Path,
    ci: str | None,
    before: str | None,
    after: str,
    branch: str | None,
    pr: int | None,
    allow_destroy: bool,
    redeploy: bool,
    vcs: str | None,
    out_dir: Path | None,
    concurrency: int | None,
    lock_wait: float,
    lock_ttl: float,
    actor: str | None,
    as_json: bool,
) -> None:
    """Update the stacks a merge affects, in order, through the promotion gates."""
    from orchestrator.flows.deploy import DeployRequest, run_deploy
    from orchestrator.flows.locking import LockPolicy

    summary = None
    if ci is not None:
        event = _push_event(ci)
        if event.deleted:
            # Deleting a branch deploys nothing; its stacks stay as they are.
            message = f"the push deleted {event.ref}: nothing to deploy"
            click.echo(json.dumps({"skipped": message}) if as_json else message)
            return
        if event.branch is None:
            _skip_tag(event.ref, as_json)
            return
        before, after, branch, actor = event.before, event.after, event.branch, actor or event.pusher
        summary = os.environ.get("GITHUB_STEP_SUMMARY") if ci == "github" else None
    if branch is not None and branch.startswith("refs/tags/"):
        _skip_tag(branch, as_json)
        return
    _config, store, client = open_context(repo, vcs or _ci_vcs(ci), out_dir)
    request = DeployRequest(
        repo=repo,
        after=after,
        before=before,
        branch=branch,
        actor=actor_name(actor),
        pr=pr,
        allow_destroy=allow_destroy,
        redeploy=redeploy,
        concurrency=concurrency,
        locks=LockPolicy(ttl_s=lock_ttl, wait_s=lock_wait),
        summary_path=Path(summary) if summary else None,
    )
    outcome = run_deploy(request, store, client, on_event=None if as_json else progress_printer())
    _finish(outcome, as_json)


@click.command()
@repo_option()
@click.option("--env", "environment", required=True, help="The environment to promote into.")
@click.option("--commit", required=True, help="The commit to deploy there.")
@click.option("--before", help="The commit before it (only a hint: stacks go from the commit they applied).")
@click.option("--reason", help="Why (kept in the audit log).")
@_run_options
def promote(
    repo: Path,
    environment: str,
    commit: str,
    before: str | None,
    reason: str | None,
    vcs: str | None,
    out_dir: Path | None,
    concurrency: int | None,
    lock_wait: float,
    lock_ttl: float,
    actor: str | None,
    as_json: bool,
) -> None:
    """Approve a commit for a gated environment by hand and deploy it there."""
    from orchestrator.flows.locking import LockPolicy
    from orchestrator.flows.promote import PromoteRequest, run_promote

    _config, store, client = open_context(repo, vcs, out_dir)
    request = PromoteRequest(repo=repo, environment=environment, commit=commit, actor=actor_name(actor), reason=reason,
                             before=before, concurrency=concurrency, locks=LockPolicy(ttl_s=lock_ttl, wait_s=lock_wait))
    _finish(run_promote(request, store, client, on_event=None if as_json else progress_printer()), as_json)


@click.command()
@repo_option()
@click.option("--env", "environment", required=True, help="The environment to roll back.")
@click.option("--project", "projects", multiple=True, help="Only these projects (repeatable; default all).")
@click.option("--to", "target", required=True, help="A commit, or the id of a run whose commit to go back to.")
@click.option("--break-glass", is_flag=True,
              help="An emergency: bypass `requires` and approvals (a trusted user only, with --reason; audited).")
@click.option("--reason", help="Why (kept in the audit log; required with --break-glass).")
@_run_options
def rollback(
    repo: Path,
    environment: str,
    projects: tuple[str, ...],
    target: str,
    break_glass: bool,
    reason: str | None,
    vcs: str | None,
    out_dir: Path | None,
    concurrency: int | None,
    lock_wait: float,
    lock_ttl: float,
    actor: str | None,
    as_json: bool,
) -> None:
    """Deploy the stacks of an environment as the code was at an earlier commit."""
    from orchestrator.flows.locking import LockPolicy
    from orchestrator.flows.promote import RollbackRequest, run_rollback

    _config, store, client = open_context(repo, vcs, out_dir)
    request = RollbackRequest(repo=repo, environment=environment, target=target, actor=actor_name(actor),
                              projects=projects, concurrency=concurrency,
                              locks=LockPolicy(ttl_s=lock_ttl, wait_s=lock_wait), break_glass=break_glass,
                              reason=reason)
    _finish(run_rollback(request, store, client, on_event=None if as_json else progress_printer()), as_json)


def _skip_tag(ref: str, as_json: bool) -> None:
    """A tag names a commit some branch already brought (or will bring) to its environments."""
    message = f"{ref} is a tag, not a branch: a tag push is not a deploy (nothing to do)"
    click.echo(json.dumps({"skipped": message}) if as_json else message)


def _ci_vcs(ci: str | None) -> str | None:
    return None if ci is None else ("gitlab" if ci == "gitlab" else "github")


def _push_event(ci: str) -> PushEvent:
    from orchestrator.ci.events import PushEvent

    return read_ci_event(
        ci, PushEvent, what="a push",
        hint="run `orchestrator deploy` on push events and `orchestrator preview` on pull requests",
    )


def _finish(outcome: DeployOutcome, as_json: bool) -> None:
    from orchestrator.ci.actions_report import report_to_actions

    # Annotations and outputs in GitHub Actions (a no-op elsewhere); the flow wrote the summary.
    markdown = None if outcome.summary_written or outcome.comment is None else outcome.comment.full_markdown
    report_to_actions(outcome.flow, outcome.results, markdown=markdown)
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2, default=str))
        sys.exit(outcome.exit_code)
    from orchestrator.cli.text import print_deploy

    print_deploy(outcome)
    sys.exit(outcome.exit_code)
