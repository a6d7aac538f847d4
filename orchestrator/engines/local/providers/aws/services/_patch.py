"""API Gateway's (v1) updates: JSON-patch-like operations (`patchOperations`), one per changed
property, at the property's `api` path (`/description`, `/variables/<key>`, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import Prop


def _escaped(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def patch_operations(prop: Prop, path: str, old: Any, new: Any) -> list[dict[str, str]]:
    """The operations that take the property from `old` to `new`: maps key by key, lists
    (of strings) item by item, anything else replaced (or removed when it is gone)."""
    if prop.kind == "map" or isinstance(old, Mapping) or isinstance(new, Mapping):
        old_map, new_map = dict(old or {}), dict(new or {})
        ops = [{"op": "replace", "path": f"{path}/{_escaped(k)}", "value": _text(v)}
               for k, v in new_map.items() if old_map.get(k) != v]
        return ops + [{"op": "remove", "path": f"{path}/{_escaped(k)}"} for k in old_map if k not in new_map]
    if prop.kind == "list":
        old_items, new_items = [str(v) for v in old or ()], [str(v) for v in new or ()]
        ops = [{"op": "add", "path": f"{path}/{_escaped(v)}"} for v in new_items if v not in old_items]
        return ops + [{"op": "remove", "path": f"{path}/{_escaped(v)}"} for v in old_items if v not in new_items]
    if new is None:
        return [{"op": "replace", "path": path, "value": _text(prop.reset) if prop.reset is not None else ""}]
    return [{"op": "replace", "path": path, "value": _text(new)}]


class Patched(DeclaredResource):
    """A type whose mutable properties change through one `update_*` call of patch operations.
    `PATCH` names the call and its identifying arguments (templated); each mutable property's
    patch path is `/` + its `api` path, unless `PATHS` says otherwise."""

    PATCH: ClassVar[tuple[str, Mapping[str, str]]] = ("", {})
    PATHS: ClassVar[Mapping[str, str]] = {}

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        ops: list[dict[str, str]] = []
        for prop in self.spec.inputs:
            if prop.replace or not prop.api or old_inputs.get(prop.name) == news.get(prop.name):
                continue
            path = self.PATHS.get(prop.name, "/" + prop.api)
            ops.extend(patch_operations(prop, path, old_inputs.get(prop.name), news.get(prop.name)))
        if ops:
            from orchestrator.engines.local.providers.aws.values import render

            call, args = self.PATCH
            fields = self.fields(news, id=id, outputs=old_outputs)
            getattr(self.client(news), call)(**render(dict(args), fields), patchOperations=ops)
