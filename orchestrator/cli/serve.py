"""`orchestrator serve`: receive webhooks, queue and run the work, schedule drift checks."""

from __future__ import annotations

import os
from pathlib import Path

import click

from orchestrator.cli.options import PORT, repo_option
from orchestrator.cli.terminal import echo


@click.command()
@repo_option("A clone of the infrastructure repository, kept for the server.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=PORT, default=8080, show_default=True, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(min=0, max=256), default=2, show_default=True,
              help="Jobs run at once by this process (0: only receive and queue).")
@click.option("--poll", "poll_s", type=click.FloatRange(min=1), metavar="SECONDS",
              help="Pull mode: fetch the remote this often and deploy new commits of tracked branches.")
@click.option("--header-timeout", "header_timeout_s", type=click.FloatRange(min=0.1, max=3600), default=10.0,
              show_default=True, metavar="SECONDS", help="Close a connection whose request headers take longer.")
@click.option("--body-timeout", "body_timeout_s", type=click.FloatRange(min=0.1, max=3600), default=30.0,
              show_default=True, metavar="SECONDS", help="Close a connection whose request body takes longer.")
@click.option("--no-scheduler", is_flag=True,
              help="Do not queue drift checks on the environments' schedules, nor watch held locks for alerts.")
@click.option("--remote", default="origin", show_default=True, help="The clone's remote to fetch.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True)
def serve(
    repo: Path,
    host: str,
    port: int,
    workers: int,
    poll_s: float | None,
    header_timeout_s: float,
    body_timeout_s: float,
    no_scheduler: bool,
    remote: str,
    log_level: str,
) -> None:
    """Serve GitHub/GitLab webhooks (POST /webhooks/github, /webhooks/gitlab), run the queued
    previews, deploys and drift checks, and expose /healthz, /metrics and the dashboard.

    The webhook secret comes from ORCHESTRATOR_WEBHOOK_SECRET; the database from
    ORCHESTRATOR_DATABASE_URL, else `database` in orchestrator.yaml, else SQLite in the clone.
    """
    import logging

    from orchestrator.errors import UserError
    from orchestrator.redact import redact_log_handlers
    from orchestrator.server.app import ServerOptions, build_server, run_server
    from orchestrator.server.webhooks import SECRET_ENV

    secret = os.environ.get(SECRET_ENV, "")
    if not secret and poll_s is None:
        raise UserError(
            f"{SECRET_ENV} is not set: webhooks could not be verified",
            hint=f"export {SECRET_ENV}=<a long random string> and give the same secret to the webhook, "
            "or use pull mode (--poll 60) where webhooks cannot reach the server",
        )
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact_log_handlers()  # from the first line: building the server logs (configuration problems)
    options = ServerOptions(repo=repo, host=host, port=port, workers=workers, poll_s=poll_s,
                            scheduler=not no_scheduler, remote=remote, header_timeout_s=header_timeout_s,
                            body_timeout_s=body_timeout_s)
    server = build_server(options, secret=secret.encode() if secret else None)
    echo(f"orchestrator serve: http://{host}:{port} (repository {server.root}, "
               f"database {server.store.display_url}, {workers} worker(s)"
               f"{f', polling {remote} every {poll_s:g}s' if poll_s else ''})", err=True)
    run_server(server, log_level=log_level)
