"""What the flows ask of the store: runs, per-stack results, the audit log, locks, promotions.

Values are frozen dataclasses; the SQLAlchemy implementation is in `sql.py`. Times are
timezone-aware UTC datetimes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from orchestrator.engines.base import StackResult

Flow = Literal["preview", "deploy", "drift", "rollback", "promote", "remediate", "reconcile", "review"]
RunStatus = Literal["running", "succeeded", "failed", "interrupted", "blocked"]
LockPurpose = Literal["deploy", "pr"]


def new_run_id(now: datetime) -> str:
    """`20261130-150528-24ae221e`: sortable by eye, short enough to type into `rollback --to`,
    fit for a file name (report files carry it)."""
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Run:
    id: str
    flow: Flow
    commit: str
    branch: str | None
    actor: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None = None
    pr: int | None = None
    environments: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    holder_pid: int | None = None
    holder_host: str | None = None


@dataclass(frozen=True)
class StackRunRecord:
    run_id: str
    flow: Flow
    stack: str  # <project>/<env>
    project: str
    environment: str
    commit: str
    operation: str
    status: str  # StackResult.status
    counts: dict[str, int]
    started_at: datetime
    finished_at: datetime
    error: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)  # StackResult.to_json()["changes"], redacted


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str  # e.g. deploy.started, gate.passed, gate.blocked, stack.updated, lock.released, promote
    run_id: str | None = None
    environment: str | None = None
    stack: str | None = None
    commit: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Lease:
    stack: str
    holder: str  # who: "deploy run <id> by <actor> on <host> pid <pid>"
    run_id: str
    commit: str
    purpose: LockPurpose
    acquired_at: datetime
    expires_at: datetime
    pr: int | None = None


@dataclass(frozen=True)
class Promotion:
    environment: str
    commit: str
    actor: str
    at: datetime
    reason: str | None = None


class Store(Protocol):
    # runs
    def start_run(
        self,
        *,
        flow: Flow,
        commit: str,
        branch: str | None,
        actor: str,
        pr: int | None = None,
        environments: tuple[str, ...] = (),
        details: dict[str, Any] | None = None,
    ) -> Run: ...

    def finish_run(self, run_id: str, status: RunStatus, *, details: dict[str, Any] | None = None) -> None: ...

    def get_run(self, run_id: str) -> Run | None: ...

    def runs(self, *, flow: Flow | None = None, limit: int = 50) -> list[Run]: ...

    def unfinished_runs(self) -> list[Run]:
        """Runs still marked running whose process is gone (pid/host recorded at start)."""
        ...

    def mark_interrupted(self, run_id: str) -> None: ...

    # results
    def record_stack_result(self, run_id: str, *, commit: str, result: StackResult, started_at: datetime) -> None: ...

    def environment_succeeded(self, environment: str, commit: str) -> bool:
        """Whether a deploy (or rollback) of `commit` finished successfully in `environment`."""
        ...

    def record_environment_result(self, environment: str, commit: str, run_id: str, status: RunStatus) -> None: ...

    def history(
        self, *, environment: str | None = None, project: str | None = None, limit: int = 50
    ) -> list[StackRunRecord]: ...

    def current_commits(self) -> dict[str, str]:
        """stack id → commit of its last successful update (what the stack runs now)."""
        ...

    # audit (append-only: no update or delete)
    def audit(
        self,
        *,
        actor: str,
        action: str,
        run_id: str | None = None,
        environment: str | None = None,
        stack: str | None = None,
        commit: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None: ...

    def audit_log(self, *, limit: int = 100, run_id: str | None = None) -> list[AuditEntry]: ...

    # locks (leases)
    def acquire_lock(
        self,
        stack: str,
        *,
        holder: str,
        run_id: str,
        commit: str,
        ttl_s: float,
        purpose: LockPurpose = "deploy",
        pr: int | None = None,
    ) -> Lease | None:
        """The lease, or None when someone else holds an unexpired one (read it with get_lock)."""
        ...

    def renew_lock(self, stack: str, run_id: str, ttl_s: float) -> bool: ...

    def release_lock(self, stack: str, run_id: str) -> bool: ...

    def force_release(self, stack: str) -> Lease | None: ...

    def get_lock(self, stack: str) -> Lease | None:
        """The unexpired lease on `stack`, if any."""
        ...

    def locks(self, *, include_expired: bool = False) -> list[Lease]: ...

    def release_pr_locks(self, pr: int) -> list[str]: ...

    # promotions (`orchestrator promote`)
    def record_promotion(self, environment: str, commit: str, actor: str, reason: str | None = None) -> Promotion: ...

    def promotion(self, environment: str, commit: str) -> Promotion | None: ...
