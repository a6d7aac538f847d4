"""`orchestrator history` and `orchestrator locks list|release`: what the run store knows.

Only click is imported at module level; the store (SQLAlchemy) loads when a command runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orchestrator.cli.options import RESULT_LIMIT, actor_name, json_option, print_json, repo_option
from orchestrator.cli.terminal import echo

if TYPE_CHECKING:
    from orchestrator.models import GitDrift
    from orchestrator.store.api import Lease, StackRunRecord
    from orchestrator.store.sql import SqlStore

_repo_option = repo_option("The infrastructure repository (its orchestrator.yaml names the database).")


@click.command()
@_repo_option
@click.option("--env", "-e", "environment", help="Only this environment.")
@click.option("--project", "-p", "project", help="Only this project.")
@click.option("--limit", "-n", default=20, show_default=True, type=RESULT_LIMIT, help="How many results.")
@json_option()
def history(repo: Path, environment: str | None, project: str | None, limit: int, as_json: bool) -> None:
    """Which commit each stack runs now (and which are behind their branch), and the latest stack
    results, newest first."""
    from orchestrator.flows.reconcile import stored_git_drift

    store = _open(repo)
    try:
        current = _filter_current(store.current_commits(), environment=environment, project=project)
        records = store.history(environment=environment, project=project, limit=limit)
        behind = {s: d for s, d in stored_git_drift(repo, store).items() if s in current}
    finally:
        store.close()
    if as_json:
        print_json({"current": current, "behind": {s: d.to_json() for s, d in behind.items()},
                    "history": [_record_json(r) for r in records]})
        return
    _print_current(current, behind)
    echo()
    _print_history(records)


@click.group()
def locks() -> None:
    """The stack locks (leases) held by running deploys and open pull requests."""


@locks.command("list")
@_repo_option
@json_option()
def list_locks(repo: Path, as_json: bool) -> None:
    """Every lock, expired ones included (they no longer block anyone)."""
    store = _open(repo)
    try:
        leases = store.locks(include_expired=True)
        now = store.lease_clock()
    finally:
        store.close()
    if as_json:
        print_json([_lease_json(lease, now) for lease in leases])
        return
    if not leases:
        echo("no locks")
        return
    rows = [
        (lease.stack, lease.purpose + (f" #{lease.pr}" if lease.pr else ""), _short(lease.commit),
         _expiry(lease.expires_at, now), lease.holder)
        for lease in leases
    ]
    _print_table(("STACK", "PURPOSE", "COMMIT", "EXPIRES", "HOLDER"), rows)


@locks.command("release")
@_repo_option
@click.argument("stack")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def release_lock(repo: Path, stack: str, yes: bool) -> None:
    """Remove the lock on STACK (<project>/<env>) whoever holds it; recorded in the audit log."""
    from orchestrator.flows.by_hand import force_release_lock, held_lock

    store = _open(repo)
    try:
        held = held_lock(store, stack)
        state = "expired" if held.expired else "active"
        if not yes and not click.confirm(f"Release the {state} lock on {stack} held by {held.lease.holder}?"):
            raise click.Abort()
        released = force_release_lock(store, held, actor_name(None))
        if released is None:  # its holder released it meanwhile
            echo(f"{stack} was released by its holder meanwhile")
            return
    finally:
        store.close()
    echo(f"released the lock on {stack} (was held by {released.holder})")


# ---------------------------------------------------------------------- helpers
def _open(repo: Path) -> SqlStore:
    import os

    from orchestrator.store import ENV_VAR, open_store

    root = repo.resolve()
    if os.environ.get(ENV_VAR, "").strip():
        return open_store(None, root)  # the environment wins; no need to read the repository
    from orchestrator.config import load_repository

    return open_store(load_repository(root).settings.database, root)


def _filter_current(current: dict[str, str], *, environment: str | None, project: str | None) -> dict[str, str]:
    def keep(stack: str) -> bool:
        stack_project, _, stack_env = stack.rpartition("/")
        return (environment is None or stack_env == environment) and (project is None or stack_project == project)

    return {stack: commit for stack, commit in current.items() if keep(stack)}


def _print_current(current: dict[str, str], behind: Mapping[str, GitDrift]) -> None:
    echo("Stacks now (commit of the last successful update or rollback):")
    if not current:
        echo("  none recorded")
        return
    rows = [(stack, _short(commit), _behind(behind.get(stack))) for stack, commit in current.items()]
    _print_table(("STACK", "COMMIT", "BRANCH"), rows, indent="  ")


def _behind(drift: GitDrift | None) -> str:
    """`rolled back, behind main (3 commits)`: a stack the next deploy or `reconcile` moves forward."""
    if drift is None:
        return "-"
    how = "rolled back, behind" if drift.rolled_back else "behind"
    behind = drift.commits_behind
    count = f" ({behind} commit{'s' if behind != 1 else ''})" if behind else ""
    return f"{how} {drift.branch}{count}"


def _print_history(records: list[StackRunRecord]) -> None:
    from orchestrator.engines.base import COUNTS_HEADER, COUNTS_LEGEND

    echo("Recent stack results (newest first):")
    if not records:
        echo("  none recorded")
        return
    rows = [
        (_when(r.finished_at), r.flow, r.stack, r.operation, r.status, _counts(r.counts), _short(r.commit), r.run_id,
         _first_line(_reason(r)))
        for r in records
    ]
    _print_table(("FINISHED (UTC)", "FLOW", "STACK", "OPERATION", "STATUS", COUNTS_HEADER, "COMMIT", "RUN", "REASON"),
                 rows, indent="  ")
    echo(f"  ({COUNTS_LEGEND})")


def _first_line(text: str | None) -> str:
    return (text or "").partition("\n")[0]  # keeps the table one row per result


_SKIPPED_PREFIX = "skipped: "  # execute.skipped_result's wording; the STATUS column says it already


def _reason(record: StackRunRecord) -> str | None:
    """Why a stack did not run (a failed dependency, a closed gate, a pending destroy); None if it ran."""
    if record.status != "skipped":
        return None
    reason = (record.error or "").strip()
    return reason.removeprefix(_SKIPPED_PREFIX) or "no reason recorded"


def _print_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, indent: str = "") -> None:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=False)]
    for row in (header, *rows):
        echo(indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _counts(counts: dict[str, int]) -> str:
    from orchestrator.engines.base import format_count_columns

    return format_count_columns(counts)


def _short(commit: str) -> str:
    return commit[:12]


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _expiry(expires_at: datetime, now: datetime) -> str:
    seconds = int((expires_at - now).total_seconds())
    return f"in {seconds}s" if seconds > 0 else f"expired {-seconds}s ago"


def _record_json(record: StackRunRecord) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "flow": record.flow,
        "stack": record.stack,
        "project": record.project,
        "environment": record.environment,
        "commit": record.commit,
        "operation": record.operation,
        "status": record.status,
        "counts": record.counts,
        "started_at": record.started_at.isoformat(),
        "finished_at": record.finished_at.isoformat(),
        "error": record.error,
        "reason": _reason(record),
        "changes": record.changes,
    }


def _lease_json(lease: Lease, now: datetime) -> dict[str, Any]:
    return {
        "stack": lease.stack,
        "holder": lease.holder,
        "run_id": lease.run_id,
        "commit": lease.commit,
        "purpose": lease.purpose,
        "pr": lease.pr,
        "acquired_at": lease.acquired_at.isoformat(),
        "expires_at": lease.expires_at.isoformat(),
        "expired": lease.expires_at <= now,
    }
