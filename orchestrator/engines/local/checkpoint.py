"""Pulumi's checkpoint format: (de)serialization, loading, and atomic writes.

`{"version": 3, "checkpoint": {"stack", "latest": {"manifest", "secrets_providers",
"resources", "pending_operations"}}}`. Secret values are stored encrypted with the
passphrase secrets provider, as Pulumi does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from orchestrator.engines.local.props import SECRET_SIG, SIG_KEY, is_secret
from orchestrator.engines.local.state import (
    CHECKPOINT_VERSION,
    PendingOperation,
    ResourceState,
    SecretsManager,
    Snapshot,
)
from orchestrator.errors import UserError
from orchestrator.fsutil import atomic_write


def _encode_props(
    props: dict[str, Any], secret_keys: Iterable[str], secrets: SecretsManager
) -> dict[str, Any]:
    keys = set(secret_keys)
    return {
        k: {SIG_KEY: SECRET_SIG, "ciphertext": secrets.encrypt_json(v)} if k in keys else v
        for k, v in props.items()
    }


def _decode_value(value: Any, secrets: SecretsManager) -> tuple[Any, bool]:
    """Plain value and whether it held a secret. Accepts `ciphertext` (passphrase state) and
    `plaintext` (a `stack export --show-secrets` file) envelopes."""
    if is_secret(value):
        if "ciphertext" in value:
            return secrets.decrypt_json(value["ciphertext"]), True
        if "plaintext" in value:
            return json.loads(value["plaintext"]), True
        return value.get("value"), True
    if isinstance(value, dict):
        found = False
        out: dict[str, Any] = {}
        for k, v in value.items():
            out[k], inner = _decode_value(v, secrets)
            found = found or inner
        return out, found
    if isinstance(value, list):
        items = [_decode_value(v, secrets) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _decode_props(raw: dict[str, Any] | None, secrets: SecretsManager) -> tuple[dict[str, Any], frozenset[str]]:
    props: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for key, value in (raw or {}).items():
        props[key], secret = _decode_value(value, secrets)
        if secret:
            secret_keys.add(key)
    return props, frozenset(secret_keys)


def resource_to_json(res: ResourceState, secrets: SecretsManager) -> dict[str, Any]:
    out: dict[str, Any] = {"urn": res.urn, "custom": res.custom}
    if res.id:
        out["id"] = res.id
    out["type"] = res.type
    if res.inputs:
        out["inputs"] = _encode_props(res.inputs, res.secret_inputs, secrets)
    if res.outputs:
        out["outputs"] = _encode_props(res.outputs, res.secret_outputs, secrets)
    if res.parent:
        out["parent"] = res.parent
    if res.protect:
        out["protect"] = True
    if res.external:
        out["external"] = True
    if res.retain_on_delete:
        out["retainOnDelete"] = True
    if res.dependencies:
        out["dependencies"] = list(res.dependencies)
    if res.provider:
        out["provider"] = res.provider
    if res.property_dependencies:
        out["propertyDependencies"] = res.property_dependencies
    if res.additional_secret_outputs:
        out["additionalSecretOutputs"] = list(res.additional_secret_outputs)
    if res.delete_before_replace:
        out["deleteBeforeReplace"] = True
    if res.delete:
        out["delete"] = True
    if res.created:
        out["created"] = res.created
    if res.modified:
        out["modified"] = res.modified
    return out


def resource_from_json(raw: dict[str, Any], secrets: SecretsManager) -> ResourceState:
    inputs, secret_inputs = _decode_props(raw.get("inputs"), secrets)
    outputs, secret_outputs = _decode_props(raw.get("outputs"), secrets)
    return ResourceState(
        urn=raw["urn"],
        type=raw["type"],
        custom=bool(raw.get("custom", False)),
        id=str(raw.get("id") or ""),
        inputs=inputs,
        outputs=outputs,
        secret_inputs=secret_inputs,
        secret_outputs=secret_outputs | frozenset(k for k in raw.get("additionalSecretOutputs") or () if k in outputs),
        parent=raw.get("parent") or None,
        dependencies=tuple(raw.get("dependencies") or ()),
        property_dependencies={k: list(v) for k, v in (raw.get("propertyDependencies") or {}).items()},
        provider=raw.get("provider") or None,
        protect=bool(raw.get("protect", False)),
        external=bool(raw.get("external", False)),
        retain_on_delete=bool(raw.get("retainOnDelete", False)),
        delete_before_replace=bool(raw.get("deleteBeforeReplace", False)),
        additional_secret_outputs=tuple(raw.get("additionalSecretOutputs") or ()),
        delete=bool(raw.get("delete", False)),
        created=raw.get("created", ""),
        modified=raw.get("modified", ""),
    )


def ordered(resources: Iterable[ResourceState]) -> list[ResourceState]:
    """Resources with everything a resource depends on before it (stable otherwise), the
    order Pulumi requires when it loads a checkpoint. A URN may appear twice (a replaced
    resource awaiting delete beside its replacement): dependencies name the live one."""
    items = list(resources)
    live: dict[str, int] = {}
    for index, res in enumerate(items):
        if not res.delete or res.urn not in live:
            live[res.urn] = index
    placed: set[int] = set()
    visiting: set[int] = set()
    result: list[ResourceState] = []

    def visit(index: int) -> None:
        if index in placed or index in visiting:
            return
        visiting.add(index)
        for dep in sorted(items[index].all_dependencies()):
            dep_index = live.get(dep)
            if dep_index is not None and dep_index != index:
                visit(dep_index)
        visiting.discard(index)
        placed.add(index)
        result.append(items[index])

    for index in range(len(items)):
        visit(index)
    return result


def _sdk_version() -> str:
    from importlib import metadata

    try:
        return "v" + metadata.version("pulumi")
    except metadata.PackageNotFoundError:
        return ""


def snapshot_to_json(snapshot: Snapshot, *, stack_name: str, secrets: SecretsManager) -> dict[str, Any]:
    version = _sdk_version()
    resources = [resource_to_json(r, secrets) for r in ordered(snapshot.resources)]
    pending = [
        {"resource": resource_to_json(p.resource, secrets), "type": p.type}
        for p in snapshot.pending_operations
    ]
    latest: dict[str, Any] = {
        "manifest": {
            "time": dt.datetime.now(dt.UTC).isoformat(),
            "magic": hashlib.sha256(version.encode()).hexdigest() if version else "",
            "version": version,
        },
    }
    # Read after encrypting: a new stack's salt is made by its first secret.
    if secrets.salt is not None:
        latest["secrets_providers"] = {"type": "passphrase", "state": {"salt": secrets.salt}}
    latest["resources"] = resources
    if pending:
        latest["pending_operations"] = pending
    return {"version": CHECKPOINT_VERSION, "checkpoint": {"stack": stack_name, "latest": latest}}


def snapshot_from_json(data: dict[str, Any], secrets: SecretsManager, *, source: str) -> Snapshot:
    if data.get("version") not in (1, 2, 3):
        raise UserError(f"{source}: unsupported checkpoint version {data.get('version')!r}")
    latest = (data.get("checkpoint") or {}).get("latest") or {}
    resources = tuple(resource_from_json(r, secrets) for r in latest.get("resources") or ())
    pending = tuple(
        PendingOperation(resource=resource_from_json(p["resource"], secrets), type=p["type"])
        for p in latest.get("pending_operations") or ()
    )
    provider = latest.get("secrets_providers") or {}
    salt = (provider.get("state") or {}).get("salt") if provider.get("type") == "passphrase" else None
    return Snapshot(resources=resources, pending_operations=pending, salt=salt)


def peek_salt(path: Path) -> str | None:
    """The passphrase salt recorded in a checkpoint, without decrypting anything."""
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    provider = ((data.get("checkpoint") or {}).get("latest") or {}).get("secrets_providers") or {}
    if provider.get("type") != "passphrase":
        return None
    salt = (provider.get("state") or {}).get("salt")
    return salt if isinstance(salt, str) else None


def load_snapshot(path: Path, secrets: SecretsManager) -> Snapshot:
    if not path.exists():
        return Snapshot(salt=secrets.salt)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise UserError(
            f"state file {path} is not valid JSON ({exc})",
            f"restore it from {path.name}.bak beside it",
        ) from exc
    return snapshot_from_json(data, secrets, source=str(path))


class StateWriter:
    """Writes one stack's checkpoint. The first write of a run keeps the previous file as
    `<stack>.json.bak`, the state as it was before the run."""

    def __init__(self, path: Path, *, stack_name: str, secrets: SecretsManager) -> None:
        self.path = path
        self.stack_name = stack_name
        self.secrets = secrets
        self._backed_up = False
        self._lock = threading.Lock()
        self.writes = 0

    def write(self, snapshot: Snapshot, *, compact: bool = False) -> None:
        """`compact` for the writes during a run (a fraction of the cost of indenting a large
        state); the last write of a run is indented like Pulumi's own files."""
        with self._lock:
            if not self._backed_up:
                if self.path.exists():
                    atomic_write(self.path.with_name(self.path.name + ".bak"), self.path.read_text())
                self._backed_up = True
            data = snapshot_to_json(snapshot, stack_name=self.stack_name, secrets=self.secrets)
            text = json.dumps(data, separators=(",", ":")) if compact else json.dumps(data, indent=4)
            atomic_write(self.path, text + "\n")
            self.writes += 1
