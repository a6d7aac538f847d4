"""`orchestrator insights`: the DORA measures, drift and queue of a window, as a table or JSON.

Thin: parses the options, runs the insights use case (flows/insights.py), prints.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchestrator.cli.options import json_option, print_json, repo_option

if TYPE_CHECKING:
    from orchestrator.insights.delivery import DeliveryMeasures
    from orchestrator.insights.measures import Insights


@click.command()
@repo_option("The infrastructure repository (its orchestrator.yaml names the database).")
@click.option("--env", "-e", "environment", help="Only this environment.")
@click.option("--project", "-p", "project", help="Only this project.")
@click.option("--since", default="30d", show_default=True,
              help="How far back: a whole number and a unit (m, h, d, w), e.g. 7d, 12h, 2w.")
@json_option()
def insights(repo: Path, environment: str | None, project: str | None, since: str, as_json: bool) -> None:
    """Deployment frequency, lead time, change failure rate, time to restore, drift and queue."""
    from orchestrator.cli.options import open_context
    from orchestrator.errors import UserError
    from orchestrator.flows.insights import load_insights
    from orchestrator.insights.model import Scope, Window, parse_span

    try:
        span = parse_span(since)
    except ValueError as exc:
        raise UserError(f"--since: {exc}", "e.g. --since 30d") from None
    config, store, _ = open_context(repo, None, None)
    try:
        order = [e.name for e in sorted(config.environments.values(), key=lambda e: (e.order, e.name))]
        found = load_insights(store, Window.last(span, now=datetime.now(UTC)),
                              Scope(environment=environment, project=project), repo_root=config.root,
                              environment_order=order)
    finally:
        store.close()
    if as_json:
        print_json(found.to_json())
        return
    _print(found, since)


def _print(found: Insights, since: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    from orchestrator.cli.text import make_console
    from orchestrator.insights.stats import percent_text, seconds_text

    console = make_console(soft_wrap=False)
    scope = ", ".join(x for x in (found.scope.environment, found.scope.project) if x) or "all environments"
    console.print(f"Delivery over the last {escape(since)} ({escape(scope)}), "
                  f"{found.window.start:%Y-%m-%d %H:%M} to {found.window.end:%Y-%m-%d %H:%M} UTC")
    table = Table(show_edge=False)
    for name, justify in (("", "left"), ("deploys", "right"), ("per day", "right"), ("lead time p50", "right"),
                          ("p90", "right"), ("change failure", "right"), ("restore p50", "right"),
                          ("not restored", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]

    def row(name: str, m: DeliveryMeasures) -> None:
        failures = percent_text(m.change_failure_rate) + (f" ({m.failed_changes}/{m.changes})" if m.changes else "")
        table.add_row(escape(name), str(m.deployments), f"{m.per_day:.2f}", seconds_text(m.lead_time.median_s),
                      seconds_text(m.lead_time.p90_s), failures, seconds_text(m.time_to_restore.median_s),
                      str(m.unrestored))

    row("all", found.delivery)
    for name, measures in found.environments.items():
        row(name, measures)
    console.print(table)
    drift = found.drift
    console.print(f"Drift: {drift.open_now} open, {drift.opened} found, {drift.resolved} resolved "
                  f"(mean time to resolve {seconds_text(drift.time_to_resolve.mean_s)})")
    if not found.queue:
        console.print("Queue: no server jobs in this window")
    for kind in found.queue:
        console.print(f"Queue {escape(kind.kind)}: {kind.jobs} jobs, wait p50 {seconds_text(kind.wait.median_s)} "
                      f"p90 {seconds_text(kind.wait.p90_s)}, run p50 {seconds_text(kind.run.median_s)}")
