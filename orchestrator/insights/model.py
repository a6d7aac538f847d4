"""The rows insights are computed from, the window they cover and the scope they are filtered to.

Times are timezone-aware UTC datetimes, as the store gives them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

# Flows that put a commit on a stack. Remediation (drift) and previews deliver no change.
CHANGE_FLOWS = ("deploy", "promote")
DEPLOYING_FLOWS = (*CHANGE_FLOWS, "rollback")
# Results of a deployment that ran; `locked` (never got the stack) and `skipped` did not.
RAN = ("succeeded", "failed")
DRIFT_KINDS = ("drifted", "deleted", "unmanaged")  # `error` findings are failed reads, not drift


@dataclass(frozen=True)
class Deployment:
    """One stack's update (or destroy) by a deploying flow: a row of the store's stack results."""

    run_id: str
    flow: str  # deploy | promote | rollback
    project: str
    environment: str
    commit: str
    status: str  # succeeded | failed | locked
    started_at: datetime
    finished_at: datetime

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
    """One drift finding, open from `opened_at` until `resolved_at` (None: still open)."""

    key: str
    environment: str
    project: str | None  # None for unmanaged resources (owned by no stack)
    kind: str
    opened_at: datetime
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class JobSpan:
    """One server job: queued at `created_at`, claimed at `started_at`, done at `finished_at`."""

    kind: str  # preview | deploy | drift | unlock | comment
    status: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def wait_s(self) -> float | None:
        return None if self.started_at is None else max(0.0, (self.started_at - self.created_at).total_seconds())

    @property
    def run_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())


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

    def __contains__(self, when: object) -> bool:
        return isinstance(when, datetime) and self.start <= when < self.end

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


def parse_span(text: str) -> timedelta:
    """`30d`, `12h`, `2w`, `90m` → a timedelta; ValueError with what to write otherwise."""
    found = _SPAN.match(text)
    if found is None or int(found.group(1)) == 0:
        raise ValueError(f"{text!r} is not a time span: write a whole number and a unit, e.g. 30d, 12h, 2w or 90m")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def day_of(when: datetime) -> date:
    return when.astimezone(UTC).date()
