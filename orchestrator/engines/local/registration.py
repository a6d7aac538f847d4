"""What the program declared (`Registration`), what a step answers (`StepOutcome`), and
how the deployment finds a resource's provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from orchestrator.engines.local.providers.base import ResourceProvider
from orchestrator.engines.local.state import ResourceState


@dataclass(frozen=True)
class Registration:
    """One resource as the program declared it (a RegisterResource or ReadResource)."""

    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    secret_inputs: frozenset[str] = frozenset()
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    provider_ref: str | None = None
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    replace_on_changes: tuple[str, ...] = ()
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    additional_secret_outputs: tuple[str, ...] = ()
    version: str = ""
    remote: bool = False
    alias_urns: tuple[str, ...] = ()
    read_id: str | None = None


@dataclass(frozen=True)
class StepOutcome:
    urn: str
    id: str
    outputs: dict[str, Any]  # wire form: secret values wrapped


class StepFailed(Exception):
    """A step failed; the message is already fit for the user (secrets redacted)."""


class ProviderLookup(Protocol):
    """Finds the provider for a resource type, for the default or an explicit provider."""

    def get(self, type_: str, provider_ref: str | None) -> ResourceProvider: ...


class PolicyCheck(Protocol):
    """The stack's policy packs (engines/local/policy.py): remediates, then analyzes, each
    resource's inputs; returns the inputs to go on with and the mandatory violations."""

    def check(
        self, reg: Registration, inputs: dict[str, Any], provider: ResourceState | None
    ) -> tuple[dict[str, Any], list[str]]: ...
