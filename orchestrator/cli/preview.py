"""`orchestrator preview`: the pull-request flow from a CI event or from arguments."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchestrator.cli.options import (
    CONCURRENCY,
    PR_NUMBER,
    json_option,
    progress_printer,
    read_ci_event,
    repo_option,
    vcs_option,
    vcs_out_option,
)
from orchestrator.cli.terminal import echo

if TYPE_CHECKING:
    from orchestrator.flows.preview import PreviewRequest


@click.command()
@repo_option()
@click.option("--ci", type=click.Choice(["github", "gitlab"]), help="Read the pull request from the CI event.")
@click.option("--base", help="The PR's base branch (or a ref on it).")
@click.option("--head", default="HEAD", show_default=True, help="The PR's head commit.")
@click.option("--branch", help="The base branch name, when --base is not one.")
@click.option("--pr", "pr", type=PR_NUMBER, help="Pull request number (GitHub) or merge request IID (GitLab).")
@vcs_option("Where the comment and statuses go.")
@vcs_out_option()
@click.option("--concurrency", type=CONCURRENCY, help="Stacks previewed at once (default: setting, else cores).")
@click.option("--stack", "stacks", multiple=True, help="Preview only this stack (a CI matrix job; no comment).")
@click.option(
    "--results-out", type=click.Path(dir_okay=False, path_type=Path), help="Write the stack results as JSON here."
)
@click.option(
    "--from-results",
    type=click.Path(file_okay=False, path_type=Path),
    help="Post the comment from results the matrix jobs wrote (*.json), running nothing.",
)
@json_option("Print the results as JSON; no progress output.")
def preview(
    repo: Path,
    ci: str | None,
    base: str | None,
    head: str,
    branch: str | None,
    pr: int | None,
    vcs: str | None,
    out_dir: Path | None,
    concurrency: int | None,
    stacks: tuple[str, ...],
    results_out: Path | None,
    from_results: Path | None,
    as_json: bool,
) -> None:
    """Preview every stack a pull request affects and keep one comment on it up to date."""
    from dataclasses import replace

    from orchestrator.config import load_repository
    from orchestrator.flows.preview import run_preview
    from orchestrator.flows.publish import write_results
    from orchestrator.git import GitRepo
    from orchestrator.vcs import make_vcs

    request = replace(_request(repo, ci, base, head, branch, pr, concurrency), stacks=stacks, results_from=from_results)
    # The VCS settings (API URL, token variable) come from the base commit, never from the
    # checkout: that is the PR's code, and a PR could send the token to a host of its choosing.
    git = GitRepo(repo)
    settings = load_repository(git.root, git.tree(git.resolve(request.base))).settings
    provider = vcs or (None if ci is None else ("gitlab" if ci == "gitlab" else settings.vcs_provider))
    client = None if provider is None else make_vcs(settings, provider=provider, out_dir=out_dir)
    if ci == "gitlab" and request.pr is not None:
        # GITLAB_USER_LOGIN is whoever started the pipeline (a maintainer's rebase or re-run):
        # trust is decided on the merge request's author, as GitLab's API records it. Without
        # the API (--vcs files) the author is unknown, and nobody vouches for the code.
        author = client.get_pr(request.pr).author if provider == "gitlab" and client is not None else ""
        request = replace(request, author=author)
    outcome = run_preview(request, client, on_event=None if as_json else progress_printer())
    if results_out is not None:
        write_results(results_out, outcome.results)
    if ci == "github":
        from orchestrator.ci.actions_report import report_to_actions

        # The flow appended the full report to the job summary already.
        report_to_actions("preview", outcome.results, markdown=None)
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2, default=str))
    else:
        if client is None and outcome.comment is not None:
            echo(outcome.comment.markdown)
        where = f"; full report: {outcome.report_path}" if outcome.report_path else ""
        echo(f"{len(outcome.results)} stack(s) previewed{where}", err=True)
        if outcome.comment_at:
            echo(f"comment: {outcome.comment_at}", err=True)
        for line in outcome.skipped:
            echo(line, fg="yellow", err=True)
        if outcome.publish_error:
            echo(f"publishing failed: {outcome.publish_error}", fg="red", err=True)
    if outcome.notice:
        if ci == "github":
            from orchestrator.ci.command_guard import write_commands
            from orchestrator.ci.github_actions import annotation

            write_commands(sys.stdout, [annotation("notice", outcome.notice, "Not previewed")])
        else:
            echo(outcome.notice, err=True)
    sys.exit(outcome.exit_code)


def _request(
    repo: Path,
    ci: str | None,
    base: str | None,
    head: str,
    branch: str | None,
    pr: int | None,
    concurrency: int | None,
) -> PreviewRequest:
    from orchestrator.errors import UserError
    from orchestrator.flows.preview import PreviewRequest

    if ci is None:
        if base is None:
            raise UserError("--base is required without --ci", hint="pass the PR's base branch, e.g. --base main")
        return PreviewRequest(repo=repo, base=base, head=head, branch=branch, pr=pr, concurrency=concurrency)
    from orchestrator.ci.events import IssueCommentEvent, PullRequestEvent

    summary = os.environ.get("GITHUB_STEP_SUMMARY") if ci == "github" else None
    if ci == "github" and os.environ.get("GITHUB_EVENT_NAME") == "issue_comment":
        # `/orchestrator preview` by a trusted user (the comment workflow checked it, and the flow
        # checks again): the pull request's commits come from that job, the event names the asker.
        comment = read_ci_event(ci, IssueCommentEvent, what="a comment", hint="run it on issue_comment events")
        if not comment.is_pull_request or base is None or head == "HEAD":
            raise UserError(
                "a preview asked for in a comment needs a pull request, --base and --head (its base and head)",
                hint="the generated comment workflow passes the outputs of `orchestrator trust`",
            )
        return PreviewRequest(repo=repo, base=base, head=head, branch=branch, pr=comment.number,
                              approved_by=comment.commenter, concurrency=concurrency,
                              summary_path=Path(summary) if summary else None)
    event = read_ci_event(
        ci, PullRequestEvent, what="a pull request",
        hint="run `orchestrator preview` on pull_request events and `orchestrator deploy` on pushes",
    )
    return PreviewRequest(
        repo=repo,
        base=event.base_sha or event.base_ref,
        head=event.head_sha,
        branch=event.base_ref,
        pr=event.number,
        author=event.author,
        from_fork=event.from_fork,
        concurrency=concurrency,
        summary_path=Path(summary) if summary else None,
    )
