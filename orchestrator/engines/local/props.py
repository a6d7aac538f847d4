"""Property values as they travel between the SDK, the providers and the state file.

The SDK sends property values as protobuf Structs turned into plain JSON values. Special
values are maps keyed by `SIG_KEY`: secrets `{SIG_KEY: SECRET_SIG, "value": v}` and resource
references `{SIG_KEY: RESOURCE_SIG, "urn": ..., "id": ...}`. Inside the engine a resource's
properties are plain values plus the set of top-level keys that are secret: providers see
plain values; the secret marking is put back on the way out (to the SDK, to state, to results).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orchestrator.engines.base import SECRET, UNKNOWN

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN_MARKER = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def wrap_secret(value: Any) -> dict[str, Any]:
    return {SIG_KEY: SECRET_SIG, "value": value}


def contains_secret(value: Any) -> bool:
    if is_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


def contains_unknown(value: Any) -> bool:
    if value == UNKNOWN_MARKER:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def unwrap(value: Any) -> Any:
    """Plain value: secrets unwrapped, resource references replaced by their id (or URN)."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return unwrap(value.get("value"))
        if sig == RESOURCE_SIG:
            ref_id = value.get("id")
            return ref_id if ref_id not in (None, "") else value.get("urn")
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def split_secrets(props: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """Plain properties and the top-level keys whose value holds a secret anywhere inside."""
    secret_keys = frozenset(k for k, v in props.items() if contains_secret(v))
    return {k: unwrap(v) for k, v in props.items()}, secret_keys


def mark_secrets(props: dict[str, Any], secret_keys: Iterable[str]) -> dict[str, Any]:
    """Wire form: the values of `secret_keys` wrapped as secrets."""
    keys = set(secret_keys)
    return {k: wrap_secret(v) if k in keys and not is_secret(v) else v for k, v in props.items()}


def display_value(value: Any, *, secret: bool = False) -> Any:
    """A value fit for a result: secrets and unknowns replaced by their display strings."""
    if secret or is_secret(value):
        return SECRET
    if value == UNKNOWN_MARKER:
        return UNKNOWN
    if isinstance(value, dict):
        return {k: display_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [display_value(v) for v in value]
    return value


def display_props(props: dict[str, Any], secret_keys: Iterable[str]) -> dict[str, Any]:
    keys = set(secret_keys)
    return {k: display_value(v, secret=k in keys) for k, v in props.items()}


def secret_strings(value: Any) -> set[str]:
    """Every string inside a value, for redacting it from free text (tracebacks, messages)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(secret_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(secret_strings(v) for v in value)) if value else set()
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, int | float):
        return {str(value)}
    return set()


class SecretMasker:
    """Removes known secret values from free text, and only those (`orchestrator.redact.Redactor`
    also catches credential-looking text). Short values are kept: masking `1` or `ab`
    everywhere would wreck messages and protect nothing."""

    MIN_LENGTH = 4

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets.update(s for s in secrets if len(s) >= self.MIN_LENGTH)

    def __call__(self, text: str) -> str:
        # Longest first, so a secret containing another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, SECRET)
        return text
