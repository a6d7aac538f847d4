"""Values between pulumi-aws and the AWS APIs: paths into request and response shapes,
templates, and policy documents.

A path is dotted keys with optional list indexes: `Attributes.QueueArn`, `Vpcs[0].VpcId`,
`Table.BillingModeSummary.BillingMode`. The empty path is the whole value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.base import UNKNOWN_MARKER, ProviderError

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_FIELD = re.compile(r"\{([A-Za-z0-9_.]+)(\?)?\}")
_OMIT = object()


def known(value: Any) -> bool:
    return value is not None and value != UNKNOWN_MARKER


def _steps(path: str) -> list[str | int]:
    return [int(index) if index else key for key, index in _STEP.findall(path)]


def get_path(value: Any, path: str) -> Any:
    """The value at `path`, or None when any step is missing."""
    for step in _steps(path):
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return None
            value = value[step]
        elif isinstance(value, Mapping):
            value = value.get(step)
        else:
            return None
    return value


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Set `path` (keys only) in `target`, making the dicts on the way."""
    keys = [s for s in _steps(path) if isinstance(s, str)]
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def render(template: Any, fields: Mapping[str, Any]) -> Any:
    """Fill `{field}` placeholders. A string that is exactly one placeholder becomes that
    value unchanged (a list stays a list); dicts and lists are rendered item by item. An
    optional placeholder (`{inputs.owner?}`) that has no value drops its key from the dict."""
    if isinstance(template, Mapping):
        rendered = {k: _render_one(v, fields) for k, v in template.items()}
        return {k: v for k, v in rendered.items() if v is not _OMIT}
    return _render_one(template, fields)


def _render_one(template: Any, fields: Mapping[str, Any]) -> Any:
    if isinstance(template, Mapping):
        return render(template, fields)
    if isinstance(template, list | tuple):
        return [render(v, fields) for v in template]
    if not isinstance(template, str):
        return template
    whole = _FIELD.fullmatch(template)
    if whole:
        return _field(fields, whole.group(1), optional=bool(whole.group(2)))
    return _FIELD.sub(lambda m: str(_field(fields, m.group(1), optional=False)), template)


def _field(fields: Mapping[str, Any], name: str, *, optional: bool) -> Any:
    value = get_path(fields, name)
    if value is None:
        if optional:
            return _OMIT
        raise ProviderError(f"no value for {{{name}}} in a request template")
    return value


def policy_text(value: Any, type_token: str, key: str) -> str | None:
    """Policies may arrive as JSON text or as an object; the APIs want text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list):
        return json.dumps(value)
    raise ProviderError(f"{type_token}: `{key}` must be a JSON policy document")


def same_set(live: Any, given: Any) -> list[Any]:
    """A set of ids read back: in the program's order when it holds the same members (no
    diff for order alone), else sorted."""
    members = sorted(live or ())
    return list(given) if isinstance(given, list) and sorted(given) == members else members


def same_policy(live: Any, configured: Any) -> str | None:
    """The configured text when the live policy means the same (AWS reformats JSON and
    URL-encodes some), else the live text."""
    if live is None or live == "":
        return None
    if isinstance(live, str):
        from urllib.parse import unquote

        try:
            live_doc = json.loads(live)
        except json.JSONDecodeError:
            live_doc = json.loads(unquote(live))
    else:
        live_doc = live
    if isinstance(configured, str):
        try:
            if json.loads(configured) == live_doc:
                return configured
        except json.JSONDecodeError:
            pass
    return live if isinstance(live, str) and not live.startswith("%") else json.dumps(live_doc, separators=(",", ":"))
