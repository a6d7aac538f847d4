"""Rows of the run store's tables as the values of `store.api`."""

from __future__ import annotations

from typing import cast

from sqlalchemy.engine import RowMapping

from orchestrator.store.api import AuditEntry, Flow, Lease, LockPurpose, Run, RunStatus, StackRunRecord


def run_from_row(row: RowMapping) -> Run:
    return Run(
        id=row["id"],
        flow=cast(Flow, row["flow"]),
        commit=row["commit"],
        branch=row["branch"],
        actor=row["actor"],
        status=cast(RunStatus, row["status"]),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        pr=row["pr"],
        environments=tuple(row["environments"] or ()),
        details=dict(row["details"] or {}),
        holder_pid=row["holder_pid"],
        holder_host=row["holder_host"],
    )


def stack_run_record_from_row(row: RowMapping) -> StackRunRecord:
    return StackRunRecord(
        run_id=row["run_id"],
        flow=cast(Flow, row["flow"]),
        stack=row["stack"],
        project=row["project"],
        environment=row["environment"],
        commit=row["commit"],
        operation=row["operation"],
        status=row["status"],
        counts=dict(row["counts"] or {}),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        error=row["error"],
        changes=list(row["changes"] or []),
    )


def audit_entry_from_row(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        run_id=row["run_id"],
        environment=row["environment"],
        stack=row["stack"],
        commit=row["commit"],
        details=dict(row["details"] or {}),
    )


def lease_from_row(row: RowMapping) -> Lease:
    return Lease(
        stack=row["stack"],
        holder=row["holder"],
        run_id=row["run_id"],
        commit=row["commit"],
        purpose=cast(LockPurpose, row["purpose"]),
        acquired_at=row["acquired_at"],
        expires_at=row["expires_at"],
        pr=row["pr"],
    )
