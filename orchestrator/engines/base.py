"""The engine interface and the results every engine returns.

Reports and flows use nothing but these types. Secrets are redacted before a result
leaves an engine: a secret value is the string `[secret]`; a value not known until the
update runs is the string `(known after update)`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from orchestrator.models import StackSpec
from orchestrator.redact import SECRET as SECRET  # the result contract's secret placeholder
from orchestrator.redact import Redactor

Status = Literal["succeeded", "failed", "locked", "skipped"]
ResourceOp = Literal["create", "update", "replace", "delete", "same", "read", "refresh"]
DiffKind = Literal["add", "delete", "update"]
Severity = Literal["error", "warning", "info", "debug"]
ResultOperation = Literal["preview", "update", "destroy", "destroy-preview", "drift", "refresh"]

UNKNOWN = "(known after update)"
COUNTED_OPS: tuple[str, ...] = ("create", "update", "replace", "delete", "same")
# How change counts read wherever they are shown (the PR comment, commit statuses, the terminal,
# `history`, `stack`, the dashboard): one order, one symbol per step, one legend.
SHOWN_COUNTS: tuple[tuple[str, str], ...] = (("+", "create"), ("~", "update"), ("-", "delete"), ("±", "replace"))
COUNTS_LEGEND = "+ create · ~ update · - delete · ± replace"
COUNTS_HEADER = " ".join(symbol for symbol, _op in SHOWN_COUNTS)  # a table column's title: "+ ~ - ±"


def format_counts(counts: OpCounts | Mapping[str, int] | None) -> str:
    """`+1 ~2 -0 ±0`: the change counts in the one order and with the one set of symbols."""
    found = counts.to_json() if isinstance(counts, OpCounts) else (counts or {})
    return " ".join(f"{symbol}{found.get(op, 0)}" for symbol, op in SHOWN_COUNTS)


def format_count_columns(counts: Mapping[str, int] | None) -> str:
    """`1 2 0 0`: the counts under a `+ ~ - ±` column."""
    return " ".join(str((counts or {}).get(op, 0)) for _symbol, op in SHOWN_COUNTS)


@dataclass(frozen=True)
class PropertyDiff:
    path: str
    kind: DiffKind
    old: Any = None
    new: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    name: str
    op: ResourceOp
    diffs: tuple[PropertyDiff, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "op": self.op,
            "diffs": [d.to_json() for d in self.diffs],
        }


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    message: str
    urn: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "message": self.message, "urn": self.urn}


@dataclass(frozen=True)
class PolicyViolation:
    policy_pack: str
    policy: str
    enforcement: str
    message: str
    urn: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "policy_pack": self.policy_pack,
            "policy": self.policy,
            "enforcement": self.enforcement,
            "message": self.message,
            "urn": self.urn,
        }


@dataclass(frozen=True)
class OpCounts:
    create: int = 0
    update: int = 0
    replace: int = 0
    delete: int = 0
    same: int = 0

    @property
    def changed(self) -> int:
        return self.create + self.update + self.replace + self.delete

    @classmethod
    def of(cls, changes: tuple[ResourceChange, ...] | list[ResourceChange]) -> OpCounts:
        tally = {op: 0 for op in COUNTED_OPS}
        for change in changes:
            if change.op in tally:
                tally[change.op] += 1
        return cls(**tally)

    def to_json(self) -> dict[str, int]:
        return {op: getattr(self, op) for op in COUNTED_OPS}


@dataclass(frozen=True)
class StackResult:
    """The outcome of one engine operation on one stack.

    `changes` lists resources whose op is not `same` (for drift: the drifted resources,
    op `update` for changed and `delete` for gone).
    """

    stack: str
    operation: ResultOperation
    status: Status
    counts: OpCounts = field(default_factory=OpCounts)
    changes: tuple[ResourceChange, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    policy_violations: tuple[PolicyViolation, ...] = ()
    outputs: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    error: str | None = None
    notes: tuple[str, ...] = ()  # how it was run, for people (upstream outputs read from this plan's preview)

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "operation": self.operation,
            "status": self.status,
            "counts": self.counts.to_json(),
            "changes": [c.to_json() for c in self.changes],
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "policy_violations": [p.to_json() for p in self.policy_violations],
            "outputs": self.outputs,
            "duration_s": round(self.duration_s, 3),
            "error": self.error,
            "notes": list(self.notes),
        }


def result_from_json(data: dict[str, Any]) -> StackResult:
    """The inverse of StackResult.to_json (results of matrix jobs are merged from these files)."""
    return StackResult(
        stack=data["stack"],
        operation=data["operation"],
        status=data["status"],
        counts=OpCounts(**{op: int(data.get("counts", {}).get(op, 0)) for op in COUNTED_OPS}),
        changes=tuple(
            ResourceChange(
                urn=c["urn"],
                type=c["type"],
                name=c["name"],
                op=c["op"],
                diffs=tuple(PropertyDiff(d["path"], d["kind"], d.get("old"), d.get("new")) for d in c.get("diffs", ())),
            )
            for c in data.get("changes", ())
        ),
        diagnostics=tuple(Diagnostic(d["severity"], d["message"], d.get("urn")) for d in data.get("diagnostics", ())),
        policy_violations=tuple(
            PolicyViolation(p["policy_pack"], p["policy"], p["enforcement"], p["message"], p.get("urn"))
            for p in data.get("policy_violations", ())
        ),
        outputs=dict(data.get("outputs") or {}),
        duration_s=float(data.get("duration_s") or 0.0),
        error=data.get("error"),
        notes=tuple(str(n) for n in data.get("notes") or ()),
    )


def redact_result(result: StackResult, redactor: Redactor) -> StackResult:
    """A copy of `result` with every free-text field and value redacted."""
    text = redactor.text
    return dataclasses.replace(
        result,
        changes=tuple(_redact_change(change, redactor) for change in result.changes),
        diagnostics=tuple(
            Diagnostic(severity=d.severity, message=text(d.message), urn=_opt(d.urn, text)) for d in result.diagnostics
        ),
        policy_violations=tuple(
            PolicyViolation(
                policy_pack=text(v.policy_pack),
                policy=text(v.policy),
                enforcement=v.enforcement,
                message=text(v.message),
                urn=_opt(v.urn, text),
            )
            for v in result.policy_violations
        ),
        outputs=redactor.value(result.outputs),
        error=_opt(result.error, text),
        notes=tuple(text(n) for n in result.notes),
    )


def _redact_change(change: ResourceChange, redactor: Redactor) -> ResourceChange:
    return ResourceChange(
        urn=redactor.text(change.urn),
        type=change.type,
        name=redactor.text(change.name),
        op=change.op,
        diffs=tuple(
            PropertyDiff(
                path=redactor.text(d.path),
                kind=d.kind,
                old=redactor.value(d.old),
                new=redactor.value(d.new),
            )
            for d in change.diffs
        ),
    )


def _opt(value: str | None, redact: Callable[[str], str]) -> str | None:
    return None if value is None else redact(value)


class Engine(Protocol):
    def preview(self, stack: StackSpec) -> StackResult: ...

    def update(self, stack: StackSpec) -> StackResult: ...

    def destroy(self, stack: StackSpec, *, preview_only: bool) -> StackResult: ...

    def drift(self, stack: StackSpec) -> StackResult: ...

    def outputs(self, stack: StackSpec) -> dict[str, Any]: ...


@runtime_checkable
class StackRemover(Protocol):
    """An engine that can tell whether its backend holds a stack, and take one out of it as
    `pulumi stack rm` does (state and history gone). `remove` is refused (UserError) while the
    stack still holds resources: destroy it first."""

    def exists(self, stack: StackSpec) -> bool: ...

    def remove(self, stack: StackSpec) -> None: ...
