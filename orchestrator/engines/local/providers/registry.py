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
_LOCAL_PACKAGES = ("random:", "command:")  # packages whose providers act on this machine


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


def local_types() -> tuple[str, ...]:
    """The types of packages whose providers act on this machine (pulumi-random, pulumi-command)."""
    from orchestrator.engines.local.providers import command, random

    return (*random.KINDS, command.TOKEN)


def supported_types() -> tuple[str, ...]:
    """Every resource type the local engine runs, as `orchestrator stack types` lists them."""
    return (*aws_types(), *local_types(), *NAMED_KINDS, KUBERNETES_GENERIC, *ENGINE_TYPES)


def is_supported(type_token: str) -> bool:
    if type_token.startswith("aws:"):
        from orchestrator.engines.local.providers.aws import catalog

        return catalog.find_type(type_token) is not None
    if type_token.startswith(_LOCAL_PACKAGES):
        return type_token in local_types()
    return is_kubernetes_type(type_token) and unsupported_reason(type_token) is None


def _local_provider(type_token: str, ctx: ProviderContext) -> ResourceProvider:
    from orchestrator.engines.local.providers import command, random

    kind = random.KINDS.get(type_token)
    if kind is not None:
        return random.RandomResource(kind)
    if type_token == command.TOKEN:
        return command.LocalCommand(ctx)
    if type_token.startswith("command:remote:"):
        raise Unsupported("type", type_token, "it runs commands over SSH on another machine; use the pulumi engine")
    raise Unsupported("type", type_token)


def get_provider(type_token: str, ctx: ProviderContext) -> ResourceProvider:
    """The provider for `type_token`, or `Unsupported`."""
    if type_token.startswith("aws:"):
        from orchestrator.engines.local.providers.aws import catalog
        from orchestrator.engines.local.providers.aws.declared import DeclaredResource

        spec = catalog.find_type(type_token)
        if spec is not None:
            return (spec.impl or DeclaredResource)(spec, ctx)
    if type_token.startswith(_LOCAL_PACKAGES):
        return _local_provider(type_token, ctx)
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
