"""Enforcement levels and per-policy configuration, as the Pulumi CLI reads and reconciles them.

Pure. The shapes follow Pulumi's `--policy-pack-config` file (pkg/resource/analyzer/config.go):
each key is a policy name (or `all`, which sets every policy's level) and each value is either
an enforcement level or an object with an optional `enforcementLevel` and the policy's own
properties. `reconcile` fills in what the pack declares (levels, schema defaults, its initial
config), applies the given config on top, and validates the result against each policy's
config schema, so a pack behaves the same on both engines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

EnforcementLevel = Literal["advisory", "mandatory", "remediate", "disabled"]
LEVELS: tuple[EnforcementLevel, ...] = ("advisory", "mandatory", "remediate", "disabled")
ALL_POLICIES = "all"
LEVEL_KEY = "enforcementLevel"


@dataclass(frozen=True)
class PolicyConfig:
    """One policy's configuration: its enforcement level (None: the pack's own) and properties."""

    enforcement: EnforcementLevel | None = None
    properties: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {**({LEVEL_KEY: self.enforcement} if self.enforcement else {}), **self.properties}


@dataclass(frozen=True)
class PolicyInfo:
    """What a pack says about one of its policies (its `GetAnalyzerInfo`)."""

    name: str
    description: str = ""
    enforcement: EnforcementLevel = "advisory"
    kind: Literal["resource", "stack", "unknown"] = "unknown"
    config_properties: dict[str, Any] = field(default_factory=dict)  # property → JSON schema
    config_required: tuple[str, ...] = ()


def level(value: Any, *, where: str = "") -> EnforcementLevel:
    """`value` as an enforcement level; ValueError naming `where` otherwise."""
    if not isinstance(value, str) or value not in LEVELS:
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}{value!r} is not an enforcement level (use one of {', '.join(LEVELS)})")
    return value


def parse_policy_value(value: Any, *, where: str = "") -> PolicyConfig:
    """One entry of a `--policy-pack-config` file: a level, or an object with an optional
    `enforcementLevel` and the policy's properties; ValueError otherwise."""
    prefix = f"{where}: " if where else ""
    if isinstance(value, str):
        return PolicyConfig(enforcement=level(value, where=where))
    if not isinstance(value, Mapping):
        raise ValueError(f"{prefix}must be an enforcement level or a mapping of the policy's properties")
    properties = {str(k): v for k, v in value.items() if k != LEVEL_KEY}
    enforcement = level(value[LEVEL_KEY], where=f"{where}.{LEVEL_KEY}" if where else LEVEL_KEY) if (
        LEVEL_KEY in value
    ) else None
    return PolicyConfig(enforcement=enforcement, properties=properties)


def parse_pack_config(raw: Mapping[str, Any]) -> dict[str, PolicyConfig]:
    """The config of one pack as Pulumi parses a `--policy-pack-config` file; ValueError naming the
    policy whose value is not a level or an object. Empty entries are dropped, as Pulumi does."""
    parsed = {name: parse_policy_value(value, where=name) for name, value in raw.items()}
    return {name: c for name, c in parsed.items() if c.enforcement is not None or c.properties}


def unknown_policies(policies: Sequence[PolicyInfo], config: Mapping[str, PolicyConfig]) -> list[str]:
    """Names in `config` the pack has no policy for (a typo would otherwise silently not apply)."""
    known = {p.name for p in policies}
    return sorted(name for name in config if name != ALL_POLICIES and name not in known)


def reconcile(
    policies: Sequence[PolicyInfo],
    initial: Mapping[str, PolicyConfig],
    given: Mapping[str, PolicyConfig],
) -> tuple[dict[str, PolicyConfig], list[str]]:
    """The config to send a pack (`Configure`) and the validation errors, as Pulumi's
    `ReconcilePolicyPackConfig`: the pack's levels and schema defaults, then its initial
    config, then the given config; each policy's properties checked against its schema."""
    result = {p.name: PolicyConfig(enforcement=p.enforcement, properties=_defaults(p)) for p in policies}
    result = _apply(result, initial)
    result = _apply(result, given)
    return result, _validate(policies, result)


def _defaults(policy: PolicyInfo) -> dict[str, Any]:
    return {
        name: schema["default"]
        for name, schema in policy.config_properties.items()
        if isinstance(schema, Mapping) and "default" in schema
    }


def _apply(result: dict[str, PolicyConfig], config: Mapping[str, PolicyConfig]) -> dict[str, PolicyConfig]:
    applied = dict(result)
    every = config.get(ALL_POLICIES)
    if every is not None and every.enforcement is not None:
        applied = {name: PolicyConfig(every.enforcement, dict(c.properties)) for name, c in applied.items()}
    for name, given in config.items():
        if name == ALL_POLICIES:
            continue
        before = applied.get(name, PolicyConfig())
        applied[name] = PolicyConfig(
            enforcement=given.enforcement or before.enforcement,
            properties={**before.properties, **given.properties},
        )
    return applied


def _validate(policies: Sequence[PolicyInfo], config: Mapping[str, PolicyConfig]) -> list[str]:
    from jsonschema import Draft7Validator

    errors: list[str] = []
    for policy in policies:
        if not policy.config_properties and not policy.config_required:
            continue
        schema: dict[str, Any] = {"type": "object"}
        if policy.config_properties:
            schema["properties"] = policy.config_properties
        if policy.config_required:
            schema["required"] = list(policy.config_required)
        properties = config.get(policy.name, PolicyConfig()).properties
        for error in Draft7Validator(schema).iter_errors(properties):
            where = ".".join(str(p) for p in error.absolute_path)
            errors.append(f"{policy.name}: {where + ': ' if where else ''}{error.message}")
    return sorted(errors)
