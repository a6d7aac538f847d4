"""All-time totals for Prometheus: counts that only grow (counters) and samples for histograms.

Prometheus wants counters that never go down, so deployments are counted by their status as
recorded (succeeded | failed | locked), which never changes, and rollbacks apart: a change
failure rate is then `(failed changes + rollbacks) / changes` in PromQL. Lead times and times to
restore are final once they happen, so their histograms only grow too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from orchestrator.insights.history import build_history
from orchestrator.insights.measures import Rows
from orchestrator.insights.model import DRIFT_KINDS


@dataclass(frozen=True)
class Totals:
    deployments: Mapping[tuple[str, str, str, str], int] = field(default_factory=dict)  # (env, project, flow, status)
    lead_times: Mapping[str, list[float]] = field(default_factory=dict)  # environment → seconds
    restores: Mapping[str, list[float]] = field(default_factory=dict)  # environment → seconds
    drift_open: Mapping[str, int] = field(default_factory=dict)  # environment → open findings now
    drift_resolved: Mapping[str, list[float]] = field(default_factory=dict)  # environment → seconds to resolve
    queue_waits: Mapping[str, list[float]] = field(default_factory=dict)  # kind of job → seconds
    queue_runs: Mapping[str, list[float]] = field(default_factory=dict)


def totals(rows: Rows) -> Totals:
    deployments = Counter((d.environment, d.project, d.flow, d.status) for d in rows.deployments)
    history = build_history(rows.deployments)
    leads: dict[str, list[float]] = defaultdict(list)
    restores: dict[str, list[float]] = defaultdict(list)
    for stack in history.stacks:
        restores[stack.environment].extend(i.restored_at - i.opened_at for i in stack.incidents
                                           if i.restored_at is not None)
    first: dict[tuple[str, str], float] = {}
    for stack in history.stacks:
        for commit, at in stack.first_deliveries:
            key = (stack.environment, commit)
            if commit in rows.commit_times and at < first.get(key, float("inf")):
                first[key] = at
    for (environment, commit), at in first.items():
        leads[environment].append(max(0.0, at - rows.commit_times[commit]))
    drift_open: Counter[str] = Counter()
    resolved: dict[str, list[float]] = defaultdict(list)
    for f in rows.findings:
        if f.kind not in DRIFT_KINDS:
            continue
        if f.resolved_at is None:
            drift_open[f.environment] += 1
        else:
            resolved[f.environment].append(max(0.0, f.resolved_at - f.opened_at))
    waits: dict[str, list[float]] = defaultdict(list)
    runs: dict[str, list[float]] = defaultdict(list)
    for job in rows.jobs:
        if (wait := job.wait_s) is not None:
            waits[job.kind].append(wait)
        if (run := job.run_s) is not None:
            runs[job.kind].append(run)
    return Totals(deployments=dict(deployments), lead_times=dict(leads), restores=dict(restores),
                  drift_open=dict(drift_open), drift_resolved=dict(resolved), queue_waits=dict(waits),
                  queue_runs=dict(runs))
