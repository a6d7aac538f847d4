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

The config a run sets is in `pulumi_config`, the environment the CLI runs in in `pulumi_env`.
pulumi, boto3 and yaml are imported inside functions: the CLI must start fast.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC
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
from orchestrator.engines.pulumi_config import (
    config_entries,
    load_mapping,
    needs_passphrase,
    project_name,
    restore_stack_file,
    stack_file,
    stack_file_config_keys,
    write_secure_config,
)
from orchestrator.engines.pulumi_diffs import clean_value
from orchestrator.engines.pulumi_env import assume_role_env, aws_env_vars, default_endpoint, session_name
from orchestrator.engines.pulumi_events import EventCollector
from orchestrator.errors import UserError
from orchestrator.models import StackSpec
from orchestrator.policy.cli_args import policy_pack_arguments
from orchestrator.redact import Redactor

INSTALL_URL = "https://www.pulumi.com/docs/install/"
MISSING_CLI_HINT = (
    f"install the Pulumi CLI ({INSTALL_URL}) so that `pulumi` is on PATH, "
    "or set `engine: local` in the environment's file (environments/<env>.yaml)"
)
HISTORY_PAGE_SIZE = 50  # `stack history` entries per CLI call while looking for the applied commit
HISTORY_PAGES = 4


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

    def exists(self, stack: StackSpec) -> bool:
        """Whether the backend holds the stack (`stack select` finds it)."""
        from pulumi.automation import CommandError, StackNotFoundError

        try:
            with self._opened(stack, create=False, configure=False, secrets=[]) as opened:
                return opened is not None
        except StackNotFoundError:
            return False
        except CommandError as exc:
            raise UserError(
                f"cannot look up stack {stack.id} ({stack.stack_name}): {redact_text(command_error_text(exc), ())}",
                hint=f"check the backend {stack.backend} and the Pulumi CLI's login",
            ) from exc

    def remove(self, stack: StackSpec) -> None:
        """`pulumi stack rm --yes`: the stack leaves its backend. The CLI refuses while it holds
        resources; a stack that does not exist is already removed."""
        from pulumi.automation import CommandError, StackNotFoundError

        try:
            with self._opened(stack, create=False, configure=False, secrets=[]) as opened:
                if opened is not None:
                    opened.workspace.remove_stack(stack.stack_name)
        except StackNotFoundError:
            return
        except CommandError as exc:
            raise UserError(
                f"cannot remove stack {stack.id} ({stack.stack_name}): {redact_text(command_error_text(exc), ())}",
                hint="destroy the stack first, and check the backend and the Pulumi CLI's login",
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
        settings = load_mapping(settings_path)
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
                write_secure_config(settings_path, secure)
            for as_path in (False, True):  # plain keys, then property paths (`--path`)
                chosen = {k: ConfigValue(value=e.value, secret=e.secret) for k, e in entries.items()
                          if e.path == as_path}
                if chosen:
                    stack.set_all_config(chosen, path=as_path)
            yield stack
        finally:
            restore_stack_file(settings_path, original)

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
    return {key: SECRET if out.secret else clean_value(out.value) for key, out in outputs.items()}
