"""`pulumi-python:dynamic:Resource`: the program's own `pulumi.dynamic` providers.

The provider object travels in the inputs as `__provider` (dill-pickled, base64), as the
SDK's `pulumi.dynamic.__main__` expects. We unpickle it as `get_provider` there does, but
without its call to `pulumi.runtime.configure(...)`: that call replaces the process-wide
SDK settings, and here the program is still running under our monitor in this process.
The calls and their arguments follow the SDK's dynamic provider server: `check(olds,
news)`, `diff(id, old_outputs, news)`, `create(news)`, `update(id, old_outputs, news)`,
`delete(id, outputs)`, `read(id, outputs)`.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

from orchestrator.engines.local.props import UNKNOWN_MARKER, contains_unknown
from orchestrator.engines.local.providers.base import DiffResult, ProviderError, ReadResult
from orchestrator.engines.local.steps import property_diffs

DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"
PROVIDER_KEY = "__provider"

_CACHE: dict[str, Any] = {}
_CACHE_LOCK = threading.Lock()


def load_dynamic_provider(serialized: str, config: dict[str, Any], project: str) -> Any:
    """The `pulumi.dynamic.ResourceProvider` pickled in `serialized`, configured once per process."""
    provider = _CACHE.get(serialized)
    if provider is not None:
        return provider
    with _CACHE_LOCK:
        provider = _CACHE.get(serialized)
        if provider is None:
            import dill
            from pulumi.dynamic import Config, ConfigureRequest
            from pulumi.runtime._serialization import _deserialize

            try:
                provider = _deserialize(lambda: dill.loads(base64.b64decode(serialized)))
            except Exception as exc:
                raise ProviderError(f"cannot load the dynamic provider: {type(exc).__name__}: {exc}") from exc
            provider.configure(ConfigureRequest(config=Config(raw_config=config, project_name=project)))
            _CACHE[serialized] = provider
    return provider


class DynamicResourceProvider:
    """Adapts a program's dynamic provider to the engine's `ResourceProvider` protocol."""

    def __init__(self, *, config: dict[str, Any], project: str) -> None:
        self._config = config
        self._project = project

    def _provider(self, props: dict[str, Any], fallback: dict[str, Any] | None = None) -> Any:
        serialized = props.get(PROVIDER_KEY)
        if (not isinstance(serialized, str) or serialized == UNKNOWN_MARKER) and fallback:
            serialized = fallback.get(PROVIDER_KEY)
        if not isinstance(serialized, str) or serialized == UNKNOWN_MARKER:
            raise ProviderError("dynamic resource has no `__provider` input")
        return load_dynamic_provider(serialized, self._config, self._project)

    def check(self, urn: str, name: str, olds: dict[str, Any] | None, news: dict[str, Any]) -> dict[str, Any]:
        provider = self._provider(news, olds)
        result = provider.check(dict(olds or {}), dict(news))
        failures = list(getattr(result, "failures", None) or [])
        if failures:
            reasons = "; ".join(f"{f.property}: {f.reason}" for f in failures)
            raise ProviderError(f"{name}: invalid inputs: {reasons}")
        inputs = dict(result.inputs if result.inputs is not None else news)
        inputs[PROVIDER_KEY] = news.get(PROVIDER_KEY)
        return inputs

    def diff(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> DiffResult:
        if contains_unknown(news.get(PROVIDER_KEY)):
            # Without the new provider code we cannot ask it; assume a change, as a preview would.
            return DiffResult(True, property_diffs(old_inputs, news))
        provider = self._provider(news, old_inputs)
        result = provider.diff(id, dict(old_outputs), dict(news))
        diffs = property_diffs(old_inputs, news)
        replaces = tuple(result.replaces or ())
        dbr = bool(result.delete_before_replace)
        if result.changes is None:
            # DIFF_UNKNOWN: the engine compares old and new inputs itself.
            return DiffResult(bool(diffs) or bool(replaces), diffs, replaces, dbr)
        return DiffResult(bool(result.changes) or bool(replaces), diffs, replaces, dbr)

    def preview_outputs(self, urn: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        # Like the engine in a preview: the inputs are all that is known of the outputs.
        return dict(inputs)

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        provider = self._provider(inputs)
        result = provider.create(dict(inputs))
        if not result.id:
            raise ProviderError(f"dynamic provider create for {urn} returned no id")
        outs = dict(result.outs or {})
        outs[PROVIDER_KEY] = inputs[PROVIDER_KEY]
        return str(result.id), outs

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        props = outputs if PROVIDER_KEY in outputs else {**outputs, PROVIDER_KEY: inputs.get(PROVIDER_KEY)}
        provider = self._provider(props, inputs)
        result = provider.read(id, dict(props))
        if result is None or not getattr(result, "id", None):
            return None
        outs = dict(result.outs or {})
        outs[PROVIDER_KEY] = props[PROVIDER_KEY]
        return ReadResult(id=str(result.id), outputs=outs)

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        provider = self._provider(news, old_inputs)
        result = provider.update(id, dict(old_outputs), dict(news))
        outs = dict(result.outs or {}) if result is not None else {}
        outs[PROVIDER_KEY] = news[PROVIDER_KEY]
        return outs

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        props = outputs if PROVIDER_KEY in outputs else {**outputs, PROVIDER_KEY: inputs.get(PROVIDER_KEY)}
        provider = self._provider(props, inputs)
        provider.delete(id, dict(props))
