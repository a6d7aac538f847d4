"""Summaries of durations (count, median, 90th percentile, mean) and how people read them."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Distribution:
    """Seconds; the figures are None when there is no sample."""

    count: int = 0
    median_s: float | None = None
    p90_s: float | None = None
    mean_s: float | None = None

    @classmethod
    def of(cls, samples: Iterable[float]) -> Distribution:
        values = sorted(samples)
        if not values:
            return cls()
        return cls(count=len(values), median_s=statistics.median(values), p90_s=percentile(values, 90),
                   mean_s=statistics.fmean(values))

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "median_s": _round(self.median_s), "p90_s": _round(self.p90_s),
                "mean_s": _round(self.mean_s)}


def percentile(sorted_values: list[float], pct: float) -> float:
    """The nearest-rank percentile (a value that occurred) of ascending `sorted_values`."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def seconds_text(seconds: float | None) -> str:
    """A duration for people: 45 s, 12 min, 3.5 h, 2.1 d; a dash for no figure."""
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"
