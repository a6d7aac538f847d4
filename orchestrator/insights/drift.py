"""Drift over time: findings open each day, and how long they took to resolve.

A finding counts from when it was first seen until the drift check that no longer saw it
(resolved); acknowledged findings stay open. Failed reads (`error` findings) are not drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from orchestrator.insights.model import DRIFT_KINDS, FindingSpan, Window
from orchestrator.insights.stats import Distribution


@dataclass(frozen=True)
class DriftDay:
    day: date
    open: int  # at the end of the day (or at the window's end, for its last day)

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "open": self.open}


@dataclass(frozen=True)
class DriftMeasures:
    open_now: int  # at the window's end
    opened: int  # first seen in the window
    resolved: int  # resolved in the window
    time_to_resolve: Distribution  # of the findings resolved in the window

    def to_json(self) -> dict[str, Any]:
        return {"open": self.open_now, "opened": self.opened, "resolved": self.resolved,
                "time_to_resolve": self.time_to_resolve.to_json()}


def drift_spans(spans: Iterable[FindingSpan]) -> list[FindingSpan]:
    return [s for s in spans if s.kind in DRIFT_KINDS]


def drift_measures(spans: Iterable[FindingSpan], window: Window) -> DriftMeasures:
    mine = drift_spans(spans)
    resolved = [s for s in mine if s.resolved_at is not None and s.resolved_at in window]
    return DriftMeasures(
        open_now=_open_at(mine, window.end_s),
        opened=sum(1 for s in mine if s.opened_at in window),
        resolved=len(resolved),
        time_to_resolve=Distribution.of(
            max(0.0, s.resolved_at - s.opened_at) for s in resolved if s.resolved_at is not None
        ),
    )


def drift_days(spans: Iterable[FindingSpan], window: Window) -> list[DriftDay]:
    """Open findings at each day's end: one sweep over the opening and resolving times."""
    events: list[tuple[float, int]] = []
    for s in drift_spans(spans):
        events.append((s.opened_at, 1))
        if s.resolved_at is not None:
            events.append((s.resolved_at, -1))
    events.sort(key=lambda e: e[0])
    found = []
    index = count = 0
    for day in window.calendar_days():
        cut = min(datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC).timestamp(), window.end_s)
        while index < len(events) and events[index][0] < cut:
            count += events[index][1]
            index += 1
        found.append(DriftDay(day=day, open=count))
    return found


def _open_at(spans: Iterable[FindingSpan], when: float) -> int:
    return sum(1 for s in spans if s.opened_at < when and (s.resolved_at is None or s.resolved_at >= when))
