"""Pure step logic: what to do with a registered resource given what state records.

No I/O here: the deployment executor asks these functions for decisions and runs them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from orchestrator.engines.base import SECRET, UNKNOWN, PropertyDiff
from orchestrator.engines.local.checkpoint import ordered
from orchestrator.engines.local.props import display_value
from orchestrator.engines.local.state import ResourceState
from orchestrator.engines.local.urn import parse_urn
from orchestrator.errors import UserError

StepOp = Literal["create", "update", "replace", "delete", "same"]

_MISSING = object()


@dataclass(frozen=True)
class StepDecision:
    op: StepOp
    diffs: tuple[PropertyDiff, ...] = ()
    delete_before_replace: bool = False


class ProtectedResourceError(UserError):
    def __init__(self, urn: str, action: str) -> None:
        name = parse_urn(urn).name
        super().__init__(
            f"resource {name} ({urn}) is protected and cannot be {action}",
            "remove `protect=True` from its options and update first, or change the program so it "
            "is not " + action,
        )
        self.urn = urn


# --------------------------------------------------------------------------- ignoreChanges

_PATH_TOKEN = re.compile(r'\[(\d+|\*)\]|\["([^"]*)"\]|([^.\[\]]+)')


def parse_property_path(path: str) -> list[str | int]:
    """`tags["Name"]`, `a.b[0].c`, `a[*]` → path segments (`*` kept as a string)."""
    parts: list[str | int] = []
    for index, quoted, plain in _PATH_TOKEN.findall(path):
        if index:
            parts.append(int(index) if index != "*" else "*")
        elif quoted or plain:
            parts.append(quoted or plain)
    return parts


def _get(value: Any, parts: list[str | int]) -> Any:
    for part in parts:
        if isinstance(value, dict) and isinstance(part, str):
            if part not in value:
                return _MISSING
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return _MISSING
    return value


def _set(target: Any, parts: list[str | int], value: Any) -> None:
    for part in parts[:-1]:
        if isinstance(target, dict) and isinstance(part, str):
            target = target.setdefault(part, {})
        elif isinstance(target, list) and isinstance(part, int) and 0 <= part < len(target):
            target = target[part]
        else:
            return
    last = parts[-1]
    if isinstance(target, dict) and isinstance(last, str):
        if value is _MISSING:
            target.pop(last, None)
        else:
            target[last] = value
    elif isinstance(target, list) and isinstance(last, int) and 0 <= last < len(target) and value is not _MISSING:
        target[last] = value


def apply_ignore_changes(
    old_inputs: dict[str, Any], news: dict[str, Any], ignore_changes: Iterable[str]
) -> dict[str, Any]:
    """The new inputs with every ignored property set back to its recorded value, as the
    Pulumi engine does before diffing (`*` ignores all properties)."""
    paths = list(ignore_changes)
    if not paths:
        return news
    if "*" in paths:
        return {**copy.deepcopy(old_inputs), **{k: v for k, v in news.items() if k == "__provider"}}
    result = copy.deepcopy(news)
    for path in paths:
        parts = parse_property_path(path)
        if not parts or "*" in parts:
            # Wildcards inside a path: ignore the whole top-level property, a safe superset.
            parts = parts[:1]
        if not parts:
            continue
        recorded = _get(old_inputs, parts)
        _set(result, parts, recorded if recorded is _MISSING else copy.deepcopy(recorded))
    return result


# --------------------------------------------------------------------------- property diffs


def _top_key(path: str) -> str:
    parts = parse_property_path(path)
    return str(parts[0]) if parts else path


def _join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if re.fullmatch(r"[A-Za-z_$][\w$-]*", key):
        return f"{prefix}.{key}" if prefix else key
    return f'{prefix}["{key}"]'


def _walk(prefix: str, old: Any, new: Any, out: list[PropertyDiff]) -> None:
    if old == new:
        return
    if old is _MISSING:
        out.append(PropertyDiff(prefix, "add", None, new))
        return
    if new is _MISSING:
        out.append(PropertyDiff(prefix, "delete", old, None))
        return
    if isinstance(old, dict) and isinstance(new, dict):
        # Sorted, as Pulumi's display does: the order keys arrive in is not stable between runs.
        for key in sorted({*old, *new}, key=str):
            _walk(_join(prefix, key), old.get(key, _MISSING), new.get(key, _MISSING), out)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (o, n) in enumerate(zip(old, new, strict=True)):
            _walk(_join(prefix, i), o, n, out)
        return
    out.append(PropertyDiff(prefix, "update", old, new))


def property_diffs(
    old: dict[str, Any], new: dict[str, Any], *, ignore: Iterable[str] = ("__provider",)
) -> tuple[PropertyDiff, ...]:
    """Raw per-property differences (values not yet redacted: see `display_diffs`)."""
    skip = set(ignore)
    out: list[PropertyDiff] = []
    for key in list(old) + [k for k in new if k not in old]:
        if key in skip:
            continue
        _walk(_join("", key), old.get(key, _MISSING), new.get(key, _MISSING), out)
    return tuple(out)


def display_diffs(diffs: Iterable[PropertyDiff], secret_keys: Iterable[str]) -> tuple[PropertyDiff, ...]:
    """Diffs fit for a result: values of secret properties become SECRET, values not known
    until the update runs become UNKNOWN."""
    secret = set(secret_keys)
    shown: list[PropertyDiff] = []
    for diff in diffs:
        if _top_key(diff.path) in secret:
            old = SECRET if diff.kind != "add" else None
            new = SECRET if diff.kind != "delete" else None
            shown.append(PropertyDiff(diff.path, diff.kind, old, new))
        else:
            shown.append(PropertyDiff(diff.path, diff.kind, display_value(diff.old), display_value(diff.new)))
    return tuple(shown)


def has_unknowns_shown(diffs: Iterable[PropertyDiff]) -> bool:
    return any(d.new == UNKNOWN for d in diffs)


# --------------------------------------------------------------------------- decisions


def decide_step(
    old: ResourceState | None,
    *,
    changed: bool,
    replace: bool,
    delete_before_replace: bool,
    protect: bool,
    diffs: tuple[PropertyDiff, ...],
) -> StepDecision:
    """create / same / update / replace, refusing to replace a protected resource."""
    if old is None:
        return StepDecision("create", diffs)
    if not changed:
        return StepDecision("same")
    if replace:
        if old.protect or protect:
            raise ProtectedResourceError(old.urn, "replaced")
        return StepDecision("replace", diffs, delete_before_replace=delete_before_replace)
    return StepDecision("update", diffs)


def check_deletable(resources: Iterable[ResourceState]) -> None:
    for res in resources:
        if res.protect:
            raise ProtectedResourceError(res.urn, "deleted")


def delete_order(resources: Iterable[ResourceState]) -> list[ResourceState]:
    """Dependents before what they depend on: the reverse of the creation order."""
    return list(reversed(ordered(resources)))


def create_diffs(inputs: dict[str, Any]) -> tuple[PropertyDiff, ...]:
    return tuple(PropertyDiff(_join("", k), "add", None, v) for k, v in inputs.items() if k != "__provider")


def delete_diffs(inputs: dict[str, Any]) -> tuple[PropertyDiff, ...]:
    return tuple(PropertyDiff(_join("", k), "delete", v, None) for k, v in inputs.items() if k != "__provider")
