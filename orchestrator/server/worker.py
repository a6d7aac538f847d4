"""The worker pool: threads that claim jobs from the queue, run them and record the outcome.

One more thread keeps the claimed jobs' leases fresh and puts back the jobs of workers that
died (here, before a restart, or on another server sharing the database).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orchestrator.errors import UserError
from orchestrator.server.metrics import ServerMetrics
from orchestrator.store.job_model import FinalStatus, Job, WorkerId
from orchestrator.store.jobs import JobQueue

log = logging.getLogger("orchestrator.server")


@dataclass(frozen=True)
class JobOutcome:
    status: FinalStatus
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


JobRunner = Callable[[Job], JobOutcome]
# Called once at start, after the dead workers' jobs were put back (e.g. to free their stack leases).
Recovery = Callable[[], None]


class WorkerPool:
    def __init__(
        self,
        queue: JobQueue,
        runner: JobRunner,
        *,
        workers: int,
        metrics: ServerMetrics | None = None,
        lease_s: float = 60.0,
        idle_s: float = 1.0,
        on_start: Recovery | None = None,
    ) -> None:
        self.queue = queue
        self.runner = runner
        self.size = workers
        self.metrics = metrics or ServerMetrics()
        self.lease_s = lease_s
        self.idle_s = idle_s
        self.on_start = on_start
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._pending_wakes = 0
        self._running: dict[int, WorkerId] = {}
        self._running_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.ids = [WorkerId.for_thread(i) for i in range(workers)]

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        requeued = self.queue.requeue_abandoned()
        if requeued:
            log.warning("resumed %d job(s) whose worker died: %s", len(requeued), requeued)
            self.metrics.jobs_requeued.inc(len(requeued))
        if self.on_start is not None:
            self.on_start()
        for worker in self.ids:
            thread = threading.Thread(target=self._work, args=(worker,), name=f"worker-{worker.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.size:
            keeper = threading.Thread(target=self._keep_leases, name="lease-keeper", daemon=True)
            keeper.start()
            self._threads.append(keeper)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; wait up to `timeout` for running jobs. Jobs still running stay claimed by
        this process and are resumed when a server starts again (their process is gone by then)."""
        self._stop.set()
        self.wake(len(self._threads))
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def wake(self, count: int = 1) -> None:
        """New jobs were queued: idle workers look now instead of at their next poll."""
        with self._wake:
            self._pending_wakes += count
            self._wake.notify(count)

    def running(self) -> dict[int, str]:
        with self._running_lock:
            return {job_id: worker.name for job_id, worker in self._running.items()}

    # ------------------------------------------------------------------ threads
    def _work(self, worker: WorkerId) -> None:
        while not self._stop.is_set():
            try:
                job = self.queue.claim(worker, lease_s=self.lease_s)
            except UserError as exc:  # the database is away: wait and retry, do not die
                log.error("claiming a job failed: %s", exc.message)
                self._idle()
                continue
            if job is None:
                self._idle()
                continue
            self._run(worker, job)

    def _idle(self) -> None:
        with self._wake:
            if self._pending_wakes == 0:
                self._wake.wait(self.idle_s)
            self._pending_wakes = max(0, self._pending_wakes - 1)

    def _run(self, worker: WorkerId, job: Job) -> None:
        with self._running_lock:
            self._running[job.id] = worker
        self.metrics.jobs_started.labels(job.kind).inc()
        self.metrics.jobs_running.inc()
        started = time.monotonic()
        log.info("job %d (%s %s) started by %s, attempt %d", job.id, job.kind, job.key, worker.name, job.attempts)
        try:
            outcome = self.runner(job)
        except UserError as exc:
            outcome = JobOutcome("failed", error=str(exc))
        except Exception as exc:  # a bug in a flow must not kill the worker thread
            log.exception("job %d (%s) raised", job.id, job.kind)
            outcome = JobOutcome("failed", error=f"internal error: {type(exc).__name__}: {exc}")
        elapsed = time.monotonic() - started
        try:
            recorded = self._finish(worker, job, outcome)
        finally:
            with self._running_lock:
                self._running.pop(job.id, None)
            self.metrics.jobs_running.dec()
        self.metrics.job_duration.labels(job.kind).observe(elapsed)
        self.metrics.jobs_finished.labels(job.kind, outcome.status).inc()
        if outcome.status == "failed":
            self.metrics.jobs_failed.labels(job.kind).inc()
        log.info("job %d (%s) %s in %.1fs%s%s", job.id, job.kind, outcome.status, elapsed,
                 f": {outcome.error}" if outcome.error else "", "" if recorded else " (no longer ours: not recorded)")

    def _finish(self, worker: WorkerId, job: Job, outcome: JobOutcome) -> bool:
        from orchestrator.redact import Redactor

        error = None if outcome.error is None else str(Redactor().value(outcome.error))
        result = Redactor().value(outcome.result)
        for attempt in range(5):  # the outcome matters: retry a briefly unreachable database
            try:
                return self.queue.finish(job.id, worker, outcome.status, result=result, error=error)
            except UserError as exc:
                log.error("recording job %d failed (attempt %d): %s", job.id, attempt + 1, exc.message)
                time.sleep(min(2.0**attempt, 10.0))
        return False

    def _keep_leases(self) -> None:
        interval = max(0.05, self.lease_s / 3)
        while not self._stop.wait(interval):
            try:
                running = self.running()
                if running:
                    self.queue.heartbeat(set(running.values()), running, lease_s=self.lease_s)
                requeued = self.queue.requeue_abandoned()
                if requeued:
                    log.warning("resumed %d job(s) whose worker died: %s", len(requeued), requeued)
                    self.metrics.jobs_requeued.inc(len(requeued))
                    self.wake(len(requeued))
            except UserError as exc:
                log.error("renewing job leases failed: %s", exc.message)
