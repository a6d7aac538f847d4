"""`orchestrator review up|down|list|sweep`: review stacks, an ephemeral environment per pull request."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchestrator.cli.options import (
    apply,
    json_option,
    print_json,
    progress_printer,
    read_ci_event,
    repo_option,
    vcs_option,
    vcs_out_option,
)
from orchestrator.cli.terminal import echo

if TYPE_CHECKING:
    from orchestrator.config.resolved import Settings
    from orchestrator.flows.review import ReviewOutcome, ReviewRequest
    from orchestrator.store.sql import SqlStore
    from orchestrator.vcs.base import VcsClient

_pull_request_options = apply(
    click.option("--ci", type=click.Choice(["github", "gitlab"]), help="Read the pull request from the CI event."),
    click.option("--pr", "pr", type=int, help="Pull request number (GitHub) or merge request IID (GitLab)."),
    click.option("--base", help="The pull request's base branch (or its tip)."),
    click.option("--head", help="The pull request's head commit (down: default the one last deployed)."),
    click.option("--branch", help="The base branch's name, when --base is not one."),
    vcs_option("Where the comment, statuses and deployments go."),
    vcs_out_option(),
    click.option("--concurrency", type=int, help="Stacks run at once within a wave."),
    click.option("--lock-wait", type=float, default=300.0, show_default=True, help="Seconds to wait for a held lock."),
    click.option("--lock-ttl", type=float, default=600.0, show_default=True,
                 help="Lease length, renewed while running."),
    json_option("Print the outcome as JSON; no progress output."),
)


@click.group()
def review() -> None:
    """Review stacks: the pull request's head deployed to stacks of its own, destroyed on close."""


@review.command()
@repo_option()
@_pull_request_options
@click.option("--author", help="The pull request's author (checked against `trust`).")
@click.option("--from-fork", is_flag=True, help="The pull request comes from a fork: nothing is deployed.")
def up(repo: Path, ci: str | None, pr: int | None, base: str | None, head: str | None, branch: str | None,
       vcs: str | None, out_dir: Path | None, concurrency: int | None, lock_wait: float, lock_ttl: float,
       as_json: bool, author: str | None, from_fork: bool) -> None:
    """Deploy the pull request's head to its review stacks (created on the first run, updated after)."""
    from orchestrator.flows.review import run_review_up

    request = _request(repo, ci, pr, base, head or "HEAD", branch, concurrency, lock_wait, lock_ttl, author, from_fork)
    store, client = _context(request, vcs or _ci_vcs(ci), out_dir)
    outcome = run_review_up(request, store, client, on_event=None if as_json else progress_printer())
    _finish(outcome, as_json, ci)


@review.command()
@repo_option()
@_pull_request_options
def down(repo: Path, ci: str | None, pr: int | None, base: str | None, head: str | None, branch: str | None,
         vcs: str | None, out_dir: Path | None, concurrency: int | None, lock_wait: float, lock_ttl: float,
         as_json: bool) -> None:
    """Destroy the pull request's review stacks and remove them from the backend."""
    from dataclasses import replace

    from orchestrator.flows.review import run_review_down

    request = _request(repo, ci, pr, base, head or "HEAD", branch, concurrency, lock_wait, lock_ttl, None, False)
    store, client = _context(request, vcs or _ci_vcs(ci), out_dir)
    if head is None and ci is None:
        request = replace(request, head=_last_deployed(store, request.pr) or "HEAD")
    outcome = run_review_down(request, store, client, on_event=None if as_json else progress_printer())
    _finish(outcome, as_json, ci)


@review.command(name="list")
@repo_option()
@click.option("--env", "environment", help="Only this environment's review stacks.")
@json_option("Print the review environments as JSON.")
def list_(repo: Path, environment: str | None, as_json: bool) -> None:
    """Active review environments: pull request, age, time left, stacks and their outputs."""
    from orchestrator.cli.options import open_context
    from orchestrator.flows.review_run import utcnow
    from orchestrator.flows.review_sweep import listing
    from orchestrator.store.review import ReviewStore

    config, store, _ = open_context(repo, None, None)
    rows = listing(ReviewStore(store).live(environment), config, utcnow())
    if as_json:
        print_json({"reviews": rows})
        return
    _print_listing(rows)


@review.command()
@repo_option()
@vcs_option("Where the comments and deployments of destroyed review stacks go.")
@vcs_out_option()
@json_option("Print the outcome as JSON.")
def sweep(repo: Path, vcs: str | None, out_dir: Path | None, as_json: bool) -> None:
    """Destroy expired review environments (no push for review.ttl) and retry failed destroys."""
    from orchestrator.cli.options import open_context
    from orchestrator.flows.review_sweep import run_review_sweep

    _config, store, client = open_context(repo, vcs, out_dir)
    outcome = run_review_sweep(repo, store, client)
    if as_json:
        print_json(outcome.to_json())
    else:
        for done in outcome.downs:
            for env in done.environments:
                echo(f"#{done.pr} {env.environment}: {env.state}" + (f" ({env.note})" if env.note else ""))
        for error in outcome.errors:
            echo(f"error: {error}", fg="red", err=True)
        if not outcome.downs and not outcome.errors:
            echo("no review environment is expired or waiting for a destroy")
    sys.exit(outcome.exit_code)


def _request(repo: Path, ci: str | None, pr: int | None, base: str | None, head: str, branch: str | None,
             concurrency: int | None, lock_wait: float, lock_ttl: float, author: str | None,
             from_fork: bool) -> ReviewRequest:
    from orchestrator.errors import UserError
    from orchestrator.flows.locking import LockPolicy
    from orchestrator.flows.review import ReviewRequest

    locks = LockPolicy(ttl_s=lock_ttl, wait_s=lock_wait)
    if ci is None:
        if pr is None or base is None:
            raise UserError("--pr and --base are required without --ci",
                            hint="e.g. orchestrator review up --pr 42 --base develop --head my-feature")
        return ReviewRequest(repo=repo, pr=pr, base=base, head=head, branch=branch, author=author, from_fork=from_fork,
                             concurrency=concurrency, locks=locks)
    from orchestrator.ci.events import PullRequestEvent

    event = read_ci_event(ci, PullRequestEvent, what="a pull request",
                          hint="run `orchestrator review` on pull_request (merge request) events")
    summary = os.environ.get("GITHUB_STEP_SUMMARY") if ci == "github" else None
    return ReviewRequest(
        repo=repo, pr=event.number, base=event.base_sha or event.base_ref, head=event.head_sha, branch=event.base_ref,
        head_ref=event.head_ref, author=event.author, from_fork=event.from_fork, concurrency=concurrency, locks=locks,
        summary_path=Path(summary) if summary else None,
        reason="the pull request was merged" if event.action == "merged" else "the pull request was closed",
    )


def _context(request: ReviewRequest, provider: str | None, out_dir: Path | None) -> tuple[SqlStore, VcsClient | None]:
    """The store and VCS client as the base commit configures them: the checkout may be the pull
    request's code, which must not choose where the token goes."""
    from orchestrator.config import load_repository
    from orchestrator.git import GitRepo
    from orchestrator.store import open_store

    git = GitRepo(request.repo)
    settings = load_repository(git.root, git.tree(git.resolve(request.base))).settings
    return open_store(settings.database, git.root), _vcs(settings, provider, out_dir)


def _vcs(settings: Settings, provider: str | None, out_dir: Path | None) -> VcsClient | None:
    from orchestrator.vcs import make_vcs

    return None if provider is None else make_vcs(settings, provider=provider, out_dir=out_dir)


def _last_deployed(store: SqlStore, pr: int) -> str | None:
    from orchestrator.store.review import ReviewStore

    found = sorted(ReviewStore(store).for_pr(pr), key=lambda r: r.updated_at)
    return found[-1].head if found else None


def _ci_vcs(ci: str | None) -> str | None:
    return None if ci is None else ("gitlab" if ci == "gitlab" else "github")


def _finish(outcome: ReviewOutcome, as_json: bool, ci: str | None) -> None:
    if ci == "github":
        from orchestrator.ci.actions_report import report_to_actions

        # Annotations and step outputs; the flow appended its report to the job summary already.
        report_to_actions("review", outcome.results, markdown=None)
    if as_json:
        print_json(outcome.to_json())
        sys.exit(outcome.exit_code)
    _print_outcome(outcome)
    sys.exit(outcome.exit_code)


def _print_outcome(outcome: ReviewOutcome) -> None:
    from orchestrator.engines.base import format_counts

    # Text from the pull request (names, errors, outputs) is printed as text, never as markup, and
    # with its control characters spelled out.
    echo(f"review {outcome.action} of #{outcome.pr} at {outcome.head[:12]}")
    if not outcome.environments:
        echo("  no environment of the base branch has review stacks (review.enabled)"
                   if outcome.action == "up" else "  no review stack of this pull request exists")
    for env in outcome.environments:
        echo(f"  {env.environment}: {env.state}" + (f" ({env.note})" if env.note else ""))
        for stack_id, result in env.results.items():
            detail = format_counts(result.counts) if result.ok else (result.error or "")
            echo(f"    {result.status:9} {stack_id}  {detail}")
            for name, value in sorted(result.outputs.items()):
                echo(f"      {name}: {value}")
    for note in outcome.notes:
        echo(f"  note: {note}")
    if outcome.report_path is not None:
        echo(f"  report: {outcome.report_path}")
    if outcome.publish_error:
        echo(f"  publishing failed: {outcome.publish_error}", fg="red", err=True)


def _print_listing(rows: list[dict[str, object]]) -> None:

    if not rows:
        echo("no active review environments")
        return
    for row in rows:
        left = row["expires_in_s"]
        expiry = "no TTL" if not isinstance(left, int) else ("expired" if left <= 0 else f"{_span(left)} left")
        echo(f"#{row['pr']} {row['environment']}: {row['status']}, {str(row['head'])[:12]}, "
                   f"age {_span(int(str(row['age_s'])))}, {expiry}")
        stacks = row["stacks"]
        for stack in stacks if isinstance(stacks, list) else ():
            echo(f"  {stack['status']:9} {stack['id']}")
            for name, value in sorted(stack["outputs"].items()):
                echo(f"    {name}: {value}")


def _span(seconds: int) -> str:
    from orchestrator.insights.stats import seconds_text

    return seconds_text(seconds)
