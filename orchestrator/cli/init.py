"""`orchestrator init`: propose the configuration and CI files for an existing repository."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchestrator.cli.options import repo_option
from orchestrator.cli.terminal import echo, printable

if TYPE_CHECKING:
    from orchestrator.init import InitResult

_MARKS = {
    "written": ("green", "wrote"),
    "overwritten": ("yellow", "overwrote"),
    "appended": ("green", "added to"),
    "skipped": ("cyan", "kept"),
    "would write": ("green", "would write"),
    "would overwrite": ("yellow", "would overwrite"),
    "would append": ("green", "would add to"),
    "would skip": ("cyan", "would keep"),
}


@click.command("init")
@repo_option()
@click.option(
    "--ci",
    type=click.Choice(["github", "gitlab", "none"]),
    default="github",
    show_default=True,
    help="Which CI files to write (none: configuration only).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "pulumi"]),
    default="local",
    show_default=True,
    help="local: the embedded engine and sandbox AWS (try it out); pulumi: the Pulumi CLI (real clouds).",
)
@click.option(
    "--aws-credentials",
    type=click.Choice(["oidc", "keys"]),
    default="oidc",
    show_default=True,
    help="How the generated CI reaches AWS with --engine pulumi: oidc (the CI's OIDC token for a role in the "
         "AWS_ROLE_ARN variable, no stored keys) or keys (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY secrets).",
)
@click.option("--force", is_flag=True, help="Replace files that already exist.")
@click.option(
    "--matrix-threshold",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Above this many affected stacks, CI previews fan out over a job matrix.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be written, and the files, without writing.")
@click.option("--review", is_flag=True,
              help="Enable review stacks (a stack per pull request) in the first unprotected environment and "
                   "write their workflow.")
def init(repo: Path, ci: str, engine: str, aws_credentials: str, force: bool, matrix_threshold: int, dry_run: bool,
         review: bool) -> None:
    """Detect the Pulumi projects and stacks of a repository and write orchestrator.yaml,
    environments/*.yaml and the CI workflows for them."""
    from orchestrator.init import InitOptions, run_init

    options = InitOptions(
        ci=ci,  # type: ignore[arg-type]
        engine=engine,  # type: ignore[arg-type]
        force=force,
        matrix_threshold=matrix_threshold,
        dry_run=dry_run,
        review=review,
        aws_credentials=aws_credentials,  # type: ignore[arg-type]
    )
    print_result(run_init(repo, options))


def print_result(result: InitResult) -> None:
    detection = result.detection
    echo(f"Repository {result.root}")
    echo(f"  projects: {', '.join(f'{p.name} ({p.directory})' for p in detection.projects)}")
    stacks = sorted({s for p in detection.projects for s in p.stacks})
    echo(f"  stack files: {', '.join(stacks) if stacks else 'none'}")
    echo(f"  branches: {', '.join(detection.branches) or 'none'} (default {detection.default_branch})")
    echo("Environments")
    for env in result.proposal.environments:
        echo(f"  {env.name}: branch {env.branch}, order {env.order} ({env.why})")
    if result.dry_run:
        for generated in result.files:
            echo(f"\n--- {generated.path} ---", bold=True)
            echo(generated.content.rstrip("\n"))
        echo("")
    echo("Files" + (" (dry run: nothing written)" if result.dry_run else ""))
    for action in result.actions:
        colour, verb = _MARKS[action.action]
        click.echo(f"  {click.style(verb, fg=colour)} {printable(f'{action.path}: {action.reason}')}")
    if result.notes:
        echo("Notes")
        for note in result.notes:
            echo(f"  - {note}")
    if result.next_steps:
        echo(
            "Next: review the files (`orchestrator environments`, `orchestrator projects`), then"
            + (" (after the run without --dry-run)" if result.dry_run else "")
            + " a first pull-request comment on this machine:"
        )
        for step in result.next_steps:
            echo(f"  {step}")
