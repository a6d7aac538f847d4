"""Stack state in Pulumi's checkpoint format, its lock, and its atomic writes.

A `file://DIR` backend keeps a stack at `DIR/.pulumi/stacks/<project>/<stack>.json`:
`{"version": 3, "checkpoint": {"stack", "latest": {"manifest", "secrets_providers",
"resources", "pending_operations"}}}`, the same file the Pulumi CLI's DIY backend writes.
Secret values are stored encrypted with the passphrase secrets provider, as Pulumi does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import unquote, urlparse

from orchestrator.engines.local.props import SECRET_SIG, SIG_KEY, is_secret
from orchestrator.engines.local.urn import STACK_TYPE
from orchestrator.errors import UserError

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


def state_path(backend: Path, project: str, stack: str) -> Path:
    return backend / ".pulumi" / "stacks" / project / f"{stack}.json"


def lock_path(backend: Path, project: str, stack: str) -> Path:
    return backend / ".pulumi" / "locks" / project / f"{stack}.lock.json"


def manifests_dir(backend: Path, project: str, stack: str) -> Path:
    return backend / "manifests" / project / stack


# --------------------------------------------------------------------------- values


def _now() -> str:
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


# --------------------------------------------------------------------------- (de)serialization


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


# --------------------------------------------------------------------------- atomic writes


def atomic_write(path: Path, text: str) -> None:
    """Write `text` so a reader (or a crash) sees either the old or the new file, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


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


# --------------------------------------------------------------------------- locks


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    started: str
    operation: str = ""

    def describe(self) -> str:
        what = f" ({self.operation})" if self.operation else ""
        return f"pid {self.pid} on {self.host}, since {self.started}{what}"


class StackLocked(Exception):
    def __init__(self, holder: LockHolder, path: Path) -> None:
        super().__init__(f"stack is locked by {holder.describe()} (lock file {path})")
        self.holder = holder
        self.path = path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_holder(path: Path) -> LockHolder | None:
    try:
        raw = json.loads(path.read_text())
        return LockHolder(
            pid=int(raw["pid"]), host=str(raw["host"]), started=str(raw["started"]),
            operation=str(raw.get("operation", "")),
        )
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        # A torn or foreign lock file: treat as held by nobody we can name.
        return LockHolder(pid=0, host="unknown", started="unknown")


class StackLock:
    """One lock file per stack. A lock whose holder is a dead process on this host is
    stale and taken over; any other held lock raises `StackLocked`."""

    def __init__(self, path: Path, *, operation: str = "") -> None:
        self.path = path
        self.operation = operation
        self.holder: LockHolder | None = None
        self.took_over: LockHolder | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = LockHolder(pid=os.getpid(), host=socket.gethostname(), started=_now(), operation=self.operation)
        # The guard serializes the check-then-take of a stale lock between processes.
        with open(self.path.with_name(self.path.name + ".guard"), "a") as guard:
            fcntl.flock(guard.fileno(), fcntl.LOCK_EX)
            try:
                current = _read_holder(self.path)
                if current is not None:
                    if current.host == me.host and current.pid > 0 and not _pid_alive(current.pid):
                        self.took_over = current
                        self.path.unlink()
                    else:
                        raise StackLocked(current, self.path)
                self._create(me)
            finally:
                fcntl.flock(guard.fileno(), fcntl.LOCK_UN)
        self.holder = me

    def _create(self, me: LockHolder) -> None:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                holder = _read_holder(self.path) or me
                raise StackLocked(holder, self.path) from exc
            raise
        with os.fdopen(fd, "w") as fh:
            json.dump({"pid": me.pid, "host": me.host, "started": me.started, "operation": me.operation}, fh)
            fh.flush()
            os.fsync(fh.fileno())

    def release(self) -> None:
        if self.holder is None:
            return
        current = _read_holder(self.path)
        if current is not None and current.pid == self.holder.pid and current.host == self.holder.host:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        self.holder = None

    def __enter__(self) -> StackLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# --------------------------------------------------------------------------- helpers for callers


def with_pending(snapshot: Snapshot, op: PendingOperation) -> Snapshot:
    return replace(snapshot, pending_operations=(*snapshot.pending_operations, op))


def describe_pending(ops: Iterable[PendingOperation]) -> list[str]:
    return [f"{op.type} {op.resource.urn}" for op in ops]


def iter_custom(snapshot: Snapshot) -> Iterator[ResourceState]:
    return (r for r in snapshot.resources if r.custom)


SnapshotFactory = Callable[[], Snapshot]
