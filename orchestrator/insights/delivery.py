"""The four DORA measures over the deployments of stacks.

Words (as `orchestrator insights` and the dashboard explain them):
- a *deployment* is one stack's update by `deploy`, `promote` or `rollback` that ran (succeeded
  or failed); a `locked` result is counted apart: the stack was never touched;
- a *change* is a deployment by `deploy` or `promote` (a rollback restores an old commit);
- a deployment is *rolled back* when the stack's next deployment is a rollback;
- *lead time* of a commit in an environment: from the commit's time to the first successful
  change deployment of it there (per project in the per-project figures); a commit with no
  known time (not recorded, no longer in the clone) has no lead time;
- *change failure rate*: changes that failed or were rolled back, over all changes;
- *time to restore*: per stack, from the end of the first bad deployment (failed, or rolled
  back) to the end of the stack's next good successful deployment (the fix or the rollback).
A figure belongs to the window its deployment (delivery, restore) finished in.

`history.build_history` judges each stack's deployments once; `breakdown` then tallies the
total, each environment, each project and each day.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from orchestrator.insights.history import BAD, History, StackHistory
from orchestrator.insights.model import Scope, Window, day_number
from orchestrator.insights.stats import Distribution, ratio


@dataclass(frozen=True)
class DeliveryMeasures:
    deployments: int  # that ran in the window
    per_day: float
    results: Mapping[str, int]  # result (see history.py) → count, locked included
    changes: int
    failed_changes: int  # failed or rolled back
    change_failure_rate: float | None
    lead_time: Distribution
    time_to_restore: Distribution  # incidents restored in the window
    unrestored: int  # incidents still open at the window's end

    def to_json(self) -> dict[str, Any]:
        return {
            "deployments": self.deployments,
            "per_day": round(self.per_day, 3),
            "results": dict(sorted(self.results.items())),
            "changes": self.changes,
            "failed_changes": self.failed_changes,
            "change_failure_rate": None if self.change_failure_rate is None else round(self.change_failure_rate, 4),
            "lead_time": self.lead_time.to_json(),
            "time_to_restore": self.time_to_restore.to_json(),
            "unrestored": self.unrestored,
        }


@dataclass(frozen=True)
class DeliveryDay:
    day: date
    results: Mapping[str, int]
    lead_time: Distribution
    change_failure_rate: float | None

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "results": dict(sorted(self.results.items())),
                "lead_time": self.lead_time.to_json(),
                "change_failure_rate": None if self.change_failure_rate is None
                else round(self.change_failure_rate, 4)}


@dataclass(frozen=True)
class Breakdown:
    total: DeliveryMeasures
    environments: Mapping[str, DeliveryMeasures]
    projects: Mapping[str, DeliveryMeasures]
    days: tuple[DeliveryDay, ...]


@dataclass
class _Tally:
    """Counts for one group (private, mutable)."""

    results: Counter[str] = field(default_factory=Counter)
    changes: int = 0
    bad_changes: int = 0
    leads: list[float] = field(default_factory=list)
    restores: list[float] = field(default_factory=list)
    unrestored: int = 0

    def add(self, result: str, change: bool, count: int) -> None:
        self.results[result] += count
        if change:
            self.changes += count
            if result in BAD:
                self.bad_changes += count

    def measures(self, days: float) -> DeliveryMeasures:
        ran = sum(n for result, n in self.results.items() if result != "locked")
        return DeliveryMeasures(
            deployments=ran, per_day=ran / days, results=dict(self.results), changes=self.changes,
            failed_changes=self.bad_changes, change_failure_rate=ratio(self.bad_changes, self.changes),
            lead_time=Distribution.of(self.leads), time_to_restore=Distribution.of(self.restores),
            unrestored=self.unrestored,
        )

    def day(self, day: date) -> DeliveryDay:
        return DeliveryDay(day=day, results=dict(self.results), lead_time=Distribution.of(self.leads),
                           change_failure_rate=ratio(self.bad_changes, self.changes))


@dataclass
class _Groups:
    total: _Tally = field(default_factory=_Tally)
    environments: defaultdict[str, _Tally] = field(default_factory=lambda: defaultdict(_Tally))
    projects: defaultdict[str, _Tally] = field(default_factory=lambda: defaultdict(_Tally))
    days: defaultdict[int, _Tally] = field(default_factory=lambda: defaultdict(_Tally))  # by POSIX day number


def breakdown(history: History, commit_times: Mapping[str, float], window: Window, scope: Scope) -> Breakdown:
    """The measures of the deployments in scope: in total, per environment, per project, per day."""
    groups = _Groups()
    mine = [s for s in history.stacks if scope.covers(s.environment, s.project)]
    for stack in mine:
        _count_results(stack, window, groups)
        _restores(stack, window, groups)
    _lead_times(mine, commit_times, window, groups)
    span = window.days
    return Breakdown(
        total=groups.total.measures(span),
        environments={e: t.measures(span) for e, t in groups.environments.items()},
        projects={p: t.measures(span) for p, t in sorted(groups.projects.items())},
        days=tuple(groups.days.get(day_number(day), _Tally()).day(day) for day in window.calendar_days()),
    )


def _count_results(stack: StackHistory, window: Window, groups: _Groups) -> None:
    # The window's slice of the stack's sorted columns, counted in C.
    low, high = bisect_left(stack.finished, window.start_s), bisect_left(stack.finished, window.end_s)
    if low == high:
        return
    results, changes = stack.results[low:high], stack.changes[low:high]
    tallies = (groups.total, groups.environments[stack.environment], groups.projects[stack.project])
    for (result, change), count in Counter(zip(results, changes, strict=True)).items():
        for tally in tallies:
            tally.add(result, change, count)
    for (day, result, change), count in Counter(zip(stack.days[low:high], results, changes, strict=True)).items():
        groups.days[day].add(result, change, count)


def _restores(stack: StackHistory, window: Window, groups: _Groups) -> None:
    start, end = window.start_s, window.end_s
    tallies = (groups.total, groups.environments[stack.environment], groups.projects[stack.project])
    for incident in stack.incidents:
        restored = incident.restored_at
        if restored is not None and start <= restored < end:
            for tally in tallies:
                tally.restores.append(restored - incident.opened_at)
        elif incident.opened_at < end and (restored is None or restored >= end):
            for tally in tallies:
                tally.unrestored += 1


def _lead_times(stacks: list[StackHistory], commit_times: Mapping[str, float], window: Window,
                groups: _Groups) -> None:
    """Per environment a commit is delivered by its first stack there; per project, by its own stack."""
    start, end = window.start_s, window.end_s
    per_env: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for stack in stacks:
        delivered = [(t, c) for c, t in stack.first_deliveries if t < end and c in commit_times]
        groups.projects[stack.project].leads.extend(max(0.0, t - commit_times[c]) for t, c in delivered if t >= start)
        per_env[stack.environment].extend(delivered)
    for environment, delivered in per_env.items():
        # Newest first into a dict: the oldest delivery of each commit is the one left.
        first = dict((c, t) for t, c in sorted(delivered, reverse=True))
        leads = [(t, max(0.0, t - commit_times[c])) for c, t in first.items() if t >= start]
        groups.environments[environment].leads.extend(lead for _, lead in leads)
        groups.total.leads.extend(lead for _, lead in leads)
        for t, lead in leads:
            groups.days[int(t // 86400)].leads.append(lead)
