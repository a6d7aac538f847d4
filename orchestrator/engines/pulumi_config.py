"""What one run of the Pulumi CLI sets: the config entries (environment config under the stack
file's own keys, AWS provider settings, secrets), and the stack file they go into.

The entries are pure values; the stack file helpers read and write `Pulumi.<stack>.yaml`.
yaml is imported inside functions: the CLI must start fast.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import UserError
from orchestrator.fsutil import atomic_write
from orchestrator.models import AwsSettings, StackSpec

# Services whose endpoint is pointed at a custom AWS endpoint (an emulator such as moto).
ENDPOINT_SERVICES: tuple[str, ...] = (
    "cloudwatch",
    "dynamodb",
    "ec2",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
)
# Backends whose secrets default to the passphrase provider (everything but Pulumi Cloud).
_DIY_SCHEMES = ("file://", "s3://", "gs://", "azblob://", "postgres://")
_STACK_FILE_EXTENSIONS = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class ConfigEntry:
    """One config value as `pulumi config set-all` takes it; `path`: the key is a property path
    (`aws:endpoints[0].s3`) into a structured value, set with `--path`."""

    value: str
    secret: bool = False
    path: bool = False


def config_text(value: Any) -> str:
    """A config value as Pulumi hands it to programs: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


_PLAIN_PATH_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def structured_entries(key: str, value: Any) -> dict[str, ConfigEntry]:
    """A list or mapping as `--path` entries, one per leaf, so providers get a real structure
    (pulumi-aws reads `aws:endpoints` as a list of objects), not a JSON string."""
    if isinstance(value, Mapping) and value:
        entries: dict[str, ConfigEntry] = {}
        for child, child_value in value.items():
            name = str(child)
            step = f".{name}" if _PLAIN_PATH_KEY.match(name) else '["{}"]'.format(name.replace('"', '\\"'))
            entries.update(structured_entries(f"{key}{step}", child_value))
        return entries
    if isinstance(value, list | tuple) and value:
        entries = {}
        for index, item in enumerate(value):
            entries.update(structured_entries(f"{key}[{index}]", item))
        return entries
    return {key: ConfigEntry(config_text(value), path=True)}


def namespaced(key: str, project: str) -> str:
    """`key` → `<project>:key`, as Pulumi reads un-namespaced keys of a stack file."""
    return key if ":" in key else f"{project}:{key}"


def aws_provider_config(aws: AwsSettings, endpoint: str | None) -> dict[str, Any]:
    """Provider config of pulumi-aws for the environment's AWS settings."""
    config: dict[str, Any] = {"aws:region": aws.region}
    if aws.profile and not aws.role_arn:
        config["aws:profile"] = aws.profile
    if endpoint:
        config["aws:endpoints"] = [dict.fromkeys(ENDPOINT_SERVICES, endpoint)]
        # An emulator has no real account, metadata service or virtual-host S3 buckets.
        config["aws:skipCredentialsValidation"] = True
        config["aws:skipRequestingAccountId"] = True
        config["aws:skipMetadataApiCheck"] = True
        config["aws:s3UsePathStyle"] = True
    return config


def config_entries(
    spec: StackSpec,
    *,
    project: str,
    stack_file_keys: set[str],
    endpoint: str | None,
    environ: Mapping[str, str],
) -> tuple[dict[str, ConfigEntry], dict[str, Any], tuple[str, ...]]:
    """The config to set for one run: AWS-derived values under the environment's `config`,
    both under the stack file's own keys (which are left alone).

    Environment values: a scalar, list or mapping is plain (lists and mappings set leaf by leaf
    with `--path`, so they arrive structured); `{secret: VALUE}` or
    `{secret_env: NAME}` is set as a secret; `{secure: "v1:..."}` is an encrypted value for this
    stack's secrets provider, written as it is. Returns (entries, secure values, plain secrets).
    """
    merged: dict[str, Any] = {}
    for key, value in aws_provider_config(spec.aws, endpoint).items():
        merged[key] = value
    for key, value in spec.config.items():
        merged[namespaced(str(key), project)] = value

    entries: dict[str, ConfigEntry] = {}
    secure: dict[str, Any] = {}
    secrets: list[str] = []
    for key, value in merged.items():
        if key in stack_file_keys:
            continue  # the stack's own file wins
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            secure[key] = dict(value)
        elif isinstance(value, Mapping) and set(value) == {"secret"}:
            text = config_text(value["secret"])
            entries[key] = ConfigEntry(text, secret=True)
            secrets.append(text)
        elif isinstance(value, Mapping) and set(value) == {"secret_env"}:
            name = str(value["secret_env"])
            if name not in environ:
                raise UserError(
                    f"environment {spec.environment}: config {key}: environment variable {name} is not set",
                    hint=f"export {name} before running, or remove the key from the environment's config",
                )
            entries[key] = ConfigEntry(environ[name], secret=True)
            secrets.append(environ[name])
        elif isinstance(value, Mapping | list | tuple) and value and not _has_path_syntax(key):
            entries.update(structured_entries(key, value))
        else:
            entries[key] = ConfigEntry(config_text(value))
    return entries, secure, tuple(secrets)


def _has_path_syntax(key: str) -> bool:
    # A key that itself holds path characters cannot be the root of a `--path` entry.
    return any(ch in key for ch in '.[]"')


# --------------------------------------------------------------------------- the stack file


def stack_file(directory: Path, stack_name: str) -> Path:
    """`Pulumi.<stack>.yaml` (or .yml/.json) of a project; the .yaml path when none exists."""
    short = stack_name.split("/")[-1]
    for ext in _STACK_FILE_EXTENSIONS:
        candidate = directory / f"Pulumi.{short}{ext}"
        if candidate.exists():
            return candidate
    return directory / f"Pulumi.{short}.yaml"


def load_mapping(path: Path) -> dict[str, Any]:
    from orchestrator.yamlfile import load_file

    if not path.exists():
        return {}
    if path.suffix != ".json":
        document = load_file(path)
    else:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UserError(f"{path}: cannot be read: {exc}", hint="fix the file's syntax") from exc
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise UserError(f"{path}: expected a mapping, found {type(document).__name__}")
    return document


def project_name(directory: Path) -> str:
    for ext in _STACK_FILE_EXTENSIONS:
        path = directory / f"Pulumi{ext}"
        if path.exists():
            name = load_mapping(path).get("name")
            if isinstance(name, str) and name:
                return name
            raise UserError(f"{path}: missing `name`", hint="every Pulumi project names itself in Pulumi.yaml")
    raise UserError(
        f"{directory}: no Pulumi.yaml; not a Pulumi project directory",
        hint="check the project's directory in orchestrator.yaml / stacks/",
    )


def stack_file_config_keys(path: Path, project: str) -> set[str]:
    config = load_mapping(path).get("config") or {}
    if not isinstance(config, dict):
        raise UserError(f"{path}: `config` must be a mapping of keys to values")
    return {namespaced(str(k), project) for k in config}


def needs_passphrase(spec: StackSpec, stack_settings: Mapping[str, Any]) -> bool:
    """Whether the CLI will ask for a passphrase this run cannot type."""
    if not spec.backend.startswith(_DIY_SCHEMES):
        return False  # Pulumi Cloud manages the keys
    provider = spec.secrets_provider or stack_settings.get("secretsprovider")
    return provider in (None, "", "default") or str(provider).startswith("passphrase")


# The stack file is rewritten owner-only, as it always was (tempfile's permission).
_STACK_FILE_MODE = 0o600


def write_secure_config(path: Path, secure: Mapping[str, Any]) -> None:
    """Add `secure:` values (already encrypted for this stack) to the stack file."""
    from ruamel.yaml import YAML

    yaml = YAML()
    document = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if document is None:
        document = {}
    config = document.setdefault("config", {})
    for key, value in secure.items():
        config[key] = dict(value)
    text = io.StringIO()
    yaml.dump(document, text)
    atomic_write(path, text.getvalue(), mode=_STACK_FILE_MODE)


def restore_stack_file(path: Path, original: bytes | None) -> None:
    """Put the stack file back as it was before this run's config (atomically)."""
    if original is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    if path.exists() and path.read_bytes() == original:
        return
    atomic_write(path, original, mode=_STACK_FILE_MODE)
