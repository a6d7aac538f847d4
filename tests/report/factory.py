"""Plain-data builders for comment tests and the rendering benchmark (no engine, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orchestrator.engines.base import (
    UNKNOWN,
    Diagnostic,
    OpCounts,
    PolicyViolation,
    PropertyDiff,
    ResourceChange,
    ResourceOp,
    StackResult,
    Status,
)
from orchestrator.models import Operation, PlannedStack
from orchestrator.redact import Redactor
from orchestrator.report.comment import CommentKind, CommentModel, EnvironmentGates, StackOutcome

ENVIRONMENTS = ("qa", "uat", "prod")
GATES = (
    EnvironmentGates("qa"),
    EnvironmentGates("uat", requires=("qa",)),
    EnvironmentGates("prod", requires=("uat",), protected=True, approvals=2),
)


def planned(project: str, environment: str, *, wave: int = 0, operation: Operation = "preview") -> PlannedStack:
    return PlannedStack(
        project=project,
        environment=environment,
        stack=environment,
        directory=f"stacks/{project}",
        operation=operation,
        wave=wave,
        depends_on=(),
        reasons=(f"stacks/{project}/__main__.py changed",),
    )


def change(
    project: str,
    environment: str,
    type_: str,
    name: str,
    op: ResourceOp,
    *diffs: PropertyDiff,
) -> ResourceChange:
    urn = f"urn:pulumi:{environment}::{project}::{type_}::{name}"
    return ResourceChange(urn=urn, type=type_, name=name, op=op, diffs=tuple(diffs))


def add(path: str, new: Any) -> PropertyDiff:
    return PropertyDiff(path=path, kind="add", new=new)


def remove(path: str, old: Any) -> PropertyDiff:
    return PropertyDiff(path=path, kind="delete", old=old)


def update(path: str, old: Any, new: Any) -> PropertyDiff:
    return PropertyDiff(path=path, kind="update", old=old, new=new)


def result(
    project: str,
    environment: str,
    changes: Sequence[ResourceChange] = (),
    *,
    status: Status = "succeeded",
    same: int = 0,
    duration_s: float = 1.0,
    diagnostics: Sequence[Diagnostic] = (),
    violations: Sequence[PolicyViolation] = (),
    error: str | None = None,
) -> StackResult:
    counts = OpCounts.of(tuple(changes))
    counts = OpCounts(
        create=counts.create, update=counts.update, replace=counts.replace, delete=counts.delete, same=same
    )
    return StackResult(
        stack=f"{project}/{environment}",
        operation="preview",
        status=status,
        counts=counts,
        changes=tuple(changes),
        diagnostics=tuple(diagnostics),
        policy_violations=tuple(violations),
        duration_s=duration_s,
        error=error,
    )


def outcome(res: StackResult, *, wave: int = 0) -> StackOutcome:
    project, environment = res.stack.rsplit("/", 1)
    return StackOutcome(planned=planned(project, environment, wave=wave), result=res)


def model(
    outcomes: Sequence[StackOutcome],
    *,
    kind: CommentKind = "Preview",
    environments: Sequence[str] = ENVIRONMENTS,
    redactor: Redactor | None = None,
    max_chars: int = 65536,
    location: str = "the job summary",
) -> CommentModel:
    gates = tuple(g for g in GATES if g.environment in environments)
    return CommentModel(
        kind=kind,
        head_sha="3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
        environments=tuple(environments),
        stacks=tuple(outcomes),
        redactor=redactor or Redactor(),
        gates=gates,
        on_merge=tuple(environments) if kind == "Preview" else (),
        rerun_command="/orchestrator preview" if kind == "Preview" else None,
        full_report_location=location,
        max_chars=max_chars,
    )


def big_stack(project: str, environment: str, changes: int = 50) -> StackResult:
    """A stack with `changes` resource changes, each with a few property diffs.

    Timeouts differ per environment, so no two stacks are identical (no grouping: worst case).
    """
    base = 30 + 15 * ENVIRONMENTS.index(environment) if environment in ENVIRONMENTS else 30
    ops: tuple[ResourceOp, ...] = ("create", "update", "update", "replace", "delete")
    items = []
    for index in range(changes):
        op = ops[index % len(ops)]
        name = f"{project}-{environment}-queue-{index:03d}"
        diffs = (
            update("visibilityTimeoutSeconds", base + index, 2 * base + index),
            add(f"tags.Owner{index}", f"team-{environment}-{index % 7}"),
            update("arn", f"arn:aws:sqs:us-east-1:000000000000:{name}", UNKNOWN),
        )
        items.append(change(project, environment, "aws:sqs/queue:Queue", name, op, *diffs))
    return result(project, environment, items, duration_s=2.5 + changes / 100)


def big_model(stacks: int = 300, changes: int = 50, *, max_chars: int = 65536) -> CommentModel:
    """`stacks` stacks (projects x qa/uat/prod) of `changes` changes each."""
    outcomes = []
    for index in range(stacks):
        project = f"service-{index // len(ENVIRONMENTS):03d}"
        environment = ENVIRONMENTS[index % len(ENVIRONMENTS)]
        outcomes.append(outcome(big_stack(project, environment, changes)))
    redactor = Redactor(["hunter2-very-secret", "s3cr3t-db-password"])
    return model(outcomes, redactor=redactor, max_chars=max_chars)
