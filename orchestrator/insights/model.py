"""The rows insights are computed from, the window they cover and the scope they are filtered to.

Times in rows are POSIX seconds (UTC): cheap to compare and subtract for 100,000 rows. The window
holds aware datetimes and gives its bounds in seconds too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

# Flows that put a commit on a stack (reconcile: a stack brought to its branch's tip).
# Remediation (drift) and previews deliver no change.
CHANGE_FLOWS = ("deploy", "promote", "reconcile")
DEPLOYING_FLOWS = (*CHANGE_FLOWS, "rollback")
# Results of a deployment that ran; `locked` (never got the stack) and `skipped` did not.
RAN = ("succeeded", "failed")
DRIFT_KINDS = ("drifted", "deleted", "unmanaged")  # `error` findings are failed reads, not drift


class Deployment(NamedTuple):
    """One stack's update (or destroy) by a deploying flow: a row of the store's stack results.

    A named tuple, not a dataclass: a window holds 100,000 of them, built straight from
    database rows. `finished_at` is POSIX seconds (UTC), as every time in these rows.
    """

    flow: str  # deploy | promote | reconcile | rollback
    project: str
    environment: str
    commit: str
    status: str  # succeeded | failed | locked
    finished_at: float

    @property
    def stack(self) -> str:
        return f"{self.project}/{self.environment}"

    @property
    def is_change(self) -> bool:
        """A deployment of a new change (a rollback restores an old one)."""
        return self.flow in CHANGE_FLOWS

    @property
    def ran(self) -> bool:
        return self.status in RAN


@dataclass(frozen=True)
class FindingSpan:
    """One drift finding, open from `opened_at` until `resolved_at` (None: still open); POSIX seconds."""

    key: str
    environment: str
    project: str | None  # None for unmanaged resources (owned by no stack)
    kind: str
    opened_at: float
    resolved_at: float | None = None


class JobSpan(NamedTuple):
    """One server job: queued at `created_at`, claimed at `started_at`, done at `finished_at`; POSIX seconds.

    A named tuple for the same reason as `Deployment`: many rows, built straight from the database.
    """

    kind: str  # preview | deploy | drift | unlock | comment
    status: str
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def wait_s(self) -> float | None:
        return None if self.started_at is None else max(0.0, self.started_at - self.created_at)

    @property
    def run_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, self.finished_at - self.started_at)


@dataclass(frozen=True)
class Window:
    """[start, end): what the measures cover."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a window needs timezone-aware times")
        if self.end <= self.start:
            raise ValueError(f"a window must end after it starts ({self.start} .. {self.end})")

    @classmethod
    def last(cls, span: timedelta, *, now: datetime) -> Window:
        return cls(start=now - span, end=now)

    @property
    def start_s(self) -> float:
        return self.start.timestamp()

    @property
    def end_s(self) -> float:
        return self.end.timestamp()

    def __contains__(self, when: object) -> bool:
        """Whether POSIX seconds `when` fall in the window."""
        return isinstance(when, float | int) and self.start_s <= when < self.end_s

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def calendar_days(self) -> list[date]:
        """Every UTC day the window touches, oldest first."""
        first, last = self.start.astimezone(UTC).date(), (self.end - timedelta(microseconds=1)).astimezone(UTC).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class Scope:
    """Which environment and project the measures are about (None: all)."""

    environment: str | None = None
    project: str | None = None

    def covers(self, environment: str, project: str | None) -> bool:
        if self.environment is not None and environment != self.environment:
            return False
        return self.project is None or project == self.project


ALL = Scope()

_SPAN = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


MAX_SPAN = timedelta(days=3660)  # ten years: a window reaching before that holds no deployments of ours


def parse_span(text: str) -> timedelta:
    """`30d`, `12h`, `2w`, `90m` → a timedelta; ValueError with what to write otherwise."""
    found = _SPAN.match(text)
    if found is None or int(found.group(1)) == 0:
        raise ValueError(f"{text[:40]!r} is not a time span: write a whole number and a unit, e.g. 30d, 12h, 2w "
                         "or 90m")
    # Bounded before timedelta sees it: 10**20 days overflows it, and 10**8 weeks the calendar.
    count, unit = int(found.group(1)), found.group(2)
    if count > MAX_SPAN // timedelta(**{_UNITS[unit]: 1}):
        raise ValueError(f"{text[:40]!r} is longer than {MAX_SPAN.days} days (ten years); give a shorter span")
    return timedelta(**{_UNITS[unit]: count})


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def day_of(when: float) -> date:
    """The UTC day of POSIX seconds `when`."""
    return date.fromordinal(_EPOCH_ORDINAL + int(when // 86400))


def day_number(day: date) -> int:
    """Days since 1970-01-01: `int(seconds // 86400)` of any time that day."""
    return day.toordinal() - _EPOCH_ORDINAL


def seconds(when: datetime) -> float:
    """POSIX seconds of an aware datetime (what the rows hold)."""
    return when.timestamp()
