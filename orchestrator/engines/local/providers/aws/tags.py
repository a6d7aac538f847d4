"""Tags as pulumi-aws handles them: `tags` (the resource's own) and `tagsAll` (everything on
the object: the provider's default tags under the resource's own), and the changes that take
an object from one set to another."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.base import ProviderContext, ProviderError


def default_tags(ctx: ProviderContext) -> dict[str, str]:
    """The provider's `defaultTags.tags`, from stack config `aws:defaultTags` (JSON or object)."""
    raw = ctx.config.get("aws:defaultTags", ctx.config.get("defaultTags"))
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ProviderError(f"config aws:defaultTags is not valid JSON: {exc}") from exc
    tags = raw.get("tags") if isinstance(raw, Mapping) else None
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise ProviderError("config aws:defaultTags.tags must map tag names to strings")
    return {str(k): str(v) for k, v in tags.items()}


def tags_outputs(ctx: ProviderContext, live: Mapping[str, str], input_tags: Mapping[str, str]) -> dict[str, Any]:
    """`tags` and `tagsAll` as pulumi-aws reports them: tagsAll is everything on the object,
    tags is that minus the provider's default tags (unless the resource sets the key itself)."""
    defaults = default_tags(ctx)
    own = {k: v for k, v in live.items() if k in input_tags or k not in defaults or defaults[k] != v}
    return {"tags": dict(sorted(own.items())), "tagsAll": dict(sorted(live.items()))}


def tag_changes(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Tags to set and tag keys to remove to go from `old` to `new`."""
    to_set = {k: v for k, v in new.items() if old.get(k) != v}
    to_remove = [k for k in old if k not in new]
    return to_set, to_remove


def tag_list(tags: Mapping[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in tags.items()]


def tag_dict(tags: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """Tags from an API answer: a list of {Key, Value} or already a map."""
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t[key]): str(t.get(value, "")) for t in tags or []}
