"""The delivery measures on `/metrics`, read from the shared database at scrape time.

Every server sharing a database reports the same series. Families (Prometheus conventions:
counters end in `_total`, durations are histograms in seconds):
- `orchestrator_deployments_total{environment,project,flow,status}`: stack deployments by
  deploy, promote, reconcile and rollback, by their recorded status (succeeded, failed, locked);
- `orchestrator_lead_time_seconds{environment}`: commit time → first successful update there;
- `orchestrator_time_to_restore_seconds{environment}`: first bad deployment → next good one;
- `orchestrator_drift_findings_open{environment}` (gauge) and
  `orchestrator_drift_time_to_resolve_seconds{environment}`;
- `orchestrator_queue_wait_seconds{kind}` and `orchestrator_queue_run_seconds{kind}`.
The queries for a Grafana panel are in docs/operations.md.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from orchestrator.insights.measures import Rows
from orchestrator.insights.totals import totals

log = logging.getLogger("orchestrator.server.metrics")

HOUR = 3600.0
LEAD_TIME_BUCKETS = (300.0, 900.0, 1800.0, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR, 48 * HOUR, 168 * HOUR,
                     720 * HOUR)
RESTORE_BUCKETS = (60.0, 300.0, 900.0, 1800.0, HOUR, 3 * HOUR, 12 * HOUR, 24 * HOUR, 168 * HOUR)
QUEUE_BUCKETS = (0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 1800.0, HOUR)
RUN_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, HOUR, 3 * HOUR)


class InsightsCollector(Collector):
    """Reads all rows (`load`) at each scrape; a database that does not answer yields nothing here
    (`orchestrator_database_up` already says so)."""

    def __init__(self, load: Callable[[], Rows]) -> None:
        self._load = load

    def describe(self) -> list[Any]:
        return []  # collected on demand only (it reads the database)

    def collect(self) -> Iterator[Metric]:
        try:
            found = totals(self._load())
        except Exception:  # a scrape must not fail because the database is away
            log.warning("insights metrics: the store could not be read", exc_info=True)
            return
        deployments = CounterMetricFamily(
            "orchestrator_deployments", "Stack deployments (deploy, promote, rollback) by recorded status",
            labels=["environment", "project", "flow", "status"])
        for labels, count in sorted(found.deployments.items()):
            deployments.add_metric(list(labels), count)
        yield deployments
        yield _histogram("orchestrator_lead_time_seconds",
                         "Lead time for changes: commit time to first successful update in the environment",
                         "environment", found.lead_times, LEAD_TIME_BUCKETS)
        yield _histogram("orchestrator_time_to_restore_seconds",
                         "Time to restore a stack: first failed or rolled-back deployment to the next good one",
                         "environment", found.restores, RESTORE_BUCKETS)
        drift = GaugeMetricFamily("orchestrator_drift_findings_open", "Drift findings not resolved",
                                  labels=["environment"])
        for environment, count in sorted(found.drift_open.items()):
            drift.add_metric([environment], count)
        yield drift
        yield _histogram("orchestrator_drift_time_to_resolve_seconds", "First seen to resolved, per drift finding",
                         "environment", found.drift_resolved, RESTORE_BUCKETS)
        yield _histogram("orchestrator_queue_wait_seconds", "Time a server job waited for a worker", "kind",
                         found.queue_waits, QUEUE_BUCKETS)
        yield _histogram("orchestrator_queue_run_seconds", "Time a server job ran (all servers)", "kind",
                         found.queue_runs, RUN_BUCKETS)


def _histogram(name: str, documentation: str, label: str, samples: Mapping[str, Sequence[float]],
               buckets: Sequence[float]) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=[label])
    for value, observed in sorted(samples.items()):
        ordered = sorted(observed)
        cumulative = [(_bound(b), float(bisect.bisect_right(ordered, b))) for b in buckets]
        cumulative.append(("+Inf", float(len(ordered))))
        family.add_metric([value], cumulative, sum_value=sum(ordered))
    return family


def _bound(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
