"""What the dashboard shows, read from the store: the stack matrix, filtered run history, a run's detail.

Read-only queries on the store's tables (through `SqlStore.transaction`, so SQLite's locking
and the clear connection errors apply). Values are frozen dataclasses; rendering is in
dashboard.py and templates/. The one write, releasing a lock, is `release_lock`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from orchestrator.engines.base import PolicyViolation
from orchestrator.errors import UserError
from orchestrator.flows.reconcile import stored_git_drift
from orchestrator.models import GitDrift
from orchestrator.store import schema
from orchestrator.store.api import AuditEntry, Lease, Run, StackRunRecord
from orchestrator.store.policy import run_violations
from orchestrator.store.rows import audit_entry_from_row, run_from_row, stack_run_record_from_row
from orchestrator.store.sql import SqlStore

log = logging.getLogger("orchestrator.server.dashboard")

# The flows whose result is what a stack runs now; previews and drift checks are shown apart.
DEPLOYING_FLOWS = ("deploy", "rollback", "promote", "remediate")
FLOWS = ("preview", "deploy", "drift", "rollback", "promote", "remediate")
RUN_STATUSES = ("running", "succeeded", "failed", "interrupted", "blocked")
PAGE_SIZE = 50
DriftStatus = Literal["clean", "drifted", "error", "unknown"]


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class DriftState:
    """A stack's drift as last checked: `unknown` when never checked (or drift memory is absent)."""

    status: DriftStatus
    drifted: int = 0  # active (new or ongoing) findings of drifted or deleted resources
    acknowledged: int = 0
    checked_at: datetime | None = None
    run_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class LockView:
    lease: Lease
    expired: bool


@dataclass(frozen=True)
class Cell:
    """One stack (project × environment) in the matrix."""

    project: str
    environment: str
    deployed_here: bool  # False: the configuration does not deploy this project to this environment
    last: StackRunRecord | None  # its last deploying result
    current_commit: str | None  # the commit of its last successful update
    drift: DriftState
    lock: LockView | None
    blocked: AuditEntry | None = None  # a gate that stopped a later deploy of this environment
    behind: GitDrift | None = None  # behind its branch with changes that affect it (e.g. rolled back)

    @property
    def stack(self) -> str:
        return f"{self.project}/{self.environment}"


@dataclass(frozen=True)
class EnvironmentColumn:
    name: str
    order: int
    protected: bool = False
    branches: tuple[str, ...] = ()
    unmanaged: int | None = None  # active unmanaged findings; None: unknown


@dataclass(frozen=True)
class Matrix:
    projects: tuple[str, ...]
    environments: tuple[EnvironmentColumn, ...]
    cells: Mapping[tuple[str, str], Cell]
    config_error: str | None = None  # the configuration did not load: rows and columns come from the store
    drift_note: str | None = None  # why drift state is unknown everywhere, when it is

    def cell(self, project: str, environment: str) -> Cell:
        return self.cells[(project, environment)]


@dataclass(frozen=True)
class RunFilters:
    flow: str | None = None
    environment: str | None = None
    project: str | None = None
    status: str | None = None
    page: int = 1

    def query(self, **changes: Any) -> dict[str, str]:
        """These filters (with `changes`) as query parameters, empty ones left out."""
        values = {"flow": self.flow, "environment": self.environment, "project": self.project,
                  "status": self.status, "page": self.page, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)}


@dataclass(frozen=True)
class RunRow:
    run: Run
    stacks: int
    statuses: Mapping[str, int]  # stack result status → how many


@dataclass(frozen=True)
class RunPage:
    rows: tuple[RunRow, ...]
    filters: RunFilters
    has_next: bool


@dataclass(frozen=True)
class RunDetail:
    run: Run
    stacks: tuple[StackRunRecord, ...]
    audit: tuple[AuditEntry, ...]  # oldest first: the run's story
    locks: tuple[LockView, ...] = field(default_factory=tuple)  # leases the run still holds
    violations: dict[str, tuple[PolicyViolation, ...]] = field(default_factory=dict)  # stack id → policy findings


# --------------------------------------------------------------------------- the matrix


def load_matrix(store: SqlStore, repo_root: Path) -> Matrix:
    """Projects × environments (from the configuration, environments in promotion order) with
    each stack's last deploying result, current commit, drift state and lock."""
    columns, projects, deploys, config_error = _layout(repo_root)
    # A stack that did not run (skipped: a failed dependency, a closed gate) still runs what its
    # last real result says; the gate that stopped it shows as `blocked`.
    last = latest_results(store, DEPLOYING_FLOWS, ran_only=True)
    current = store.current_commits()
    drift, drift_note, unmanaged = drift_states(store)
    locks = lock_views(store)
    blocks = latest_gate_blocks(store)
    behind = stored_git_drift(repo_root, store) if config_error is None else {}
    if config_error is not None:  # no configuration: show what the store knows
        seen = [*last.values(), *_drift_records(store).values()]
        projects = tuple(sorted({r.project for r in seen}))
        columns = tuple(EnvironmentColumn(name=env, order=0) for env in sorted({r.environment for r in seen}))
    columns = tuple(
        EnvironmentColumn(c.name, c.order, c.protected, c.branches,
                          None if drift_note else unmanaged.get(c.name, 0)) for c in columns
    )
    cells = {}
    for project in projects:
        for column in columns:
            stack = f"{project}/{column.name}"
            cells[(project, column.name)] = Cell(
                project=project,
                environment=column.name,
                deployed_here=deploys(project, column.name),
                last=last.get(stack),
                current_commit=current.get(stack),
                drift=drift.get(stack, DriftState("unknown")),
                lock=locks.get(stack),
                blocked=_newer_block(blocks.get(column.name), last.get(stack)),
                behind=behind.get(stack),
            )
    return Matrix(projects=projects, environments=columns, cells=cells, config_error=config_error,
                  drift_note=drift_note)


Deploys = Callable[[str, str], bool]  # (project, environment) → whether the configuration deploys it there


def _layout(repo_root: Path) -> tuple[tuple[EnvironmentColumn, ...], tuple[str, ...], Deploys, str | None]:
    from orchestrator.config import load_repository

    try:
        config = load_repository(repo_root)
    except UserError as exc:
        log.warning("dashboard: the configuration of %s does not load: %s", repo_root, exc.message)
        return (), (), lambda project, env: True, exc.message
    ordered = sorted(config.environments.values(), key=lambda e: (e.order, e.name))
    columns = tuple(
        EnvironmentColumn(name=e.name, order=e.order, protected=e.protected, branches=e.branch_rules) for e in ordered
    )
    return columns, tuple(sorted(config.projects)), config.deploys, None


def latest_results(store: SqlStore, flows: Sequence[str], *, ran_only: bool = False) -> dict[str, StackRunRecord]:
    """stack id → its newest result among `flows` (one query, whatever the number of stacks)."""
    results = schema.stack_results
    newest_first = sa.func.row_number().over(
        partition_by=results.c.stack, order_by=(results.c.finished_at.desc(), results.c.id.desc())
    )
    chosen = sa.select(results, newest_first.label("rank")).where(results.c.flow.in_(list(flows)))
    if ran_only:
        chosen = chosen.where(results.c.status != "skipped")
    ranked = chosen.subquery()
    query = sa.select(*(ranked.c[c.name] for c in results.c)).where(ranked.c.rank == 1)
    with store.transaction(write=False) as conn:
        return {row["stack"]: stack_run_record_from_row(row) for row in conn.execute(query).mappings()}


def latest_gate_blocks(store: SqlStore) -> dict[str, AuditEntry]:
    """environment → the newest `gate.blocked` audit entry (a deploy stopped before its stacks ran)."""
    log_table = schema.audit_log
    newest_first = sa.func.row_number().over(partition_by=log_table.c.environment, order_by=log_table.c.id.desc())
    ranked = (
        sa.select(log_table, newest_first.label("rank"))
        .where(log_table.c.action == "gate.blocked", log_table.c.environment.is_not(None))
        .subquery()
    )
    query = sa.select(*(ranked.c[c.name] for c in log_table.c)).where(ranked.c.rank == 1)
    with store.transaction(write=False) as conn:
        return {row["environment"]: audit_entry_from_row(row) for row in conn.execute(query).mappings()}


def _newer_block(block: AuditEntry | None, last: StackRunRecord | None) -> AuditEntry | None:
    """The block, unless the stack was deployed after it (the gate has since passed)."""
    if block is None or (last is not None and last.finished_at >= block.at):
        return None
    return block


def _drift_records(store: SqlStore) -> dict[str, StackRunRecord]:
    return latest_results(store, ("drift",))


def drift_states(store: SqlStore) -> tuple[dict[str, DriftState], str | None, dict[str, int]]:
    """stack id → drift state; a note when drift memory is not available; environment → unmanaged count.

    A stack's state is its last drift check (an `error` when the check failed) combined with the
    stored findings: active findings of drifted or deleted resources make it `drifted N`.
    """
    try:
        from orchestrator.store.drift import DriftStore
    except ImportError:  # the drift feature is not installed: say so rather than guess
        return {}, "drift findings are not available in this installation", {}
    records = _drift_records(store)
    findings = DriftStore(store).findings(active_only=True)
    drifted: dict[str, int] = {}
    acknowledged: dict[str, int] = {}
    errors: dict[str, str] = {}
    unmanaged: dict[str, int] = {}
    for finding in findings.values():
        if finding.stack is None:
            if finding.kind == "unmanaged" and finding.state in ("new", "ongoing"):
                unmanaged[finding.environment] = unmanaged.get(finding.environment, 0) + 1
            continue
        if finding.state == "acknowledged":
            acknowledged[finding.stack] = acknowledged.get(finding.stack, 0) + 1
        elif finding.kind == "error":
            errors.setdefault(finding.stack, finding.message or f"{finding.name} could not be read")
        else:
            drifted[finding.stack] = drifted.get(finding.stack, 0) + 1
    states = {
        stack: _drift_state(record, drifted.get(stack, 0), acknowledged.get(stack, 0), errors.get(stack))
        for stack, record in records.items()
    }
    return states, None, unmanaged


def _drift_state(record: StackRunRecord, drifted: int, acknowledged: int, finding_error: str | None) -> DriftState:
    status: DriftStatus = "clean"
    if record.status != "succeeded" or finding_error is not None:
        status = "error"
    elif drifted:
        status = "drifted"
    return DriftState(status, drifted=drifted, acknowledged=acknowledged, checked_at=record.finished_at,
                      run_id=record.run_id, error=(record.error or finding_error) if status == "error" else None)


def lock_views(store: SqlStore) -> dict[str, LockView]:
    """Every lease, expired ones too (a lapsed lease of a dead run is worth seeing), by stack."""
    now = store.lease_clock()
    return {lease.stack: LockView(lease, lease.expires_at <= now) for lease in store.locks(include_expired=True)}


# --------------------------------------------------------------------------- run history


def load_runs(store: SqlStore, filters: RunFilters, *, page_size: int = PAGE_SIZE) -> RunPage:
    """Runs matching `filters`, newest first, one page of them (one row more is read to know
    whether a next page exists)."""
    runs, results = schema.runs, schema.stack_results
    query = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc())
    if filters.flow:
        query = query.where(runs.c.flow == filters.flow)
    if filters.status:
        query = query.where(runs.c.status == filters.status)
    if filters.environment or filters.project:
        conditions = [results.c.run_id == runs.c.id]
        if filters.environment:
            conditions.append(results.c.environment == filters.environment)
        if filters.project:
            conditions.append(results.c.project == filters.project)
        touched: sa.ColumnElement[bool] = sa.exists(sa.select(results.c.id).where(*conditions))
        if filters.environment and not filters.project:
            # A run stopped by a gate has no stack results, but it names its environments.
            named = sa.cast(runs.c.environments, sa.Text).like(
                f'%{_like_escape(_json_string(filters.environment))}%', escape="\\")
            touched = sa.or_(touched, named)
        query = query.where(touched)
    query = query.limit(page_size + 1).offset((filters.page - 1) * page_size)
    with store.transaction(write=False) as conn:
        found = [run_from_row(row) for row in conn.execute(query).mappings()]
        shown = found[:page_size]
        tallies = _status_tallies(conn, [r.id for r in shown])
    rows = tuple(RunRow(run, sum(tallies.get(run.id, {}).values()), tallies.get(run.id, {})) for run in shown)
    return RunPage(rows=rows, filters=filters, has_next=len(found) > page_size)


def _status_tallies(conn: sa.Connection, run_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    if not run_ids:
        return {}
    results = schema.stack_results
    query = (
        sa.select(results.c.run_id, results.c.status, sa.func.count())
        .where(results.c.run_id.in_(list(run_ids)))
        .group_by(results.c.run_id, results.c.status)
    )
    tallies: dict[str, dict[str, int]] = {}
    for run_id, status, count in conn.execute(query):
        tallies.setdefault(str(run_id), {})[str(status)] = int(count)
    return tallies


def _json_string(text: str) -> str:
    import json

    return json.dumps(text)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_choices(store: SqlStore, repo_root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Environments (promotion order) and projects to offer in the filters: configured and recorded ones."""
    columns, projects, _, _ = _layout(repo_root)
    results = schema.stack_results
    with store.transaction(write=False) as conn:
        recorded = conn.execute(sa.select(results.c.environment, results.c.project).distinct()).all()
    environments = [c.name for c in columns]
    environments += sorted({str(r.environment) for r in recorded} - set(environments))
    return tuple(environments), tuple(sorted({*projects, *(str(r.project) for r in recorded)}))


# --------------------------------------------------------------------------- one run


def load_run(store: SqlStore, run_id: str) -> RunDetail | None:
    run = store.get_run(run_id)
    if run is None:
        return None
    results = schema.stack_results
    query = sa.select(results).where(results.c.run_id == run_id).order_by(results.c.id)
    with store.transaction(write=False) as conn:
        stacks = tuple(stack_run_record_from_row(row) for row in conn.execute(query).mappings())
        violations = run_violations(conn, run_id)
    audit = tuple(reversed(store.audit_log(run_id=run_id, limit=1000)))
    held = tuple(view for view in lock_views(store).values() if view.lease.run_id == run_id)
    return RunDetail(run=run, stacks=stacks, audit=audit, locks=held, violations=violations)


def stack_order(stacks: Iterable[StackRunRecord], environments: Sequence[str]) -> list[StackRunRecord]:
    """A run's results by environment (promotion order), then as recorded."""
    rank = {env: i for i, env in enumerate(environments)}
    return sorted(stacks, key=lambda r: rank.get(r.environment, len(rank)))


# --------------------------------------------------------------------------- the one write


@dataclass(frozen=True)
class Released:
    lease: Lease
    expired: bool


def release_lock(store: SqlStore, stack: str, *, actor: str) -> Released | None:
    """Remove the lease on `stack` whoever holds it and record it in the audit log, as
    `orchestrator locks release` does; None when there is no lease (or its holder just released it)."""
    now = store.lease_clock()
    released = store.force_release(stack)
    if released is None:
        return None
    expired = released.expires_at <= now
    store.audit(
        actor=actor,
        action="lock.released",
        run_id=released.run_id,
        stack=stack,
        commit=released.commit,
        details={"forced": True, "holder": released.holder, "purpose": released.purpose, "expired": expired,
                 "via": "dashboard"},
    )
    return Released(released, expired)
