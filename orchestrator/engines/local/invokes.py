"""Provider functions (invokes such as `aws.get_caller_identity()`), answered through the
provider registry (`Mocks.call`), in the context of the provider the call names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.engines.local.provider_lookup import Providers
from orchestrator.engines.local.providers.base import ProviderError
from orchestrator.engines.local.providers.registry import Unsupported, call_function


class Invokes:
    def __init__(self, providers: Providers, note_unsupported: Callable[[Unsupported], None]) -> None:
        self._providers = providers
        self._note_unsupported = note_unsupported

    def call(self, args: Any) -> dict[str, Any]:
        try:
            return call_function(args.token, self._providers.context(args.provider or None), dict(args.args or {}))
        except Unsupported as exc:
            self._note_unsupported(exc)
            raise

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:  # pragma: no cover - unused
        raise ProviderError("unexpected resource registration through the mocks")
