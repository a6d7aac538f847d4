"""Pure normalization of Pulumi engine events into the engine-neutral result types.

The Pulumi CLI writes one engine event per line to `--event-log`; the Automation API parses
each line with `EngineEvent.from_json` and hands it to `on_event`. `EventCollector` is that
callback: it keeps what a `StackResult` needs (per-resource steps with property diffs,
diagnostics, policy violations, the summary counts) and nothing else.

Rules (from the engine's own event model):
- A step's op comes from `ResourcePreEvent` and is superseded by its `ResOutputsEvent`; for a
  refresh the pre-event op is `refresh` and the outputs event carries the result (`same`,
  `update`, `delete`).
- `create-replacement`, `delete-replaced` and `discard-replaced` are the physical halves of a
  replace; the logical `replace` step stands for them, as in the summary counts.
- Property diffs come from `detailedDiff` (`add`/`delete`/`update` and their `-replace` forms),
  with old and new values looked up in the step's old and new state; without a detailed diff
  (legacy providers, refresh) they are computed from the states themselves (`pulumi_diffs`).

Imports nothing heavy: the events are duck-typed, so this module never imports pulumi.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.engines.base import (
    Diagnostic,
    OpCounts,
    PolicyViolation,
    PropertyDiff,
    ResourceChange,
    ResourceOp,
    Severity,
)
from orchestrator.engines.pulumi_diffs import detailed_diffs

# Engine step op → the op reported per resource; None: a physical half of a logical step.
_STEP_OPS: dict[str, ResourceOp | None] = {
    "same": "same",
    "create": "create",
    "update": "update",
    "delete": "delete",
    "replace": "replace",
    "create-replacement": None,
    "delete-replaced": None,
    "discard-replaced": None,
    "remove-pending-replace": None,
    "read": "read",
    "read-replacement": "read",
    "refresh": "refresh",
    "discard": "delete",  # leaves the stack without touching the cloud
    "import": "create",  # enters the stack
    "import-replacement": "replace",
}
_SEVERITIES: dict[str, Severity] = {
    "error": "error",
    "warning": "warning",
    "info": "info",
    "info#err": "info",
    "debug": "debug",
}
_COLOR_TAG = re.compile(r"<\{%[^%]*%\}>")


@dataclass(frozen=True)
class NormalizedEvents:
    """Everything a StackResult needs from one operation's event stream."""

    changes: tuple[ResourceChange, ...]
    diagnostics: tuple[Diagnostic, ...]
    policy_violations: tuple[PolicyViolation, ...]
    counts: OpCounts
    summary_seen: bool
    failed_urns: tuple[str, ...]


def clean_message(message: str) -> str:
    """A diagnostic or policy message without Pulumi's colour tags and trailing newlines."""
    return _COLOR_TAG.sub("", message).strip()


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def counts_from_summary(resource_changes: Mapping[str, int]) -> OpCounts:
    """OpCounts from a summary event's `resourceChanges` (keys are engine step ops)."""
    rc = {str(getattr(k, "value", k)): int(v) for k, v in resource_changes.items()}
    return OpCounts(
        create=rc.get("create", 0) + rc.get("import", 0),
        update=rc.get("update", 0),
        replace=rc.get("replace", 0) + rc.get("import-replacement", 0),
        delete=rc.get("delete", 0) + rc.get("discard", 0),
        same=rc.get("same", 0),
    )


@dataclass
class _Step:
    urn: str
    type: str
    op: ResourceOp
    diffs: tuple[PropertyDiff, ...]


class EventCollector:
    """The `on_event` callback of one operation; `result()` gives the normalized events.

    `refresh` is for drift (`refresh --preview-only`): values are compared output to output and
    only drift (`update`, `delete`) is listed as a change. `forward` receives every event too
    (progress display). The SDK calls this from its log-watcher thread, hence the lock.
    """

    def __init__(self, *, refresh: bool = False, forward: Callable[[Any], None] | None = None) -> None:
        self._refresh = refresh
        self._forward = forward
        self._lock = threading.Lock()
        self._steps: dict[str, _Step] = {}
        self._diagnostics: list[Diagnostic] = []
        self._policies: list[PolicyViolation] = []
        self._failed: list[str] = []
        self._summary_counts: OpCounts | None = None
        self.events_seen = 0

    def __call__(self, event: Any) -> None:
        with self._lock:
            self.events_seen += 1
            self._take(event)
        if self._forward is not None:
            self._forward(event)

    def _take(self, event: Any) -> None:
        if event.resource_pre_event is not None:
            self._step(event.resource_pre_event.metadata)
        elif event.res_outputs_event is not None:
            self._step(event.res_outputs_event.metadata)
        elif event.res_op_failed_event is not None:
            self._op_failed(event.res_op_failed_event.metadata)
        elif event.diagnostic_event is not None:
            self._diagnostic(event.diagnostic_event)
        elif event.policy_event is not None:
            self._policy(event.policy_event)
        elif event.summary_event is not None:
            self._summary(event.summary_event)

    def _step(self, metadata: Any) -> None:
        op = _STEP_OPS.get(str(getattr(metadata.op, "value", metadata.op)))
        if op is None:
            return
        self._steps[metadata.urn] = _Step(
            urn=metadata.urn,
            type=metadata.type,
            op=op,
            diffs=detailed_diffs(metadata, refresh=self._refresh) if op not in ("same", "refresh") else (),
        )

    def _op_failed(self, metadata: Any) -> None:
        self._step(metadata)
        op = str(getattr(metadata.op, "value", metadata.op))
        self._failed.append(metadata.urn)
        message = f"{op} of {resource_name(metadata.urn)} ({metadata.type}) failed"
        self._diagnostics.append(Diagnostic("error", message, metadata.urn))

    def _diagnostic(self, event: Any) -> None:
        if event.ephemeral:
            return  # progress chatter, not a finding
        message = clean_message(event.message)
        if not message:
            return
        severity = _SEVERITIES.get(event.severity, "info")
        self._diagnostics.append(Diagnostic(severity, message, event.urn or None))

    def _policy(self, event: Any) -> None:
        self._policies.append(
            PolicyViolation(
                policy_pack=event.policy_pack_name,
                policy=event.policy_name,
                enforcement=event.enforcement_level,
                message=clean_message(event.message),
                urn=event.resource_urn or None,
            )
        )

    def _summary(self, event: Any) -> None:
        self._summary_counts = counts_from_summary(event.resource_changes or {})
        if event.maybe_corrupt:
            self._diagnostics.append(
                Diagnostic("warning", "Pulumi reports the stack's state may be corrupt (maybeCorrupt)")
            )

    def result(self) -> NormalizedEvents:
        with self._lock:
            steps = list(self._steps.values())
            changes = tuple(
                ResourceChange(urn=s.urn, type=s.type, name=resource_name(s.urn), op=s.op, diffs=s.diffs)
                for s in steps
                if self._is_change(s.op)
            )
            counts = self._summary_counts or _counts_of_steps(steps)
            return NormalizedEvents(
                changes=changes,
                diagnostics=tuple(self._diagnostics),
                policy_violations=tuple(self._policies),
                counts=counts,
                summary_seen=self._summary_counts is not None,
                failed_urns=tuple(self._failed),
            )

    def _is_change(self, op: ResourceOp) -> bool:
        if self._refresh:
            return op in ("update", "delete")
        return op not in ("same", "refresh", "read")


def _counts_of_steps(steps: list[_Step]) -> OpCounts:
    changes = [ResourceChange(urn=s.urn, type=s.type, name="", op=s.op) for s in steps]
    return OpCounts.of(changes)


def normalize_events(events: Iterable[Any], *, refresh: bool = False) -> NormalizedEvents:
    """Normalize a whole event stream (e.g. a recorded `--event-log`)."""
    collector = EventCollector(refresh=refresh)
    for event in events:
        collector(event)
    return collector.result()
