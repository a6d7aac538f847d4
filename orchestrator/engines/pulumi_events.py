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
  (legacy providers, refresh) they are computed from the states themselves.

Imports nothing heavy: the events are duck-typed, so this module never imports pulumi.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from orchestrator.engines.base import (
    SECRET,
    UNKNOWN,
    Diagnostic,
    DiffKind,
    OpCounts,
    PolicyViolation,
    PropertyDiff,
    ResourceChange,
    ResourceOp,
    Severity,
)

# The signature key Pulumi puts on secret (and asset/archive) values in serialized state.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
# What an output not known during a preview looks like in serialized state.
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

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
_DIFF_KINDS: dict[str, DiffKind] = {
    "add": "add",
    "add-replace": "add",
    "delete": "delete",
    "delete-replace": "delete",
    "update": "update",
    "update-replace": "update",
}
_SEVERITIES: dict[str, Severity] = {
    "error": "error",
    "warning": "warning",
    "info": "info",
    "info#err": "info",
    "debug": "debug",
}
_COLOR_TAG = re.compile(r"<\{%[^%]*%\}>")


class _State(Protocol):
    inputs: Mapping[str, Any] | None
    outputs: Mapping[str, Any] | None


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


def clean_value(value: Any) -> Any:
    """A state value as reports show it: secrets `[secret]`, unknowns `(known after update)`."""
    if isinstance(value, Mapping):
        if value.get(SIG_KEY) == SECRET_SIG:
            return SECRET
        return {str(k): clean_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_value(v) for v in value]
    if value == UNKNOWN_STRING:
        return UNKNOWN
    return value


def parse_property_path(path: str) -> tuple[str | int, ...]:
    """Split a Pulumi property path (`tags.env`, `ingress[0].cidr`, `tags["a.b"]`) into keys."""
    keys: list[str | int] = []
    i = 0
    while i < len(path):
        char = path[i]
        if char == ".":
            i += 1
        elif char == "[":
            end = _closing_bracket(path, i)
            inner = path[i + 1 : end]
            if inner.startswith('"') and inner.endswith('"') and len(inner) >= 2:
                keys.append(inner[1:-1].replace('\\"', '"').replace("\\\\", "\\"))
            elif inner.isdigit():
                keys.append(int(inner))
            else:
                keys.append(inner)
            i = end + 1
        else:
            end = i
            while end < len(path) and path[end] not in ".[":
                end += 1
            keys.append(path[i:end])
            i = end
    return tuple(keys)


def _closing_bracket(path: str, start: int) -> int:
    i = start + 1
    in_quotes = False
    while i < len(path):
        char = path[i]
        if char == "\\" and in_quotes:
            i += 2
            continue
        if char == '"':
            in_quotes = not in_quotes
        elif char == "]" and not in_quotes:
            return i
        i += 1
    return len(path)  # unbalanced: take the rest as one key


_MISSING = object()


def lookup(value: Any, keys: tuple[str | int, ...]) -> Any:
    """The value at `keys` inside nested dicts/lists, or `_MISSING`."""
    current = value
    for key in keys:
        if isinstance(current, Mapping) and current.get(SIG_KEY) == SECRET_SIG:
            return SECRET  # anything below a secret is secret
        if isinstance(current, Mapping):
            if str(key) not in current:
                return _MISSING
            current = current[str(key)]
        elif isinstance(current, list) and isinstance(key, int):
            if key >= len(current):
                return _MISSING
            current = current[key]
        else:
            return _MISSING
    return current


def _first_found(keys: tuple[str | int, ...], *sources: Mapping[str, Any] | None) -> Any:
    for source in sources:
        if source is None:
            continue
        found = lookup(source, keys)
        if found is not _MISSING:
            return clean_value(found)
    return None


def _is_hidden(key: str) -> bool:
    # `__defaults`, `__provider` (a pickled dynamic provider), `__meta`: engine bookkeeping.
    return key.startswith("__")


def structural_diff(old: Any, new: Any, path: str = "") -> list[PropertyDiff]:
    """Leaf-level differences between two state values, with Pulumi-style paths."""
    old_c, new_c = clean_value(old), clean_value(new)
    if isinstance(old_c, dict) and isinstance(new_c, dict):
        diffs: list[PropertyDiff] = []
        for key in sorted(set(old_c) | set(new_c)):
            if not path and _is_hidden(key):
                continue
            child = _join(path, key)
            if key not in old_c:
                diffs.append(PropertyDiff(child, "add", None, new_c[key]))
            elif key not in new_c:
                diffs.append(PropertyDiff(child, "delete", old_c[key], None))
            else:
                diffs.extend(structural_diff(old_c[key], new_c[key], child))
        return diffs
    if isinstance(old_c, list) and isinstance(new_c, list) and len(old_c) == len(new_c) and path:
        diffs = []
        for index, (o, n) in enumerate(zip(old_c, new_c, strict=True)):
            diffs.extend(structural_diff(o, n, f"{path}[{index}]"))
        return diffs
    if old_c == new_c:
        return []
    return [PropertyDiff(path or "(root)", "update", old_c, new_c)]


_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


def _join(path: str, key: str) -> str:
    if _PLAIN_KEY.match(key):
        return f"{path}.{key}" if path else key
    quoted = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{quoted}"]'


def detailed_diffs(metadata: Any, *, refresh: bool) -> tuple[PropertyDiff, ...]:
    """PropertyDiffs of one step, from its detailedDiff or, lacking one, from its states."""
    old: _State | None = metadata.old
    new: _State | None = metadata.new
    detailed: Mapping[str, Any] | None = metadata.detailed_diff
    if detailed:
        return tuple(_from_detailed(path, entry, old, new, refresh=refresh) for path, entry in detailed.items())
    if old is None or new is None:
        return ()
    if refresh:
        return tuple(structural_diff(old.outputs or {}, new.outputs or {}))
    diffs = structural_diff(old.inputs or {}, new.inputs or {})
    changed_keys: list[str] | None = metadata.diffs
    if changed_keys:
        wanted = set(changed_keys)
        diffs = [d for d in diffs if parse_property_path(d.path)[0] in wanted]
    return tuple(diffs)


def _from_detailed(path: str, entry: Any, old: _State | None, new: _State | None, *, refresh: bool) -> PropertyDiff:
    kind = _DIFF_KINDS.get(str(getattr(entry.diff_kind, "value", entry.diff_kind)), "update")
    keys = parse_property_path(path)
    old_inputs = old.inputs if old else None
    old_outputs = old.outputs if old else None
    new_inputs = new.inputs if new else None
    new_outputs = new.outputs if new else None
    if refresh:
        old_value = _first_found(keys, old_outputs, old_inputs)
        new_value = _first_found(keys, new_outputs, new_inputs)
    elif entry.input_diff:
        old_value = _first_found(keys, old_inputs, old_outputs)
        new_value = _first_found(keys, new_inputs, new_outputs)
    else:  # a diff between the old state (outputs) and the new inputs
        old_value = _first_found(keys, old_outputs, old_inputs)
        new_value = _first_found(keys, new_inputs, new_outputs)
    if kind == "add":
        old_value = None
    elif kind == "delete":
        new_value = None
    return PropertyDiff(path, kind, old_value, new_value)


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
