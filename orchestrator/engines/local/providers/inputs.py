"""Helpers shared by the built-in providers: property diffs, autonames, number coercion.

Property paths follow Pulumi's display: dotted keys into objects (`tags.env`), `[0]` for
list items, and `["a.b"]` for keys that are not plain identifiers (`tags["kubernetes.io/x"]`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from orchestrator.engines.base import SECRET, UNKNOWN, PropertyDiff
from orchestrator.engines.local.providers.base import UNKNOWN_MARKER, DiffResult, ProviderError

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def join_path(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    part = key if _PLAIN_KEY.match(key) else f'["{key}"]'
    if not prefix:
        return part
    return f"{prefix}{part}" if part.startswith("[") else f"{prefix}.{part}"


def is_unknown(value: Any) -> bool:
    return bool(value == UNKNOWN_MARKER)


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


def _shown(value: Any) -> Any:
    """What a diff shows: the result marker for values not known until the update runs."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, Mapping):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(v) for v in value]
    return value


def _same_scalar(old: Any, new: Any) -> bool:
    # The SDK sends every number as a float; 30 and 30.0 are the same value.
    if isinstance(old, bool) or isinstance(new, bool):
        return isinstance(old, bool) and isinstance(new, bool) and old == new
    return bool(old == new)


def diff_values(old: Any, new: Any, path: str = "") -> list[PropertyDiff]:
    """Per-property differences between two JSON-like values; None counts as absent."""
    if old is None and new is None:
        return []
    if old is None:
        return [PropertyDiff(path, "add", None, _shown(new))]
    if new is None:
        return [PropertyDiff(path, "delete", _shown(old), None)]
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        diffs: list[PropertyDiff] = []
        for key in _ordered_keys(old, new):
            diffs.extend(diff_values(old.get(key), new.get(key), join_path(path, key)))
        return diffs
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        diffs = []
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else None
            after = new[index] if index < len(new) else None
            diffs.extend(diff_values(before, after, join_path(path, index)))
        return diffs
    if is_unknown(new) or not _same_scalar(old, new):
        return [PropertyDiff(path, "update", _shown(old), _shown(new))]
    return []


def _ordered_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    keys = list(old)
    keys.extend(k for k in new if k not in old)
    return keys


def top_key(path: str) -> str:
    """`tags.env` → `tags`; `attributes[0].name` → `attributes`; `["a.b"]` → `a.b`."""
    if path.startswith('["'):
        return path[2 : path.index('"]')]
    match = re.match(r"^[^.\[]+", path)
    return match.group(0) if match else path


def path_matches(path: str, prefixes: Iterable[str]) -> bool:
    """True when `path` is one of `prefixes` or lies below one of them."""
    return any(path == p or path.startswith(p + ".") or path.startswith(p + "[") for p in prefixes)


def diff_inputs(
    old_inputs: Mapping[str, Any],
    news: Mapping[str, Any],
    *,
    replace_on: Iterable[str] = (),
    ignore: Iterable[str] = (),
    redact: Iterable[str] = (),
    delete_before_replace: bool = False,
) -> DiffResult:
    """Diff recorded inputs against new ones; `replace_on` lists paths whose change forces a replace.

    `ignore` lists paths that are not compared (e.g. state-only flags that need no API call).
    `redact` lists paths whose values are secret: their diffs show `[secret]` instead.
    """
    ignored = tuple(ignore)
    replace_paths = tuple(replace_on)
    secret_paths = tuple(redact)
    diffs: list[PropertyDiff] = []
    for diff in diff_values(dict(old_inputs), dict(news)):
        if path_matches(diff.path, ignored):
            continue
        if path_matches(diff.path, secret_paths):
            diff = PropertyDiff(
                diff.path,
                diff.kind,
                None if diff.old is None else SECRET,
                None if diff.new is None else (UNKNOWN if diff.new == UNKNOWN else SECRET),
            )
        diffs.append(diff)
    replacing = tuple(d.path for d in diffs if path_matches(d.path, replace_paths))
    return DiffResult(
        changed=bool(diffs),
        diffs=tuple(diffs),
        replace_paths=replacing,
        delete_before_replace=delete_before_replace and bool(replacing),
    )


def random_suffix(length: int, alphabet: str = "0123456789abcdef") -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def autoname(base: str, *, length: int = 7, max_len: int | None = None, suffix: str = "") -> str:
    """`base-<random hex>` as pulumi-aws does, trimmed so the whole name fits `max_len`."""
    tail = "-" + random_suffix(length) + suffix
    if max_len is not None and len(base) + len(tail) > max_len:
        base = base[: max(max_len - len(tail), 1)]
    return base + tail


def integral(value: Any) -> Any:
    """Floats with no fraction back to ints, deeply: the SDK sends every number as a float."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [integral(v) for v in value]
    return value


def as_int(inputs: Mapping[str, Any], key: str, type_token: str) -> int | None:
    value = inputs.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ProviderError(f"{type_token}: `{key}` must be a whole number, got {value!r}")
    return int(value)


def as_str(inputs: Mapping[str, Any], key: str, type_token: str) -> str | None:
    value = inputs.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProviderError(f"{type_token}: `{key}` must be a string, got {type(value).__name__}")
    return value


def as_tags(inputs: Mapping[str, Any], key: str, type_token: str) -> dict[str, str]:
    value = inputs.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ProviderError(f"{type_token}: `{key}` must map tag names to strings")
    return {str(k): str(v) for k, v in value.items()}


def drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
