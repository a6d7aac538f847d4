"""The pulumi engine: drives the real Pulumi CLI through the Automation API.

One `LocalWorkspace` per project directory (the checkout of the commit being run), the stack
created or selected by name against the environment's backend (`PULUMI_BACKEND_URL`), the
environment's config merged under `Pulumi.<stack>.yaml`, and the environment's AWS settings
passed as provider config and environment variables. Results come from the engine events the
CLI writes (normalized in `pulumi_events`), so both engines report the same way.

The environment's config is written into `Pulumi.<stack>.yaml` only for the duration of one
operation (through `pulumi config set-all`, so secrets are encrypted by the stack's own secrets
provider) and the file is put back afterwards: a run never leaves the environment's values in
the checkout, where the next run would mistake them for the stack's own.

pulumi, boto3 and yaml are imported inside functions: the CLI must start fast.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from orchestrator.engines.applied import AppliedCommit, HistoryEntry, applied_from_history, update_message
from orchestrator.engines.base import (
    SECRET,
    Diagnostic,
    ResultOperation,
    StackResult,
    Status,
    redact_result,
)
from orchestrator.engines.pulumi_events import EventCollector
from orchestrator.errors import UserError
from orchestrator.models import AwsSettings, StackSpec
from orchestrator.policy.cli_args import policy_pack_arguments
from orchestrator.redact import Redactor

INSTALL_URL = "https://www.pulumi.com/docs/install/"
MISSING_CLI_HINT = (
    f"install the Pulumi CLI ({INSTALL_URL}) so that `pulumi` is on PATH, "
    "or set `engine: local` in the environment's file (environments/<env>.yaml)"
)
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
HISTORY_PAGE_SIZE = 50  # `stack history` entries per CLI call while looking for the applied commit
HISTORY_PAGES = 4
_DIY_SCHEMES = ("file://", "s3://", "gs://", "azblob://", "postgres://")
_STACK_FILE_EXTENSIONS = (".yaml", ".yml", ".json")


# ---------------------------------------------------------------------------------------------
# Pure pieces: config, environment variables, redaction
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigEntry:
    """One config value as `pulumi config set-all` takes it; `path`: the key is a property path
    (`aws:endpoints[0].s3`) into a structured value, set with `--path`."""

    value: str
    secret: bool = False
    path: bool = False


def config_text(value: Any) -> str:
    """A config value as Pulumi hands it to programs: strings as they are, the rest as JSON."""
    import json

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


def aws_env_vars(aws: AwsSettings, endpoint: str | None, environ: Mapping[str, str]) -> dict[str, str]:
    """Environment variables for the AWS SDKs in the CLI and its provider plugins."""
    env = {"AWS_REGION": aws.region, "AWS_DEFAULT_REGION": aws.region}
    if aws.profile and not aws.role_arn:
        env["AWS_PROFILE"] = aws.profile
    has_credentials = "AWS_ACCESS_KEY_ID" in environ or "AWS_PROFILE" in environ or aws.profile or aws.role_arn
    if endpoint and not has_credentials:
        # Emulators accept any key; pulumi-aws refuses to start with none at all.
        env["AWS_ACCESS_KEY_ID"] = "test"
        env["AWS_SECRET_ACCESS_KEY"] = "test"
    return env


def redact_text(text: str, secrets: tuple[str, ...] | list[str]) -> str:
    """Free text with secret values and credential-looking strings replaced by `[secret]`."""
    return Redactor(secrets).text(text)


def command_error_text(exc: BaseException) -> str:
    """The useful part of an SDK CommandError: stderr, else the tail of stdout."""
    text = str(exc)
    stdout, _, stderr = text.partition("\n stderr: ")
    stderr = stderr.strip()
    if stderr:
        return stderr
    out = stdout.partition("\n stdout: ")[2].strip()
    tail = "\n".join(out.splitlines()[-20:])
    return tail or text.strip()


def stack_file(directory: Path, stack_name: str) -> Path:
    """`Pulumi.<stack>.yaml` (or .yml/.json) of a project; the .yaml path when none exists."""
    short = stack_name.split("/")[-1]
    for ext in _STACK_FILE_EXTENSIONS:
        candidate = directory / f"Pulumi.{short}{ext}"
        if candidate.exists():
            return candidate
    return directory / f"Pulumi.{short}.yaml"


def _load_mapping(path: Path) -> dict[str, Any]:
    import json

    import yaml

    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
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
            name = _load_mapping(path).get("name")
            if isinstance(name, str) and name:
                return name
            raise UserError(f"{path}: missing `name`", hint="every Pulumi project names itself in Pulumi.yaml")
    raise UserError(
        f"{directory}: no Pulumi.yaml; not a Pulumi project directory",
        hint="check the project's directory in orchestrator.yaml / stacks/",
    )


def stack_file_config_keys(path: Path, project: str) -> set[str]:
    config = _load_mapping(path).get("config") or {}
    if not isinstance(config, dict):
        raise UserError(f"{path}: `config` must be a mapping of keys to values")
    return {namespaced(str(k), project) for k in config}


def needs_passphrase(spec: StackSpec, stack_settings: Mapping[str, Any]) -> bool:
    """Whether the CLI will ask for a passphrase this run cannot type."""
    if not spec.backend.startswith(_DIY_SCHEMES):
        return False  # Pulumi Cloud manages the keys
    provider = spec.secrets_provider or stack_settings.get("secretsprovider")
    return provider in (None, "", "default") or str(provider).startswith("passphrase")


def default_endpoint(spec: StackSpec) -> str | None:
    """The AWS endpoint URL: `sandbox` → the running embedded AWS; a URL as is; None → AWS."""
    if spec.aws.endpoint is None:
        return None
    from orchestrator.sandbox import resolve_endpoint

    return resolve_endpoint(spec.aws, spec.repo_root)


def assume_role_env(aws: AwsSettings, endpoint: str | None, session_name: str) -> dict[str, str]:
    """Temporary credentials of `aws.role_arn` (boto3 STS), as environment variables."""
    import boto3
    import botocore.exceptions

    try:
        session = boto3.Session(profile_name=aws.profile, region_name=aws.region)
        sts = session.client("sts", endpoint_url=endpoint) if endpoint else session.client("sts")
        response = sts.assume_role(RoleArn=aws.role_arn, RoleSessionName=session_name)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise UserError(
            f"cannot assume role {aws.role_arn}: {redact_text(str(exc), ())}",
            hint="check the environment's aws.role_arn and aws.profile, and the credentials allowed to assume it",
        ) from exc
    credentials = response["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": str(credentials["AccessKeyId"]),
        "AWS_SECRET_ACCESS_KEY": str(credentials["SecretAccessKey"]),
        "AWS_SESSION_TOKEN": str(credentials["SessionToken"]),
    }


def session_name(spec: StackSpec) -> str:
    """An STS session name (≤ 64 chars of [\\w+=,.@-]) saying who assumed the role for what."""
    raw = f"gitops-orchestrator-{spec.project}-{spec.environment}"
    return re.sub(r"[^\w+=,.@-]", "-", raw)[:64]


# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------

EventCallback = Callable[[StackSpec, Any], None]
StackCall = Callable[[Any, EventCollector], dict[str, Any]]


class PulumiEngine:
    """`Engine` for `engine: pulumi`: the real Pulumi CLI through `pulumi.automation`.

    `on_event` receives every engine event (with the stack it belongs to) as the CLI emits it,
    for progress display. `endpoint_resolver` turns the environment's `aws.endpoint` into a URL
    (default: `sandbox` → the running embedded AWS). `parallel` is passed to the CLI when set.
    """

    def __init__(
        self,
        *,
        on_event: EventCallback | None = None,
        endpoint_resolver: Callable[[StackSpec], str | None] = default_endpoint,
        parallel: int | None = None,
        pulumi_home: str | None = None,
    ) -> None:
        if shutil.which("pulumi") is None:
            raise UserError("engine `pulumi` needs the Pulumi CLI, and no `pulumi` executable is on PATH",
                            hint=MISSING_CLI_HINT)
        self.on_event = on_event
        self.endpoint_resolver = endpoint_resolver
        self.parallel = parallel
        self.pulumi_home = pulumi_home

    # ------------------------------------------------------------------ Engine protocol

    def preview(self, stack: StackSpec) -> StackResult:
        def call(s: Any, events: EventCollector) -> dict[str, Any]:
            with policy_pack_arguments(stack.policy_packs) as policies:
                s.preview(on_event=events, parallel=self.parallel, **policies)
            return {}

        return self._run(stack, "preview", call, create=True)

    def update(self, stack: StackSpec) -> StackResult:
        def call(s: Any, events: EventCollector) -> dict[str, Any]:
            with policy_pack_arguments(stack.policy_packs) as policies:
                result = s.up(on_event=events, parallel=self.parallel, show_secrets=False, message=_message(stack),
                              **policies)
            return _masked_outputs(result.outputs)

        return self._run(stack, "update", call, create=True)

    def destroy(self, stack: StackSpec, *, preview_only: bool) -> StackResult:
        def preview_call(s: Any, events: EventCollector) -> dict[str, Any]:
            s.preview_destroy(on_event=events, parallel=self.parallel, show_secrets=False)
            return {}

        def destroy_call(s: Any, events: EventCollector) -> dict[str, Any]:
            s.destroy(on_event=events, parallel=self.parallel, show_secrets=False, message=_message(stack))
            return {}

        if preview_only:
            return self._run(stack, "destroy-preview", preview_call, create=False)
        return self._run(stack, "destroy", destroy_call, create=False)

    def drift(self, stack: StackSpec) -> StackResult:
        def call(s: Any, events: EventCollector) -> dict[str, Any]:
            # `refresh --preview-only`: live cloud against recorded state, nothing written.
            s.preview_refresh(on_event=events, parallel=self.parallel, show_secrets=False)
            return {}

        return self._run(stack, "drift", call, create=False)

    def refresh(self, stack: StackSpec) -> StackResult:
        """`pulumi refresh`: the live cloud written into the state (before a remediating update)."""

        def call(s: Any, events: EventCollector) -> dict[str, Any]:
            s.refresh(on_event=events, parallel=self.parallel, show_secrets=False)
            return {}

        return self._run(stack, "refresh", call, create=False)

    def applied(self, stack: StackSpec) -> AppliedCommit | None:
        """The commit the stack last applied, from the backend's update history (`stack history`),
        read a page at a time until an update decides it."""
        from pulumi.automation import CommandError, StackNotFoundError

        try:
            with self._opened(stack, create=False, configure=False, secrets=[]) as opened:
                if opened is None:
                    return None
                return applied_from_history(_history(opened))
        except StackNotFoundError:
            return None
        except CommandError as exc:
            raise UserError(
                f"cannot read the update history of stack {stack.id}: {redact_text(command_error_text(exc), ())}",
                hint=f"check the backend {stack.backend} and the Pulumi CLI's login",
            ) from exc

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        """The stack's outputs, secrets shown as `[secret]`; {} for a stack never deployed."""
        from pulumi.automation import CommandError, StackNotFoundError

        try:
            with self._opened(stack, create=False, configure=False, secrets=[]) as opened:
                if opened is None:
                    return {}
                return _masked_outputs(opened.outputs())
        except StackNotFoundError:
            return {}
        except CommandError as exc:
            raise UserError(
                f"cannot read the outputs of stack {stack.id}: {redact_text(command_error_text(exc), ())}",
                hint=f"check the backend {stack.backend} and the Pulumi CLI's login",
            ) from exc

    # ------------------------------------------------------------------ running one operation

    def _run(self, spec: StackSpec, operation: ResultOperation, call: StackCall, *, create: bool) -> StackResult:
        from pulumi.automation import CommandError, ConcurrentUpdateError

        started = time.monotonic()
        collector = EventCollector(refresh=operation == "drift", forward=self._forwarder(spec))
        secrets: list[str] = []  # filled by _opened as soon as known, so errors are redacted too
        outputs: dict[str, Any] = {}
        status: Status = "succeeded"
        error: str | None = None
        extra: list[Diagnostic] = []
        try:
            with self._opened(spec, create=create, secrets=secrets) as stack:
                if stack is None:
                    extra.append(Diagnostic("info", f"stack {spec.stack_name} does not exist in {spec.backend}"))
                else:
                    outputs = call(stack, collector)
        except ConcurrentUpdateError as exc:
            status, error = "locked", command_error_text(exc)
        except CommandError as exc:
            status, error = "failed", command_error_text(exc)
        except UserError as exc:
            status, error = "failed", str(exc)
            extra.append(Diagnostic("error", str(exc)))
        except RuntimeError as exc:  # the SDK's "summary event never found" and the like
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        events = collector.result()
        result = StackResult(
            stack=spec.id,
            operation=operation,
            status=status,
            counts=events.counts,
            changes=events.changes,
            diagnostics=events.diagnostics + tuple(extra),
            policy_violations=events.policy_violations,
            outputs=outputs,
            duration_s=time.monotonic() - started,
            error=error,
        )
        # Secrets never leave the engine: config secrets, assumed-role keys, credential look-alikes.
        return redact_result(result, Redactor(secrets))

    def _forwarder(self, spec: StackSpec) -> Callable[[Any], None] | None:
        callback = self.on_event
        if callback is None:
            return None

        def forward(event: Any) -> None:
            callback(spec, event)

        return forward

    @contextlib.contextmanager
    def _opened(
        self, spec: StackSpec, *, create: bool, secrets: list[str], configure: bool = True
    ) -> Iterator[Any | None]:
        """The SDK `Stack`, with this environment's config set for the duration of the block.

        Yields None when `create` is false and the stack does not exist (nothing to destroy,
        nothing to drift). `configure=False` leaves the config alone (reading outputs).
        `secrets` receives the plain secret values of this run, for redaction."""
        from pulumi.automation import (
            ConfigValue,
            InvalidVersionError,
            LocalWorkspace,
            Stack,
            StackNotFoundError,
        )

        directory = spec.directory.resolve()
        project = project_name(directory)
        settings_path = stack_file(directory, spec.stack_name)
        settings = _load_mapping(settings_path)
        if needs_passphrase(spec, settings) and not (
            "PULUMI_CONFIG_PASSPHRASE" in os.environ or "PULUMI_CONFIG_PASSPHRASE_FILE" in os.environ
        ):
            raise UserError(
                f"stack {spec.id}: the backend {spec.backend} keeps secrets with a passphrase and none is set",
                hint="export PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), "
                "or give the stack another secrets provider",
            )
        endpoint = self.endpoint_resolver(spec)
        env_vars = self._env_vars(spec, endpoint)
        if spec.aws.role_arn:
            secrets.extend((env_vars["AWS_SECRET_ACCESS_KEY"], env_vars["AWS_SESSION_TOKEN"]))
        try:
            workspace = LocalWorkspace(
                work_dir=str(directory),
                pulumi_home=self.pulumi_home,
                env_vars=env_vars,
                secrets_provider=spec.secrets_provider,
            )
        except InvalidVersionError as exc:
            raise UserError(f"the Pulumi CLI on PATH cannot be used: {exc}", hint=MISSING_CLI_HINT) from exc
        try:
            stack = Stack.create_or_select(spec.stack_name, workspace) if create else Stack.select(
                spec.stack_name, workspace
            )
        except StackNotFoundError:
            yield None
            return
        if not configure:
            yield stack
            return

        # After `stack init`, which may have written the encryption salt the stack needs.
        settings_path = stack_file(directory, spec.stack_name)
        original = settings_path.read_bytes() if settings_path.exists() else None
        entries, secure, config_secrets = config_entries(
            spec,
            project=project,
            stack_file_keys=stack_file_config_keys(settings_path, project),
            endpoint=endpoint,
            environ=os.environ,
        )
        secrets.extend(config_secrets)
        try:
            if secure:
                _write_secure_config(settings_path, secure)
            for as_path in (False, True):  # plain keys, then property paths (`--path`)
                chosen = {k: ConfigValue(value=e.value, secret=e.secret) for k, e in entries.items()
                          if e.path == as_path}
                if chosen:
                    stack.set_all_config(chosen, path=as_path)
            yield stack
        finally:
            _restore(settings_path, original)

    def _env_vars(self, spec: StackSpec, endpoint: str | None) -> dict[str, str]:
        env = {"PULUMI_BACKEND_URL": spec.backend, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        env.update(aws_env_vars(spec.aws, endpoint, os.environ))
        if spec.aws.role_arn:
            env.update(assume_role_env(spec.aws, endpoint, session_name(spec)))
        return env


def _message(spec: StackSpec) -> str | None:
    return None if spec.origin is None else update_message(spec.origin)


def _history(stack: Any) -> Iterator[HistoryEntry]:
    """`Stack.history()` newest first, as HistoryEntry, fetched a page at a time."""
    for page in range(1, HISTORY_PAGES + 1):
        summaries = stack.history(page_size=HISTORY_PAGE_SIZE, page=page, show_secrets=False)
        for summary in summaries:
            end = summary.end_time
            yield HistoryEntry(
                kind=str(summary.kind),
                result=str(summary.result),
                message=str(summary.message or ""),
                environment={str(k): str(v) for k, v in (summary.environment or {}).items()},
                ended_at=None if end is None else end.replace(tzinfo=UTC),
            )
        if len(summaries) < HISTORY_PAGE_SIZE:
            return


def _masked_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Stack outputs (SDK `OutputValue`s) with secret ones replaced by `[secret]`."""
    from orchestrator.engines.pulumi_events import clean_value

    return {key: SECRET if out.secret else clean_value(out.value) for key, out in outputs.items()}


def _write_secure_config(path: Path, secure: Mapping[str, Any]) -> None:
    """Add `secure:` values (already encrypted for this stack) to the stack file."""
    from ruamel.yaml import YAML

    yaml = YAML()
    document = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if document is None:
        document = {}
    config = document.setdefault("config", {})
    for key, value in secure.items():
        config[key] = dict(value)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8") as tmp:
        yaml.dump(document, tmp)
    os.replace(tmp.name, path)


def _restore(path: Path, original: bytes | None) -> None:
    """Put the stack file back as it was before this run's config (atomically)."""
    if original is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    if path.exists() and path.read_bytes() == original:
        return
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        tmp.write(original)
    os.replace(tmp.name, path)
