"""The server's job queue: how long jobs waited for a worker and how long they ran, per kind of job.

A job belongs to the window it was queued in; one not claimed yet has no wait time, and it
is counted as waiting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from orchestrator.insights.model import JobSpan, Window, day_of
from orchestrator.insights.stats import Distribution


@dataclass(frozen=True)
class QueueMeasures:
    kind: str
    jobs: int
    waiting: int  # queued, not started yet
    wait: Distribution
    run: Distribution

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "jobs": self.jobs, "waiting": self.waiting, "wait": self.wait.to_json(),
                "run": self.run.to_json()}


@dataclass(frozen=True)
class QueueDay:
    day: date
    kind: str
    wait: Distribution

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "kind": self.kind, "wait": self.wait.to_json()}


def queue_measures(jobs: Iterable[JobSpan], window: Window) -> list[QueueMeasures]:
    """One entry per kind of job queued in the window, by kind."""
    start, end = window.start_s, window.end_s
    per_kind: dict[str, list[JobSpan]] = defaultdict(list)
    for job in jobs:
        if start <= job.created_at < end:
            per_kind[job.kind].append(job)
    return [
        QueueMeasures(
            kind=kind,
            jobs=len(mine),
            waiting=sum(1 for j in mine if j.started_at is None and j.status == "queued"),
            wait=Distribution.of(w for j in mine if (w := j.wait_s) is not None),
            run=Distribution.of(r for j in mine if (r := j.run_s) is not None),
        )
        for kind, mine in sorted(per_kind.items())
    ]


def queue_days(jobs: Iterable[JobSpan], window: Window) -> list[QueueDay]:
    """Wait time per day (the day a job was queued) and kind; days without jobs are left out."""
    start, end = window.start_s, window.end_s
    waits: dict[tuple[int, str], list[float]] = defaultdict(list)
    for kind, _, created, started, _ in jobs:
        if started is not None and start <= created < end:
            waits[(int(created // 86400), kind)].append(max(0.0, started - created))
    return [QueueDay(day=day_of(day * 86400), kind=kind, wait=Distribution.of(values))
            for (day, kind), values in sorted(waits.items())]
