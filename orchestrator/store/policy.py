"""Policy violations of the stacks a run updated (or did not: a mandatory one blocks the update),
in a table of their own, so `history`, the dashboard's run page and the audit can say why.

Written with each stack result (`SqlStore.record_stack_result`), from the redacted result.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from orchestrator.engines.base import PolicyViolation, StackResult
from orchestrator.store.schema import UtcDateTime, metadata

policy_violations = sa.Table(
    "policy_violations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("stack", sa.String(255), nullable=False),
    sa.Column("commit", sa.String(64), nullable=False),
    sa.Column("operation", sa.String(32), nullable=False),
    sa.Column("policy_pack", sa.String(255), nullable=False),
    sa.Column("policy", sa.String(255), nullable=False),
    sa.Column("enforcement", sa.String(32), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("urn", sa.Text),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Index("ix_policy_violations_run", "run_id", "stack"),
)


def insert_violations(
    conn: sa.Connection, *, run_id: str, commit: str, result: StackResult, at: datetime
) -> None:
    """The violations of one stack result, in the caller's transaction."""
    rows = [
        {"run_id": run_id, "stack": result.stack, "commit": commit, "operation": result.operation,
         "policy_pack": v.policy_pack, "policy": v.policy, "enforcement": v.enforcement, "message": v.message,
         "urn": v.urn, "at": at}
        for v in result.policy_violations
    ]
    if rows:
        conn.execute(sa.insert(policy_violations), rows)


def run_violations(conn: sa.Connection, run_id: str) -> dict[str, tuple[PolicyViolation, ...]]:
    """stack id → its violations in this run, in the order they were found."""
    table = policy_violations
    query = sa.select(table).where(table.c.run_id == run_id).order_by(table.c.id)
    found: dict[str, list[PolicyViolation]] = {}
    for row in conn.execute(query).mappings():
        found.setdefault(row["stack"], []).append(_violation(row))
    return {stack: tuple(items) for stack, items in found.items()}


def _violation(row: sa.RowMapping) -> PolicyViolation:
    return PolicyViolation(row["policy_pack"], row["policy"], row["enforcement"], row["message"], row["urn"])
