"""Values of a drift check. Pure data: the flow fills them, the reports render them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from orchestrator.engines.base import PropertyDiff
from orchestrator.models import GitDrift

FindingKind = Literal["drifted", "deleted", "unmanaged", "error"]
FindingState = Literal["new", "ongoing", "resolved", "acknowledged"]
StackDriftStatus = Literal["clean", "drifted", "error"]


@dataclass(frozen=True)
class Finding:
    """One thing that differs between the code's recorded state and the live cloud.

    `key` is stable across runs (environment, kind and the resource's URN, or ARN/id for an
    unmanaged resource) so a finding can be recognised as ongoing, resolved or acknowledged.
    `diffs` go recorded → live (old = recorded, new = live).
    """

    key: str
    environment: str
    kind: FindingKind
    type: str
    name: str
    stack: str | None = None  # <project>/<env>; None for unmanaged resources
    urn: str | None = None
    resource_id: str | None = None  # cloud id/ARN (unmanaged resources, deleted ones when known)
    diffs: tuple[PropertyDiff, ...] = ()
    message: str | None = None  # the error of a failed read
    state: FindingState = "new"
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_reason: str | None = None
    acknowledged_until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "environment": self.environment,
            "stack": self.stack,
            "urn": self.urn,
            "resource_id": self.resource_id,
            "type": self.type,
            "name": self.name,
            "kind": self.kind,
            "state": self.state,
            "diffs": [d.to_json() for d in self.diffs],
            "message": self.message,
            "first_seen": None if self.first_seen is None else self.first_seen.isoformat(),
            "last_seen": None if self.last_seen is None else self.last_seen.isoformat(),
            "acknowledged": None
            if self.acknowledged_by is None
            else {
                "by": self.acknowledged_by,
                "reason": self.acknowledged_reason,
                "until": None if self.acknowledged_until is None else self.acknowledged_until.isoformat(),
            },
        }


@dataclass(frozen=True)
class StackDrift:
    stack: str  # <project>/<env>
    project: str
    environment: str
    status: StackDriftStatus
    resources_checked: int = 0
    findings: int = 0  # active findings (not resolved, not acknowledged)
    ignored: int = 0  # property diffs suppressed by drift.ignore rules
    error: str | None = None
    duration_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": self.project,
            "environment": self.environment,
            "status": self.status,
            "resources_checked": self.resources_checked,
            "findings": self.findings,
            "ignored": self.ignored,
            "error": self.error,
            "duration_s": round(self.duration_s, 3),
        }


@dataclass(frozen=True)
class UnmanagedScan:
    environment: str
    region: str
    scanned: int  # cloud resources looked at
    excluded: int  # skipped by exclusion rules
    error: str | None = None
    duration_s: float = 0.0


@dataclass(frozen=True)
class DriftReport:
    """Everything a drift run found, with states relative to the previous run."""

    generated_at: datetime
    run_id: str | None
    environments: tuple[str, ...]
    stacks: tuple[StackDrift, ...]
    findings: tuple[Finding, ...]  # active, acknowledged and (since the last run) resolved
    scans: tuple[UnmanagedScan, ...] = ()
    ignored: int = 0
    only_changes: bool = True  # False: the report lists every finding, not only what changed
    # Stacks whose applied commit (read from their backends) is behind the branch that feeds
    # their environment, with changes since that affect them: Git drift, beside cloud drift.
    git_drift: tuple[GitDrift, ...] = ()

    @property
    def active(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.state in ("new", "ongoing"))

    @property
    def has_drift(self) -> bool:
        return any(f.kind != "error" for f in self.active)

    @property
    def has_git_drift(self) -> bool:
        return bool(self.git_drift)

    @property
    def has_errors(self) -> bool:
        return any(s.status == "error" for s in self.stacks) or any(f.kind == "error" for f in self.active)

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at.isoformat(),
            "run_id": self.run_id,
            "environments": list(self.environments),
            "stacks": [s.to_json() for s in self.stacks],
            "findings": [f.to_json() for f in self.findings],
            "unmanaged_scans": [
                {
                    "environment": s.environment,
                    "region": s.region,
                    "scanned": s.scanned,
                    "excluded": s.excluded,
                    "error": s.error,
                    "duration_s": round(s.duration_s, 3),
                }
                for s in self.scans
            ],
            "ignored": self.ignored,
            "git_drift": [d.to_json() for d in self.git_drift],
            "summary": {
                "new": sum(1 for f in self.findings if f.state == "new"),
                "ongoing": sum(1 for f in self.findings if f.state == "ongoing"),
                "resolved": sum(1 for f in self.findings if f.state == "resolved"),
                "acknowledged": sum(1 for f in self.findings if f.state == "acknowledged"),
            },
        }
