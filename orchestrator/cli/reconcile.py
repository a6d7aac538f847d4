"""`orchestrator reconcile`: list the stacks behind their branch (Git drift) and deploy them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchestrator.cli.options import (
    apply,
    json_option,
    open_context,
    print_json,
    progress_printer,
    repo_option,
    vcs_option,
    vcs_out_option,
)

if TYPE_CHECKING:
    from orchestrator.flows.reconcile import ReconcileOutcome


@click.command()
@repo_option()
@click.option("--env", "environment", required=True, help="The environment to reconcile.")
@click.option("--branch", help="The branch it runs (default: its one branch rule).")
@click.option("--dry-run", is_flag=True, help="Only list the stacks behind their branch; deploy nothing.")
@apply(
    vcs_option(),
    vcs_out_option(),
    click.option("--concurrency", type=int, help="Stacks run at once within a wave."),
    click.option("--lock-wait", type=float, default=300.0, show_default=True, help="Seconds to wait for a held lock."),
    click.option("--lock-ttl", type=float, default=600.0, show_default=True,
                 help="Lease length, renewed while running."),
    click.option("--actor", help="Who triggered this (default: CI user or login name)."),
    json_option("Print the outcome as JSON; no progress output."),
)
def reconcile(
    repo: Path,
    environment: str,
    branch: str | None,
    dry_run: bool,
    vcs: str | None,
    out_dir: Path | None,
    concurrency: int | None,
    lock_wait: float,
    lock_ttl: float,
    actor: str | None,
    as_json: bool,
) -> None:
    """Bring every stack of an environment to its branch's tip: those whose applied commit is
    behind it with changes that affect them (Git drift), through the usual locks and gates."""
    from orchestrator.cli.options import actor_name
    from orchestrator.flows.locking import LockPolicy
    from orchestrator.flows.reconcile import ReconcileRequest, run_reconcile

    _config, store, client = open_context(repo, vcs, out_dir)
    request = ReconcileRequest(repo=repo, environment=environment, branch=branch, dry_run=dry_run,
                               actor=actor_name(actor), concurrency=concurrency,
                               locks=LockPolicy(ttl_s=lock_ttl, wait_s=lock_wait))
    outcome = run_reconcile(request, store, client, on_event=None if as_json else progress_printer())
    if as_json:
        print_json(outcome.to_json())
    else:
        _print(outcome)
    sys.exit(outcome.exit_code)


def _print(outcome: ReconcileOutcome) -> None:
    from orchestrator.cli.text import print_deploy, print_git_drift

    print_git_drift(outcome.report)
    if outcome.deploy is not None:
        print_deploy(outcome.deploy)
