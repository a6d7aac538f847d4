"""Property diffs from Pulumi's serialized state: values as reports show them (secrets and
unknowns masked), property paths (`tags["a.b"]`, `ingress[0].cidr`) and a step's diffs, from its
`detailedDiff` or, lacking one, from its old and new states.

Imports nothing heavy: the step metadata is duck-typed, so this module never imports pulumi.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from orchestrator.engines.base import SECRET, UNKNOWN, DiffKind, PropertyDiff

# The signature key Pulumi puts on secret (and asset/archive) values in serialized state.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
# What an output not known during a preview looks like in serialized state.
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

_DIFF_KINDS: dict[str, DiffKind] = {
    "add": "add",
    "add-replace": "add",
    "delete": "delete",
    "delete-replace": "delete",
    "update": "update",
    "update-replace": "update",
}


class _State(Protocol):
    inputs: Mapping[str, Any] | None
    outputs: Mapping[str, Any] | None


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
