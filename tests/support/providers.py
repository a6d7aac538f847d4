"""What the provider tests share: the default tags their provider context sets, and the
built-in provider of an AWS type as the engine gets it."""

from __future__ import annotations

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.base import ProviderContext
from orchestrator.engines.local.providers.registry import get_provider

DEFAULT_TAGS = {"ManagedBy": "orchestrator-tests"}


def provider(token: str, ctx: ProviderContext) -> DeclaredResource:
    """The built-in provider of an AWS type, as the engine gets it."""
    found = get_provider(token, ctx)
    assert isinstance(found, DeclaredResource)
    return found
