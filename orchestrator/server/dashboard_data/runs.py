"""Run history as the dashboard shows it: runs filtered by flow, status, environment and
project, a page at a time, and one run's detail (its stacks' results, audit trail, the locks it
still holds and its policy findings)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from orchestrator.engines.base import PolicyViolation
from orchestrator.server.dashboard_data.locks import LockView, lock_views
from orchestrator.server.dashboard_data.matrix import layout
from orchestrator.store import schema
from orchestrator.store.api import AuditEntry, Run, StackRunRecord
from orchestrator.store.policy import run_violations
from orchestrator.store.rows import run_from_row, stack_run_record_from_row
from orchestrator.store.sql import SqlStore

FLOWS = ("preview", "deploy", "drift", "rollback", "promote", "reconcile", "remediate")
RUN_STATUSES = ("running", "succeeded", "failed", "interrupted", "blocked")
PAGE_SIZE = 50


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
    return json.dumps(text)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_choices(store: SqlStore, repo_root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Environments (promotion order) and projects to offer in the filters: configured and recorded ones."""
    columns, projects, _, _ = layout(repo_root)
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
