"""Stack state as values: resources, pending operations, snapshots, backend paths, and the
holder of the stack's passphrase crypter.

A `file://DIR` backend keeps a stack at `DIR/.pulumi/stacks/<project>/<stack>.json`, the
same file the Pulumi CLI's DIY backend writes; `checkpoint.py` reads and writes it, and
`locks.py` guards it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import unquote, urlparse

from orchestrator.engines.local.urn import STACK_TYPE
from orchestrator.errors import UserError
from orchestrator.names import inside

PendingType = Literal["creating", "updating", "deleting"]
CHECKPOINT_VERSION = 3


class Crypter(Protocol):
    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, ciphertext: str) -> str: ...


# --------------------------------------------------------------------------- backend paths


def backend_dir(backend: str) -> Path:
    """The directory of a `file:///abs/dir` backend URL; any other backend is refused."""
    parsed = urlparse(backend)
    if parsed.scheme != "file":
        raise UserError(
            f"the local engine supports file:// backends only, not {backend!r}",
            "set `backend: file://<dir>` in the environment, or use `engine: pulumi` for this backend",
        )
    path = unquote(parsed.path)
    if parsed.netloc and parsed.netloc != "localhost":
        path = f"/{parsed.netloc}{path}" if not path.startswith("/") else f"{parsed.netloc}{path}"
    if not path or not os.path.isabs(path):
        raise UserError(f"backend {backend!r} must be an absolute file:/// URL")
    return Path(path)


# Each path is checked to stay inside the backend (`names.inside`): names come from files in
# the repository, and `..` in one must not write state outside it.


def state_path(backend: Path, project: str, stack: str) -> Path:
    return in_backend(backend, ".pulumi", "stacks", project, f"{stack}.json")


def lock_path(backend: Path, project: str, stack: str) -> Path:
    return in_backend(backend, ".pulumi", "locks", project, f"{stack}.lock.json")


def manifests_dir(backend: Path, project: str, stack: str) -> Path:
    return in_backend(backend, "manifests", project, stack)


def in_backend(backend: Path, *parts: str) -> Path:
    """`backend / parts...`, refused (exit 1) when it would resolve outside `backend`."""
    inside(backend, *parts)
    return backend.joinpath(*parts)


# --------------------------------------------------------------------------- values


def timestamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ResourceState:
    """One resource as recorded. `inputs`/`outputs` are plain values; the top-level keys
    listed in `secret_inputs`/`secret_outputs` are secret."""

    urn: str
    type: str
    custom: bool
    id: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_inputs: frozenset[str] = frozenset()
    secret_outputs: frozenset[str] = frozenset()
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    provider: str | None = None
    protect: bool = False
    external: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    additional_secret_outputs: tuple[str, ...] = ()
    delete: bool = False  # replaced, still in the cloud, to be deleted (Pulumi's `delete: true`)
    created: str = ""
    modified: str = ""

    def all_dependencies(self) -> set[str]:
        """Everything that must exist before this resource: parent, dependencies, provider."""
        deps = set(self.dependencies)
        if self.parent:
            deps.add(self.parent)
        for urns in self.property_dependencies.values():
            deps.update(urns)
        if self.provider:
            deps.add(self.provider.rpartition("::")[0])
        return deps


@dataclass(frozen=True)
class PendingOperation:
    resource: ResourceState
    type: PendingType


@dataclass(frozen=True)
class Snapshot:
    resources: tuple[ResourceState, ...] = ()
    pending_operations: tuple[PendingOperation, ...] = ()
    salt: str | None = None

    def by_urn(self) -> dict[str, ResourceState]:
        return {r.urn: r for r in self.resources}

    def stack_outputs(self) -> tuple[dict[str, Any], frozenset[str]]:
        for res in self.resources:
            if res.type == STACK_TYPE:
                return res.outputs, res.secret_outputs
        return {}, frozenset()


# --------------------------------------------------------------------------- secrets


class SecretsManager:
    """Holds the stack's passphrase crypter, created only when a secret is met, because
    deriving the key (PBKDF2, a million rounds) costs most of a second."""

    def __init__(self, *, salt: str | None, passphrase: str | None, stack_label: str) -> None:
        self._salt = salt
        self._passphrase = passphrase
        self._stack_label = stack_label
        self._crypter: Crypter | None = None
        self._lock = threading.Lock()
        self._cipher_cache: dict[str, str] = {}

    @property
    def salt(self) -> str | None:
        return self._salt

    def prefetch(self) -> None:
        """Derive the key on a background thread (hashlib releases the GIL meanwhile) while
        the caller imports the SDK; errors surface on the first real use."""
        if self._salt is None or self._passphrase is None:
            return

        def derive() -> None:
            with contextlib.suppress(Exception):
                self.crypter()

        threading.Thread(target=derive, name="derive-key", daemon=True).start()

    def crypter(self) -> Crypter:
        with self._lock:
            if self._crypter is None:
                self._crypter = self._make_crypter()
            return self._crypter

    def _make_crypter(self) -> Crypter:
        from orchestrator.engines.local import secrets

        if self._passphrase is None:
            raise UserError(
                f"stack {self._stack_label} holds secrets but no passphrase is set",
                "set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE",
            )
        if self._salt is not None:
            return secrets.crypter_for_salt(self._salt, self._passphrase)
        salt, crypter = secrets.new_encryption_salt(self._passphrase)
        self._salt = salt
        return crypter

    def encrypt_json(self, value: Any) -> str:
        plaintext = json.dumps(value, sort_keys=True, separators=(",", ":"))
        cached = self._cipher_cache.get(plaintext)
        if cached is None:
            # Reusing the ciphertext of an unchanged value keeps the state file stable.
            cached = self.crypter().encrypt(plaintext)
            self._cipher_cache[plaintext] = cached
        return cached

    def decrypt_json(self, ciphertext: str) -> Any:
        plaintext = self.crypter().decrypt(ciphertext)
        self._cipher_cache.setdefault(plaintext, ciphertext)
        return json.loads(plaintext)


def describe_pending(ops: Iterable[PendingOperation]) -> list[str]:
    return [f"{op.type} {op.resource.urn}" for op in ops]
