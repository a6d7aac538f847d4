"""Prometheus metrics of one server process, plus the queue as the shared database sees it.

`orchestrator_jobs{status=...}` is read from the database at scrape time, so every server
sharing a PostgreSQL queue reports the same totals; the `_total` counters and the duration
histogram count what this process did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class _QueueCollector(Collector):
    def __init__(self, counts: Callable[[], Mapping[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("orchestrator_jobs", "Jobs in the queue by status (shared database)",
                                   labels=["status"])
        up = GaugeMetricFamily("orchestrator_database_up", "1 when the job queue's database answered the scrape")
        try:
            counts = self._counts()
        except Exception:  # a scrape must not fail because the database is away: report it instead
            up.add_metric([], 0)
            yield up
            return
        for status, count in sorted(counts.items()):
            family.add_metric([status], count)
        up.add_metric([], 1)
        yield family
        yield up

    def describe(self) -> list[Any]:
        return []  # collected on demand only (it reads the database)


class ServerMetrics:
    def __init__(self, queue_counts: Callable[[], Mapping[str, int]] | None = None,
                 insights: Collector | None = None, *, pull_mode: bool = False) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # `_created` series only clutter a scrape
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # `reason`: why a delivery was malformed (not_json, too_deep, bad_number, bad_string,
        # bad_field, missing_field, not_object); empty for every other outcome.
        self.deliveries = Counter("orchestrator_webhook_deliveries",
                                  "Webhook deliveries by source, outcome and (when malformed) reason",
                                  ["source", "outcome", "reason"], registry=r)
        self.jobs_queued = Counter("orchestrator_jobs_queued", "Jobs queued by this process", ["kind"], registry=r)
        self.jobs_started = Counter("orchestrator_jobs_started", "Jobs this process's workers started", ["kind"],
                                    registry=r)
        self.jobs_finished = Counter("orchestrator_jobs_finished", "Jobs this process's workers finished",
                                     ["kind", "status"], registry=r)
        self.jobs_failed = Counter("orchestrator_jobs_failed", "Jobs that failed in this process", ["kind"],
                                   registry=r)
        self.jobs_requeued = Counter("orchestrator_jobs_requeued",
                                     "Jobs put back in the queue because their worker died", registry=r)
        self.job_duration = Histogram("orchestrator_job_duration_seconds", "Time a job ran", ["kind"],
                                      buckets=DURATION_BUCKETS, registry=r)
        self.jobs_running = Gauge("orchestrator_jobs_running_here", "Jobs running in this process now", registry=r)
        # Pull mode only: without polling, `orchestrator_poll_remote_up 0` would read as an outage.
        polled = r if pull_mode else None
        self.poll_up = Gauge("orchestrator_poll_remote_up",
                             "Pull mode: 1 when the last fetch of the remote succeeded, 0 when it failed",
                             registry=polled)
        self.poll_failures = Counter("orchestrator_poll_failures", "Pull mode: failed fetches", registry=polled)
        self.poll_last_success = Gauge("orchestrator_poll_last_success_timestamp_seconds",
                                       "Pull mode: when the remote was last fetched (Unix time)", registry=polled)
        self.scheduled = Counter("orchestrator_scheduled_jobs", "Drift jobs the scheduler queued", ["environment"],
                                 registry=r)
        if queue_counts is not None:
            r.register(_QueueCollector(queue_counts))
        if insights is not None:
            r.register(insights)  # the delivery measures (insights_metrics.py)

    def render(self) -> bytes:
        return generate_latest(self.registry)
