"""Which built-in provider handles a type token, and which code answers a provider function.

The engine core handles `pulumi-python:dynamic:Resource` and `pulumi:pulumi:StackReference`
itself; everything else comes through `get_provider` and `get_function`, which refuse, never
skip, what they do not know, with one short line naming it and where the list is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from orchestrator.engines.local.providers.base import ProviderContext, ProviderError, ResourceProvider
from orchestrator.engines.local.providers.kubernetes import (
    NAMED_KINDS,
    KubernetesObject,
    is_kubernetes_type,
    unsupported_reason,
)

KUBERNETES_GENERIC = "kubernetes:<group>/<version>:<Kind> (any plain object)"
ENGINE_TYPES: tuple[str, ...] = ("pulumi-python:dynamic:Resource", "pulumi:pulumi:StackReference")
WHERE_LISTED = "`orchestrator stack types` lists what it supports"


class Unsupported(ProviderError):
    """A resource type or provider function the local engine does not have."""

    def __init__(self, kind: Literal["type", "function"], token: str, reason: str = "") -> None:
        what = "resource type" if kind == "type" else "provider function"
        because = f" ({reason})" if reason else ""
        super().__init__(f"{what} {token} is not supported by the local engine{because}; {WHERE_LISTED}")
        self.kind = kind
        self.token = token


def aws_types() -> tuple[str, ...]:
    from orchestrator.engines.local.providers.aws import catalog

    return tuple(t.token for t in catalog.all_types())


def functions() -> tuple[str, ...]:
    from orchestrator.engines.local.providers.aws import catalog

    return tuple(f.token for f in catalog.all_functions())


def supported_types() -> tuple[str, ...]:
    """Every resource type the local engine runs, as `orchestrator stack types` lists them."""
    return (*aws_types(), *NAMED_KINDS, KUBERNETES_GENERIC, *ENGINE_TYPES)


def is_supported(type_token: str) -> bool:
    if type_token.startswith("aws:"):
        from orchestrator.engines.local.providers.aws import catalog

        return catalog.find_type(type_token) is not None
    return is_kubernetes_type(type_token) and unsupported_reason(type_token) is None


def get_provider(type_token: str, ctx: ProviderContext) -> ResourceProvider:
    """The provider for `type_token`, or `Unsupported`."""
    if type_token.startswith("aws:"):
        from orchestrator.engines.local.providers.aws import catalog
        from orchestrator.engines.local.providers.aws.declared import DeclaredResource

        spec = catalog.find_type(type_token)
        if spec is not None:
            return (spec.impl or DeclaredResource)(spec, ctx)
    if is_kubernetes_type(type_token):
        reason = unsupported_reason(type_token)
        if reason is None:
            return KubernetesObject(ctx, type_token)
        raise Unsupported("type", type_token, reason)
    raise Unsupported("type", type_token)


def call_function(token: str, ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Answer a provider function, or raise `Unsupported`."""
    if token.startswith("aws:"):
        from orchestrator.engines.local.providers.aws import catalog

        function = catalog.find_function(token)
        if function is not None:
            return function.handler(ctx, args)
    raise Unsupported("function", token)
