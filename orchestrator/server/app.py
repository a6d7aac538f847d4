"""`orchestrator serve`: the Starlette app and the services it runs beside the receiver.

`build_server` wires the store, queue, workers, drift scheduler, review sweeper, lock watch
(`stack_locked` alerts) and pull-mode poller;
`create_app` serves them: `/webhooks/github`, `/webhooks/gitlab`, `/healthz`, `/metrics`,
`/status` (JSON for the dashboard), and the dashboard's pages (dashboard.py). Background
services start with the app (lifespan) and stop with it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from orchestrator.errors import UserError
from orchestrator.insights.measures import Rows
from orchestrator.redact import redact_log_handlers
from orchestrator.server.dashboard import dashboard_routes
from orchestrator.server.job_page import PUBLIC_URL_ENV, job_routes
from orchestrator.server.lock_watch import LockWatch, held_locks_check
from orchestrator.server.metrics import CONTENT_TYPE, ServerMetrics
from orchestrator.server.poller import Poller
from orchestrator.server.scheduler import DriftScheduler, ReviewSweeper, drift_store_last_runs, review_sweep_due
from orchestrator.server.webhooks import Receiver
from orchestrator.server.worker import JobRunner, WorkerPool
from orchestrator.store.jobs import JobQueue
from orchestrator.store.sql import SqlStore

log = logging.getLogger("orchestrator.server")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


@dataclass(frozen=True)
class ServerOptions:
    repo: Path
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    poll_s: float | None = None  # pull mode: fetch the remote every this many seconds
    scheduler: bool = True
    remote: str = "origin"
    lease_s: float = 60.0  # a dead worker's job is resumed elsewhere after this long
    idle_s: float = 1.0  # how often idle workers look for jobs queued by other servers
    scheduler_interval_s: float = 30.0
    lock_watch_interval_s: float = 120.0  # how often held leases are checked for `stack_locked` alerts
    header_timeout_s: float = 10.0  # a request's headers must arrive within this (slow-loris)
    body_timeout_s: float = 30.0  # then its body


@dataclass
class Server:
    options: ServerOptions
    root: Path
    store: SqlStore
    queue: JobQueue
    metrics: ServerMetrics
    receiver: Receiver
    pool: WorkerPool | None = None
    scheduler: DriftScheduler | None = None
    sweeper: ReviewSweeper | None = None
    lock_watch: LockWatch | None = None
    poller: Poller | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def start(self) -> None:
        if self.pool is not None:
            self.pool.start()
        if self.scheduler is not None:
            self.scheduler.start()
        if self.sweeper is not None:
            self.sweeper.start()
        if self.lock_watch is not None:
            self.lock_watch.start()
        if self.poller is not None:
            self.poller.start()

    def stop(self) -> None:
        for service in (self.poller, self.lock_watch, self.sweeper, self.scheduler, self.pool):
            if service is not None:
                service.stop()
        self.store.close()

    def wake(self, count: int) -> None:
        if self.pool is not None:
            self.pool.wake(count)

    def status(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "repo": str(self.root),
            "database": self.store.display_url,
            "jobs": self.queue.counts(),
            "workers": None if self.pool is None else {"size": self.pool.size, "running": self.pool.running()},
            "scheduler": None if self.scheduler is None else self.scheduler.status(),
            "poll": None if self.poller is None else self.poller.status().to_json(),
        }


def build_server(
    options: ServerOptions,
    *,
    secret: bytes | None,
    runner: JobRunner | None = None,
    database_url: str | None = None,
    clock: Callable[[], datetime] | None = None,
    public_url: str | None = None,
) -> Server:
    """Open the store (ORCHESTRATOR_DATABASE_URL, `database`, else the clone's SQLite) and wire the services.
    `runner` replaces the real flows (tests, the benchmark); `public_url` (default
    $ORCHESTRATOR_PUBLIC_URL) is where users reach the server, for the statuses' Details links."""
    from orchestrator.config.load import load_repository
    from orchestrator.git import GitRepo
    from orchestrator.server.dispatch import FlowRunner
    from orchestrator.store import open_store

    root = GitRepo(options.repo).root
    settings = _settings(root)
    store = SqlStore(database_url) if database_url else open_store(settings.get("database"), root)
    queue = JobQueue(store)
    metrics = ServerMetrics(queue.counts, insights=_insights_collector(store, root),
                            pull_mode=options.poll_s is not None)
    pool = None
    if options.workers > 0:
        public_url = public_url or os.environ.get(PUBLIC_URL_ENV) or None
        if runner is None and public_url is None:
            log.warning("%s is not set: commit statuses will have no Details link to this server", PUBLIC_URL_ENV)
        flows = FlowRunner(repo=root, store=store, remote=options.remote, public_url=public_url)
        pool = WorkerPool(queue, runner or flows,
                          workers=options.workers, metrics=metrics, lease_s=options.lease_s,
                          idle_s=options.idle_s, on_start=lambda: _recover_locks(store))
    wake = pool.wake if pool is not None else (lambda count: None)
    receiver = Receiver(queue, secret, metrics, wake, expected_repo=settings.get("vcs_repo"))
    server = Server(options=options, root=root, store=store, queue=queue, metrics=metrics, receiver=receiver,
                    pool=pool)
    if options.scheduler:
        now = clock or (lambda: datetime.now(UTC))
        server.scheduler = DriftScheduler(root, queue, clock=now, last_drift_runs=drift_store_last_runs(store),
                                          interval_s=options.scheduler_interval_s, metrics=metrics,
                                          on_queued=wake, load_config=lambda: load_repository(root))
        server.sweeper = ReviewSweeper(queue, review_sweep_due(root, store), clock=now, on_queued=wake)
        server.lock_watch = LockWatch(held_locks_check(root, store), interval_s=options.lock_watch_interval_s)
    if options.poll_s is not None:
        server.poller = Poller(root, queue, interval_s=options.poll_s, remote=options.remote, metrics=metrics,
                               on_queued=wake)
    return server


def _insights_collector(store: SqlStore, root: Path) -> Collector:
    from datetime import timedelta

    from orchestrator.flows.insights import load_rows
    from orchestrator.insights.model import Window
    from orchestrator.server.insights_metrics import InsightsCollector

    def everything() -> Rows:  # all history: the families are all-time counters and histograms
        now = datetime.now(UTC)
        return load_rows(store, Window(start=datetime.fromtimestamp(0, UTC), end=now + timedelta(days=1)),
                         repo_root=root)

    return InsightsCollector(everything)


def _settings(root: Path) -> dict[str, Any]:
    """`database` and `vcs.repo` from the clone's configuration; none when it does not load yet."""
    from orchestrator.config.load import load_repository

    try:
        settings = load_repository(root).settings
    except UserError as exc:
        log.warning("the configuration of %s does not load (%s); using defaults", root, exc.message)
        return {}
    return {"database": settings.database, "vcs_repo": settings.vcs_repo}


def _recover_locks(store: SqlStore) -> None:
    release_dead_runs_locks(store)


def release_dead_runs_locks(store: SqlStore) -> list[str]:
    """Free the stack leases of runs whose process is gone (a killed server's deploys), so the
    resumed jobs do not wait for them to lapse. The runs themselves are reported interrupted
    by the next deploy, as after any crash."""
    dead = {run.id for run in store.unfinished_runs()}
    released = []
    for lease in store.locks(include_expired=True):
        if lease.run_id in dead and store.release_lock(lease.stack, lease.run_id):
            released.append(lease.stack)
            store.audit(actor="orchestrator-server", action="lock.released", run_id=lease.run_id,
                        stack=lease.stack, details={"reason": "the run's process is gone"})
    if released:
        log.warning("released the stack leases of runs whose process died: %s", ", ".join(released))
    return released


def create_app(server: Server, *, manage_services: bool = True) -> Starlette:
    """The app; with `manage_services` its lifespan starts and stops the workers, scheduler and poller."""
    async def healthz(request: Request) -> JSONResponse:
        try:
            await run_in_threadpool(server.queue.counts)
        except UserError as exc:
            return JSONResponse({"ok": False, "error": exc.message}, status_code=503)
        return JSONResponse({"ok": True})

    async def metrics(request: Request) -> Response:
        body = await run_in_threadpool(server.metrics.render)
        return Response(body, media_type=CONTENT_TYPE)

    async def status(request: Request) -> JSONResponse:
        try:
            return JSONResponse(await run_in_threadpool(server.status))
        except UserError as exc:
            return JSONResponse({"error": exc.message}, status_code=503)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        Route("/status", status),
        Route("/webhooks/github", server.receiver.github, methods=["POST"]),
        Route("/webhooks/gitlab", server.receiver.gitlab, methods=["POST"]),
        *job_routes(server.queue),
        *dashboard_routes(server.store, server.root, server.status),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_services:
            await run_in_threadpool(server.start)
        try:
            yield
        finally:
            if manage_services:
                await run_in_threadpool(server.stop)

    return Starlette(routes=routes, lifespan=lifespan)


def run_server(server: Server, *, log_level: str = "info") -> None:
    """Serve until interrupted (SIGINT/SIGTERM stop the services, then the process)."""
    import uvicorn

    from orchestrator.server.protocol import deadline_protocol

    app = create_app(server)
    protocol = deadline_protocol(header_timeout_s=server.options.header_timeout_s,
                                 body_timeout_s=server.options.body_timeout_s)
    config = uvicorn.Config(app, host=server.options.host, port=server.options.port, log_level=log_level,
                            access_log=False, lifespan="on", http=protocol, timeout_keep_alive=5)
    # uvicorn has configured its loggers' handlers now: every line they and ours write is redacted.
    redact_log_handlers(*UVICORN_LOGGERS)
    running = uvicorn.Server(config)
    try:
        running.run()
    except SystemExit:  # uvicorn exits 3 when it cannot bind; that is the user's to fix, not a bug
        if running.started:
            raise
    if not running.started:  # uvicorn logged why (the port is taken, the address is not ours)
        raise UserError(f"the server did not start on {server.options.host}:{server.options.port}; "
                        "the reason is in the log line above",
                        "choose another --port or --host, or stop what listens there")
