"""Pulumi's passphrase secrets provider, byte-compatible, and the stack's configuration.

Format (pulumi sdk/go/common/resource/config/crypt.go, pkg/secrets/passphrase/manager.go):
key = PBKDF2-HMAC-SHA256(passphrase, salt, 1,000,000 iterations, 32 bytes); AES-256-GCM
with a 12-byte nonce and no associated data; a value is `v1:<b64 nonce>:<b64 ciphertext+tag>`.
A stack's `encryptionsalt` is `v1:<b64 8-byte salt>:` followed by the encryption of `pulumi`,
which tells a wrong passphrase from a right one.

`cryptography` and `yaml` are imported inside functions: the CLI imports this module early.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import UserError

PBKDF2_ITERATIONS = 1_000_000
KEY_BYTES = 32
SALT_BYTES = 8
NONCE_BYTES = 12
CHECK_PLAINTEXT = "pulumi"
PASSPHRASE_ENV = "PULUMI_CONFIG_PASSPHRASE"
PASSPHRASE_FILE_ENV = "PULUMI_CONFIG_PASSPHRASE_FILE"
_PASSPHRASE_HINT = f"set {PASSPHRASE_ENV} to the stack's passphrase, or {PASSPHRASE_FILE_ENV} to a file holding it"

# Deriving a key costs about half a second: keep each (salt, passphrase) pair's key.
_keys: dict[tuple[bytes, bytes], bytes] = {}
_keys_lock = threading.Lock()


class PassphraseCrypter:
    """Encrypts and decrypts values exactly as Pulumi's passphrase provider does."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("a passphrase crypter needs a 32-byte key")
        self._key = key

    def encrypt(self, plaintext: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._key).encrypt(nonce, plaintext.encode("utf-8"), None)
        return f"v1:{_b64(nonce)}:{_b64(sealed)}"

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext; UserError when the value is malformed or was sealed with another key."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce, sealed = _parse_ciphertext(ciphertext)
        try:
            return AESGCM(self._key).decrypt(nonce, sealed, None).decode("utf-8")
        except InvalidTag as exc:
            raise UserError(
                "a secret value cannot be decrypted: it was encrypted with another passphrase or is damaged",
                hint=_PASSPHRASE_HINT,
            ) from exc


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UserError(f"{what} is not valid base64") from exc


def _parse_ciphertext(ciphertext: str) -> tuple[bytes, bytes]:
    parts = ciphertext.split(":")
    if len(parts) != 3 or parts[0] != "v1":
        raise UserError("a secret value is not in Pulumi's `v1:<nonce>:<ciphertext>` format")
    nonce = _unb64(parts[1], "a secret value's nonce")
    if len(nonce) != NONCE_BYTES:
        raise UserError("a secret value's nonce is not 12 bytes long")
    return nonce, _unb64(parts[2], "a secret value's ciphertext")


def _derive_key(passphrase: str, salt: bytes) -> bytes:
    passphrase_bytes = passphrase.encode("utf-8")
    cache_key = (salt, hashlib.sha256(passphrase_bytes).digest())
    with _keys_lock:
        cached = _keys.get(cache_key)
    if cached is not None:
        return cached
    key = hashlib.pbkdf2_hmac("sha256", passphrase_bytes, salt, PBKDF2_ITERATIONS, KEY_BYTES)
    with _keys_lock:
        _keys[cache_key] = key
    return key


def _parse_salt(salt: str) -> tuple[bytes, str]:
    """`v1:<b64 salt>:v1:<nonce>:<ct>` → (salt bytes, the encrypted check value)."""
    parts = salt.split(":", 2)
    if len(parts) != 3 or parts[0] != "v1" or not parts[2].startswith("v1:"):
        raise UserError("the stack's encryptionsalt is not in Pulumi's `v1:<salt>:v1:<nonce>:<ciphertext>` format")
    return _unb64(parts[1], "the stack's encryptionsalt"), parts[2]


def crypter_for_salt(salt: str, passphrase: str, *, stack: str | None = None) -> PassphraseCrypter:
    """The crypter of a stack whose `encryptionsalt` is `salt`; UserError for a wrong passphrase."""
    salt_bytes, check = _parse_salt(salt)
    crypter = PassphraseCrypter(_derive_key(passphrase, salt_bytes))
    try:
        plain = crypter.decrypt(check)
    except UserError:
        plain = None
    if plain != CHECK_PLAINTEXT:
        name = f" {stack}" if stack else ""
        raise UserError(f"incorrect passphrase for stack{name}", hint=_PASSPHRASE_HINT)
    return crypter


def new_encryption_salt(passphrase: str) -> tuple[str, PassphraseCrypter]:
    """A fresh `encryptionsalt` for a new stack, and its crypter."""
    salt_bytes = os.urandom(SALT_BYTES)
    crypter = PassphraseCrypter(_derive_key(passphrase, salt_bytes))
    return f"v1:{_b64(salt_bytes)}:{crypter.encrypt(CHECK_PLAINTEXT)}", crypter


def secrets_provider_state(salt: str) -> dict[str, Any]:
    """The checkpoint's `secrets_providers` entry for a passphrase stack, as Pulumi writes it."""
    return {"type": "passphrase", "state": {"salt": salt}}


def read_passphrase() -> str | None:
    """PULUMI_CONFIG_PASSPHRASE (an empty value is a valid passphrase), else the file named by
    PULUMI_CONFIG_PASSPHRASE_FILE (surrounding white space trimmed, as Pulumi does), else None."""
    if PASSPHRASE_ENV in os.environ:
        return os.environ[PASSPHRASE_ENV]
    path = os.environ.get(PASSPHRASE_FILE_ENV)
    if not path:
        return None
    try:
        return Path(path).expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UserError(
            f"cannot read the passphrase file {path} named by {PASSPHRASE_FILE_ENV}: {exc.strerror}",
            hint=_PASSPHRASE_HINT,
        ) from exc


# --------------------------------------------------------------------------------------
# Stack configuration
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StackConfig:
    """Config values as the Pulumi SDK receives them: namespaced keys, string values."""

    values: dict[str, str]
    secret_keys: frozenset[str]
    encryption_salt: str | None


def stack_file(project_dir: Path, stack_name: str) -> Path:
    # A fully qualified `org/project/stack` name keeps only its last part, as Pulumi does.
    return project_dir / f"Pulumi.{stack_name.rsplit('/', 1)[-1]}.yaml"


def _namespaced(key: str, project_name: str) -> str:
    return key if ":" in key else f"{project_name}:{key}"


def _is_secure(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"secure"} and isinstance(value["secure"], str)


def _has_secure(value: Any) -> bool:
    if _is_secure(value):
        return True
    if isinstance(value, Mapping):
        return any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


def _decrypt_deep(value: Any, decrypt: Any) -> Any:
    if _is_secure(value):
        return decrypt(value["secure"])
    if isinstance(value, Mapping):
        return {k: _decrypt_deep(v, decrypt) for k, v in value.items()}
    if isinstance(value, list):
        return [_decrypt_deep(v, decrypt) for v in value]
    return value


def _config_text(value: Any) -> str:
    """Pulumi hands non-string config to programs as JSON (Go's encoding: compact, sorted keys)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _load_stack_file(path: Path) -> dict[str, Any]:
    from orchestrator.yamlfile import load_file

    if not path.exists():
        return {}
    document = load_file(path)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise UserError(f"{path}: expected a mapping with a `config:` key, found {type(document).__name__}")
    return document


def _project_config(path: Path, project_name: str) -> tuple[dict[str, Any], set[str]]:
    """Defaults from the project's `config:` block (lowest priority), and the keys it requires:
    `key: value`, or `key: {type, default, description, secret}` (no default = required)."""
    block = _load_stack_file(path).get("config") or {}
    if not isinstance(block, dict):
        raise UserError(f"{path}: `config` must be a mapping of keys to values or declarations")
    defaults: dict[str, Any] = {}
    required: set[str] = set()
    for raw_key, spec in block.items():
        key = _namespaced(str(raw_key), project_name)
        if isinstance(spec, dict) and ("type" in spec or "default" in spec or "value" in spec):
            if "default" in spec or "value" in spec:
                defaults[key] = spec.get("value", spec.get("default"))
            else:
                required.add(key)
        else:
            defaults[key] = spec
    return defaults, required


def load_stack_config(
    project_dir: Path,
    project_name: str,
    stack_name: str,
    env_config: dict[str, Any],
    passphrase: str | None,
) -> StackConfig:
    """The environment's `config` merged under `Pulumi.<stack>.yaml`'s (the stack file wins),
    over the defaults of `Pulumi.yaml`'s `config:` block; keys namespaced with the project,
    secure values decrypted and their keys marked secret."""
    path = stack_file(project_dir, stack_name)
    document = _load_stack_file(path)
    provider = document.get("secretsprovider")
    if provider not in (None, "", "passphrase") and not str(provider).startswith("passphrase"):
        raise UserError(
            f"{path}: secretsprovider {provider!r} is not supported by the local engine (passphrase only)",
            hint="use the pulumi engine for this stack, or switch it to the passphrase provider",
        )
    salt = document.get("encryptionsalt")
    if salt is not None and not isinstance(salt, str):
        raise UserError(f"{path}: encryptionsalt must be a string")
    stack_config = document.get("config") or {}
    if not isinstance(stack_config, dict):
        raise UserError(f"{path}: `config` must be a mapping of keys to values")

    defaults, required = _project_config(project_dir / "Pulumi.yaml", project_name)
    merged: dict[str, Any] = dict(defaults)
    for source in (env_config, stack_config):
        for key, value in source.items():
            merged[_namespaced(str(key), project_name)] = value
    missing = sorted(required - merged.keys())
    if missing:
        raise UserError(
            f"stack {stack_name} is missing configuration value(s) {', '.join(missing)} "
            f"declared in {project_dir / 'Pulumi.yaml'}",
            hint=f"set them in {path.name} or in the environment's `config`",
        )

    crypter: PassphraseCrypter | None = None
    values: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key, value in merged.items():
        if _has_secure(value):
            if crypter is None:
                crypter = _crypter_for_file(path, salt, passphrase, key, stack_name)
            values[key] = _config_text(_decrypt_deep(value, _decrypter(crypter, path, key)))
            secret_keys.add(key)
        else:
            values[key] = _config_text(value)
    return StackConfig(values=values, secret_keys=frozenset(secret_keys), encryption_salt=salt)


def _crypter_for_file(
    path: Path, salt: str | None, passphrase: str | None, key: str, stack_name: str
) -> PassphraseCrypter:
    if salt is None:
        raise UserError(
            f"{path}: {key} is a secure value but the file has no encryptionsalt",
            hint="re-create the secret with `pulumi config set --secret` or restore the encryptionsalt line",
        )
    if passphrase is None:
        raise UserError(
            f"{path}: {key} is a secure value and no passphrase is set",
            hint=_PASSPHRASE_HINT,
        )
    return crypter_for_salt(salt, passphrase, stack=stack_name)


def _decrypter(crypter: PassphraseCrypter, path: Path, key: str) -> Any:
    def decrypt(ciphertext: str) -> str:
        try:
            return crypter.decrypt(ciphertext)
        except UserError as exc:
            raise UserError(f"{path}: {key}: {exc.message}", hint=exc.hint) from exc

    return decrypt
