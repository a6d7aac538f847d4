"""The four DORA measures over the deployments of stacks.

Words (as `orchestrator insights` and the dashboard explain them):
- a *deployment* is one stack's update by `deploy`, `promote` or `rollback` that ran (succeeded
  or failed); a `locked` result is counted apart: the stack was never touched;
- a *change* is a deployment by `deploy` or `promote` (a rollback restores an old commit);
- a deployment is *rolled back* when the stack's next deployment is a rollback;
- *lead time* of a commit in an environment: from the commit's time to the first successful
  change deployment of it there (per project when filtered by project); a commit with no
  known time (not recorded, no longer in the clone) has no lead time;
- *change failure rate*: changes that failed or were rolled back, over all changes;
- *time to restore*: per stack, from the end of the first bad deployment (failed, or rolled
  back) to the end of the stack's next good successful deployment (the fix or the rollback).
A measure belongs to the window its deployment (or restore) finished in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from orchestrator.insights.model import Deployment, Window, day_of
from orchestrator.insights.stats import Distribution, ratio

Select = Callable[[str, str], bool]  # (environment, project) → in this group


@dataclass(frozen=True)
class Classified:
    deployment: Deployment
    rolled_back: bool = False  # succeeded, then undone by the stack's next deployment, a rollback

    @property
    def bad(self) -> bool:
        return self.deployment.status == "failed" or self.rolled_back

    @property
    def result(self) -> str:
        """succeeded | failed | rolled back | rollback | locked: how the dashboard's chart stacks it."""
        d = self.deployment
        if d.status != "succeeded":
            return d.status
        if self.rolled_back:
            return "rolled back"
        return "succeeded" if d.is_change else "rollback"


@dataclass(frozen=True)
class Incident:
    """A stack that was broken (failed or rolled back) from `opened_at` until `restored_at`."""

    project: str
    environment: str
    opened_at: datetime
    restored_at: datetime | None = None

    @property
    def restore_s(self) -> float | None:
        return None if self.restored_at is None else (self.restored_at - self.opened_at).total_seconds()


@dataclass(frozen=True)
class LeadSample:
    project: str
    environment: str
    commit: str
    delivered_at: datetime  # the first successful change deployment of the commit on the stack


@dataclass(frozen=True)
class History:
    """Deployments classified per stack, once, for every group and day to draw from."""

    deployments: tuple[Classified, ...]  # oldest first
    incidents: tuple[Incident, ...]
    first_deliveries: tuple[LeadSample, ...]


def build_history(deployments: Iterable[Deployment]) -> History:
    per_stack: dict[str, list[Deployment]] = defaultdict(list)
    for d in deployments:
        per_stack[d.stack].append(d)
    classified: list[Classified] = []
    incidents: list[Incident] = []
    firsts: list[LeadSample] = []
    for stack_deployments in per_stack.values():
        stack_deployments.sort(key=lambda d: (d.finished_at, d.started_at))
        mine = _classify(stack_deployments)
        classified.extend(mine)
        incidents.extend(_incidents(mine))
        firsts.extend(_first_deliveries(stack_deployments))
    classified.sort(key=lambda c: c.deployment.finished_at)
    return History(deployments=tuple(classified), incidents=tuple(incidents), first_deliveries=tuple(firsts))


def _classify(ordered: Sequence[Deployment]) -> list[Classified]:
    ran = [d for d in ordered if d.ran]
    undone = {id(d) for d, after in pairwise(ran)
              if d.status == "succeeded" and after.flow == "rollback"}
    return [Classified(d, rolled_back=id(d) in undone) for d in ordered]


def _incidents(ordered: Sequence[Classified]) -> list[Incident]:
    found: list[Incident] = []
    opened: Deployment | None = None
    for c in ordered:
        d = c.deployment
        if not d.ran:
            continue
        if c.bad:
            opened = opened or d
        elif opened is not None:
            found.append(Incident(d.project, d.environment, opened.finished_at, d.finished_at))
            opened = None
    if opened is not None:
        found.append(Incident(opened.project, opened.environment, opened.finished_at))
    return found


def _first_deliveries(ordered: Sequence[Deployment]) -> list[LeadSample]:
    seen: set[str] = set()
    found = []
    for d in ordered:
        if d.is_change and d.status == "succeeded" and d.commit not in seen:
            seen.add(d.commit)
            found.append(LeadSample(d.project, d.environment, d.commit, d.finished_at))
    return found


# --------------------------------------------------------------------------- measures


@dataclass(frozen=True)
class DeliveryMeasures:
    deployments: int  # that ran in the window
    per_day: float
    results: Mapping[str, int]  # Classified.result → count (locked included)
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


def delivery(history: History, commit_times: Mapping[str, datetime], window: Window,
             select: Select) -> DeliveryMeasures:
    mine = [c for c in history.deployments
            if c.deployment.finished_at in window and select(c.deployment.environment, c.deployment.project)]
    results: dict[str, int] = defaultdict(int)
    for c in mine:
        results[c.result] += 1
    ran = [c for c in mine if c.deployment.ran]
    changes = [c for c in ran if c.deployment.is_change]
    failed_changes = sum(1 for c in changes if c.bad)
    incidents = [i for i in history.incidents if select(i.environment, i.project)]
    restored = [i.restore_s for i in incidents if i.restored_at is not None and i.restored_at in window]
    unrestored = sum(1 for i in incidents
                     if i.opened_at < window.end and (i.restored_at is None or i.restored_at >= window.end))
    return DeliveryMeasures(
        deployments=len(ran),
        per_day=len(ran) / window.days,
        results=dict(results),
        changes=len(changes),
        failed_changes=failed_changes,
        change_failure_rate=ratio(failed_changes, len(changes)),
        lead_time=Distribution.of(s for _, s in lead_times(history, commit_times, window, select)),
        time_to_restore=Distribution.of(s for s in restored if s is not None),
        unrestored=unrestored,
    )


def lead_times(history: History, commit_times: Mapping[str, datetime], window: Window,
               select: Select) -> list[tuple[datetime, float]]:
    """(when delivered, seconds) per commit and environment delivered in the window.

    The first delivery over the group's stacks: with every project selected, a commit's lead
    time in an environment ends when its first stack there was updated to it.
    """
    first: dict[tuple[str, str], datetime] = {}
    for sample in history.first_deliveries:
        if not select(sample.environment, sample.project):
            continue
        key = (sample.environment, sample.commit)
        if key not in first or sample.delivered_at < first[key]:
            first[key] = sample.delivered_at
    found = []
    for (_, commit), delivered in first.items():
        committed = commit_times.get(commit)
        if committed is not None and delivered in window:
            found.append((delivered, max(0.0, (delivered - committed).total_seconds())))
    return found


# --------------------------------------------------------------------------- per day


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


def delivery_days(history: History, commit_times: Mapping[str, datetime], window: Window,
                  select: Select) -> list[DeliveryDay]:
    results: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    changes: dict[date, list[bool]] = defaultdict(list)
    for c in history.deployments:
        d = c.deployment
        if d.finished_at not in window or not select(d.environment, d.project):
            continue
        day = day_of(d.finished_at)
        results[day][c.result] += 1
        if d.ran and d.is_change:
            changes[day].append(c.bad)
    leads: dict[date, list[float]] = defaultdict(list)
    for delivered, seconds in lead_times(history, commit_times, window, select):
        leads[day_of(delivered)].append(seconds)
    return [
        DeliveryDay(day=day, results=dict(results.get(day, {})), lead_time=Distribution.of(leads.get(day, ())),
                    change_failure_rate=ratio(sum(changes.get(day, ())), len(changes.get(day, ()))))
        for day in window.calendar_days()
    ]
