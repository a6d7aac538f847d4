"""Every measure at once, for one window and scope: what `orchestrator insights`, the dashboard's
Insights page and `/metrics` show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestrator.insights.delivery import DeliveryDay, DeliveryMeasures, breakdown
from orchestrator.insights.drift import DriftDay, DriftMeasures, drift_days, drift_measures
from orchestrator.insights.history import build_history
from orchestrator.insights.model import ALL, Deployment, FindingSpan, JobSpan, Scope, Window
from orchestrator.insights.queue import QueueDay, QueueMeasures, queue_days, queue_measures


@dataclass(frozen=True)
class Rows:
    """What the store holds, as plain rows (deployments may start before the window: they give
    the context that decides a first delivery, a rollback or an incident's start)."""

    deployments: Sequence[Deployment] = ()
    commit_times: Mapping[str, float] = field(default_factory=dict)  # commit → POSIX seconds
    findings: Sequence[FindingSpan] = ()
    jobs: Sequence[JobSpan] = ()


@dataclass(frozen=True)
class Insights:
    window: Window
    scope: Scope
    delivery: DeliveryMeasures
    environments: Mapping[str, DeliveryMeasures]  # in the scope, in the order given
    projects: Mapping[str, DeliveryMeasures]
    drift: DriftMeasures
    queue: tuple[QueueMeasures, ...]  # the server's queue serves every environment: not scoped
    days: tuple[DeliveryDay, ...]
    drift_days: tuple[DriftDay, ...]
    queue_days: tuple[QueueDay, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "window": {"start": self.window.start.isoformat(), "end": self.window.end.isoformat(),
                       "days": round(self.window.days, 3)},
            "scope": {"environment": self.scope.environment, "project": self.scope.project},
            "delivery": self.delivery.to_json(),
            "environments": {name: m.to_json() for name, m in self.environments.items()},
            "projects": {name: m.to_json() for name, m in self.projects.items()},
            "drift": self.drift.to_json(),
            "queue": [q.to_json() for q in self.queue],
            "series": {
                "delivery": [d.to_json() for d in self.days],
                "drift": [d.to_json() for d in self.drift_days],
                "queue": [q.to_json() for q in self.queue_days],
            },
        }


def compute(rows: Rows, window: Window, scope: Scope = ALL, *,
            environment_order: Sequence[str] = ()) -> Insights:
    """The measures of `rows` over `window`, for `scope`, broken down by environment and project."""
    history = build_history(rows.deployments)
    delivered = breakdown(history, rows.commit_times, window, scope)
    order = {name: n for n, name in enumerate(environment_order)}
    environments = sorted(delivered.environments, key=lambda e: (order.get(e, len(order)), e))
    # Unmanaged resources belong to no project: they count only when no project is chosen.
    findings = [f for f in rows.findings if scope.covers(f.environment, f.project)]
    return Insights(
        window=window,
        scope=scope,
        delivery=delivered.total,
        environments={e: delivered.environments[e] for e in environments},
        projects=delivered.projects,
        drift=drift_measures(findings, window),
        queue=tuple(queue_measures(rows.jobs, window)),
        days=delivered.days,
        drift_days=tuple(drift_days(findings, window)),
        queue_days=tuple(queue_days(rows.jobs, window)),
    )
