"""Every measure at once, for one window and scope: what `orchestrator insights`, the dashboard's
Insights page and `/metrics` show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orchestrator.insights.delivery import (
    DeliveryDay,
    DeliveryMeasures,
    Select,
    build_history,
    delivery,
    delivery_days,
)
from orchestrator.insights.drift import DriftDay, DriftMeasures, drift_days, drift_measures
from orchestrator.insights.model import ALL, Deployment, FindingSpan, JobSpan, Scope, Window
from orchestrator.insights.queue import QueueDay, QueueMeasures, queue_days, queue_measures


@dataclass(frozen=True)
class Rows:
    """What the store holds, as plain rows (deployments may start before the window: they give
    the context that decides a first delivery, a rollback or an incident's start)."""

    deployments: Sequence[Deployment] = ()
    commit_times: Mapping[str, datetime] = field(default_factory=dict)
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
    in_scope: Select = scope.covers
    seen_envs = {d.environment for d in rows.deployments if scope.covers(d.environment, d.project)}
    seen_projects = {d.project for d in rows.deployments if scope.covers(d.environment, d.project)}
    order = {name: n for n, name in enumerate(environment_order)}
    environments = sorted(seen_envs, key=lambda e: (order.get(e, len(order)), e))

    def env_group(env: str) -> Select:
        return lambda e, p: e == env and scope.covers(e, p)

    def project_group(project: str) -> Select:
        return lambda e, p: p == project and scope.covers(e, p)

    # Unmanaged resources belong to no project: they count only when no project is chosen.
    findings = [f for f in rows.findings if scope.covers(f.environment, f.project)]
    return Insights(
        window=window,
        scope=scope,
        delivery=delivery(history, rows.commit_times, window, in_scope),
        environments={e: delivery(history, rows.commit_times, window, env_group(e)) for e in environments},
        projects={p: delivery(history, rows.commit_times, window, project_group(p)) for p in sorted(seen_projects)},
        drift=drift_measures(findings, window),
        queue=tuple(queue_measures(rows.jobs, window)),
        days=tuple(delivery_days(history, rows.commit_times, window, in_scope)),
        drift_days=tuple(drift_days(findings, window)),
        queue_days=tuple(queue_days(rows.jobs, window)),
    )
