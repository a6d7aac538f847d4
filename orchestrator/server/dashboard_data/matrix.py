"""The stack matrix: projects × environments (from the configuration, environments in
promotion order) with each stack's last deploying result, current commit, drift state, lock,
the gate that blocked it and whether it is behind its branch."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import sqlalchemy as sa

from orchestrator.errors import UserError
from orchestrator.flows.reconcile import stored_git_drift
from orchestrator.models import GitDrift
from orchestrator.server.dashboard_data.locks import LockView, lock_views
from orchestrator.store import schema
from orchestrator.store.api import AuditEntry, StackRunRecord
from orchestrator.store.rows import audit_entry_from_row, stack_run_record_from_row
from orchestrator.store.sql import SqlStore

log = logging.getLogger("orchestrator.server.dashboard")

# The flows whose result is what a stack runs now; previews and drift checks are shown apart.
DEPLOYING_FLOWS = ("deploy", "rollback", "promote", "reconcile", "remediate")
DriftStatus = Literal["clean", "drifted", "error", "unknown"]


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


def load_matrix(store: SqlStore, repo_root: Path) -> Matrix:
    """Projects × environments (from the configuration, environments in promotion order) with
    each stack's last deploying result, current commit, drift state and lock."""
    columns, projects, deploys, config_error = layout(repo_root)
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


def layout(repo_root: Path) -> tuple[tuple[EnvironmentColumn, ...], tuple[str, ...], Deploys, str | None]:
    """The environment columns (promotion order), the projects and which pairs are deployed, from
    the configuration; when it does not load, none of them and the error."""
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

