"""Property values between their pulumi-aws form and their AWS API form, per `Prop`.

Inputs arrive as the SDK sends them (numbers as floats, policies as text or objects); check
normalizes them once (`normalized`), requests get the API form (`to_api`), and the live
document is read back into the pulumi-aws form (`from_api`), the same code for create,
update and read so an untouched object reads back without drift.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.spec import Prop
from orchestrator.engines.local.providers.aws.values import get_path, known, same_policy, set_path
from orchestrator.engines.local.providers.base import ProviderError


def normalized(prop: Prop, value: Any, where: str, path: str) -> Any:
    """The checked input: whole numbers as ints, policies as text, sets in one order,
    nested defaults filled, choices enforced. `where` names the type and resource."""
    if not known(value):
        return value
    if prop.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            raise ProviderError(f"{where}: `{path}` must be a whole number, got {value!r}")
        value = int(value)
    elif prop.kind == "json" and isinstance(value, Mapping | list):
        value = json.dumps(value)
    elif prop.props and prop.kind == "object" and isinstance(value, Mapping):
        value = normalized_block(prop.props, value, where, path)
    elif prop.props and prop.kind == "list" and isinstance(value, list):
        value = [normalized_block(prop.props, v, where, f"{path}[{i}]") if isinstance(v, Mapping) else v
                 for i, v in enumerate(value)]
        if prop.set_key and all(isinstance(v, Mapping) for v in value):
            value = sorted(value, key=lambda v: str(v.get(prop.set_key)))
    if prop.choices and value not in prop.choices:
        raise ProviderError(f"{where}: {path} {value!r} is not one of {', '.join(map(str, prop.choices))}")
    return value


def normalized_block(props: tuple[Prop, ...], block: Mapping[str, Any], where: str, path: str) -> dict[str, Any]:
    out = dict(block)
    for prop in props:
        if out.get(prop.name) is None and prop.default is not None:
            out[prop.name] = copy.deepcopy(prop.default)
        if out.get(prop.name) is not None:
            out[prop.name] = normalized(prop, out[prop.name], where, f"{path}.{prop.name}" if path else prop.name)
    return out


def to_api(prop: Prop, value: Any) -> Any:
    """The value as the API takes it."""
    if value is None:
        return None
    if prop.values and prop.read is None:
        # Read where it is written, the field has one encoding both ways (ECS's assignPublicIp:
        # True is "ENABLED"); a value read elsewhere (a status) says nothing of what is sent.
        for api_value, pulumi_value in prop.values:
            if value == pulumi_value and type(value) is type(pulumi_value):
                return api_value
    if prop.kind == "int":
        return str(int(value)) if prop.stringly else int(value)
    if prop.kind == "float":
        return str(float(value)) if prop.stringly else float(value)
    if prop.kind == "bool":
        return ("true" if value else "false") if prop.stringly else bool(value)
    if prop.kind == "json":
        return value if isinstance(value, str) else json.dumps(value)
    if prop.props and prop.kind == "object" and isinstance(value, Mapping):
        return block_to_api(prop.props, value)
    if prop.props and prop.kind == "list" and isinstance(value, list):
        return [block_to_api(prop.props, v) if isinstance(v, Mapping) else v for v in value]
    return value


def block_to_api(props: tuple[Prop, ...], block: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for prop in props:
        if prop.api and block.get(prop.name) is not None:
            set_path(out, prop.api, to_api(prop, block[prop.name]))
    return out


def from_api(prop: Prop, live: Any, configured: Any) -> Any:
    """The live value in pulumi-aws's form; `configured` (the input) keeps equivalent policy
    text as written and fills nested properties the API does not return."""
    if live is None:
        return None
    for api_value, pulumi_value in prop.values:
        if live == api_value:
            return pulumi_value
    if prop.kind == "int":
        return int(live)
    if prop.kind == "float":
        return float(live)
    if prop.kind == "bool":
        return live.lower() == "true" if isinstance(live, str) else bool(live)
    if prop.kind == "json":
        return same_policy(live, configured)
    if prop.props and prop.kind == "object" and isinstance(live, Mapping):
        return block_from_api(prop.props, live, configured if isinstance(configured, Mapping) else {})
    if prop.props and prop.kind == "list" and isinstance(live, list):
        items = [block_from_api(prop.props, v, _matching(prop, v, configured)) if isinstance(v, Mapping) else v
                 for v in live]
        key = prop.set_key
        if key:
            items = sorted(items, key=lambda v: str(v.get(key)) if isinstance(v, Mapping) else str(v))
        return items
    if prop.kind == "str" and not isinstance(live, str):
        return str(live)
    return live


def block_from_api(props: tuple[Prop, ...], live: Mapping[str, Any], configured: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for prop in props:
        path = prop.read_path
        value = from_api(prop, get_path(live, path), configured.get(prop.name)) if path else configured.get(prop.name)
        if value is None:
            value = copy.deepcopy(prop.default)
        if value is not None:
            out[prop.name] = value
    return out


def _matching(prop: Prop, live: Mapping[str, Any], configured: Any) -> Mapping[str, Any]:
    """The configured item a live list item stands for (by `set_key`), for its echoed fields."""
    if not isinstance(configured, list) or not prop.set_key:
        return {}
    key_prop = next((p for p in prop.props if p.name == prop.set_key), None)
    if key_prop is None or key_prop.read_path is None:
        return {}
    key = get_path(live, key_prop.read_path)
    return next((c for c in configured if isinstance(c, Mapping) and c.get(prop.set_key) == key), {})
