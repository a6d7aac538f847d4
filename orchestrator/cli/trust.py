"""`orchestrator trust`: may the commenter's `/orchestrator preview` run? (the comment workflow's first job)"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from orchestrator.cli.options import repo_option
from orchestrator.cli.terminal import echo


@click.command("trust")
@repo_option()
@click.option("--ci", type=click.Choice(["github"]), required=True, help="Read the comment from the CI event.")
def trust(repo: Path, ci: str) -> None:
    """Check that the author of an `/orchestrator preview` comment is trusted, without running the PR's code.

    Writes the step outputs `trusted`, `pr`, `head_sha`, `base_ref`, `commenter` and `reason`;
    an untrusted commenter is a notice, not a failure.
    """
    from orchestrator.ci.command_guard import write_commands
    from orchestrator.ci.events import IssueCommentEvent
    from orchestrator.ci.github_actions import annotation, read_event, write_outputs, write_step_summary
    from orchestrator.errors import UserError
    from orchestrator.flows.comment import judge_preview_comment
    from orchestrator.vcs import make_vcs

    event = read_event()
    if not isinstance(event, IssueCommentEvent):
        raise UserError(f"the CI event is a {type(event).__name__}, not a comment",
                        hint="run `orchestrator trust` in the workflow triggered by issue_comment")
    verdict = judge_preview_comment(repo, event, lambda settings: make_vcs(settings, provider="github"))
    write_outputs(verdict.outputs())
    if verdict.trusted:
        line = f"/orchestrator preview of #{verdict.pr} by {verdict.commenter}: trusted ({verdict.reason})"
        echo(line)
    else:
        line = f"/orchestrator preview of #{verdict.pr} by {verdict.commenter} not run: {verdict.reason}"
        write_commands(sys.stdout, [annotation("notice", line, "Not previewed")])
    write_step_summary(line)
