"""The child process that runs one stack operation: `python -m orchestrator.engines.local.child JOB.json`.

One program per process: the SDK keeps global state and the program's modules stay cached.
The job file says what to run; the result is written as JSON to `result_path`; progress
events go to stdout as JSON lines (the program's own prints are sent to stderr).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO, cast

from orchestrator.engines.base import (
    COUNTED_OPS,
    Diagnostic,
    OpCounts,
    PolicyViolation,
    PropertyDiff,
    ResourceChange,
)
from orchestrator.engines.local.deployment import Deployment, ProviderSource, Registration, StepFailed
from orchestrator.engines.local.dynamic import DYNAMIC_TYPE, DynamicResourceProvider
from orchestrator.engines.local.policy import finish_policies, start_policies
from orchestrator.engines.local.props import Redactor, display_props, secret_strings, split_secrets, unwrap
from orchestrator.engines.local.providers.base import ProviderContext, ProviderError, ResourceProvider
from orchestrator.engines.local.state import (
    ResourceState,
    SecretsManager,
    Snapshot,
    StateWriter,
    describe_pending,
    load_snapshot,
    manifests_dir,
    peek_salt,
    state_path,
)
from orchestrator.engines.local.steps import display_diffs, property_diffs
from orchestrator.engines.local.urn import (
    PROVIDER_TYPE_PREFIX,
    STACK_TYPE,
    parse_urn,
    resource_urn,
    stack_resource_name,
    stack_urn,
)
from orchestrator.errors import UserError
from orchestrator.models import AwsSettings, PolicyPackRef

REPAIR_HINT = "orchestrator stack repair --project {project} --env {env}"


@dataclass(frozen=True)
class Job:
    operation: str  # preview | update | destroy | destroy-preview | drift | repair
    project_dir: Path
    program: Path
    project: str  # the Pulumi project name (Pulumi.yaml `name`)
    orchestrator_project: str
    environment: str
    stack: str
    backend_dir: Path
    env_config: dict[str, Any]
    aws: AwsSettings
    repo_root: Path | None
    allow_pending: bool
    parallel: int
    result_path: Path
    policy_packs: tuple[PolicyPackRef, ...] = ()

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Job:
        return cls(
            operation=raw["operation"],
            project_dir=Path(raw["project_dir"]),
            program=Path(raw["program"]),
            project=raw["project"],
            orchestrator_project=raw.get("orchestrator_project", raw["project"]),
            environment=raw.get("environment", raw["stack"]),
            stack=raw["stack"],
            backend_dir=Path(raw["backend_dir"]),
            env_config=dict(raw.get("env_config") or {}),
            aws=AwsSettings(**(raw.get("aws") or {})),
            repo_root=Path(raw["repo_root"]) if raw.get("repo_root") else None,
            allow_pending=bool(raw.get("allow_pending", False)),
            parallel=int(raw.get("parallel", 8)),
            result_path=Path(raw["result_path"]),
            policy_packs=tuple(
                PolicyPackRef(path=p["path"], directory=Path(p["directory"]), config=dict(p.get("config") or {}),
                              source=p.get("source", ""))
                for p in raw.get("policy_packs") or ()
            ),
        )

    @property
    def label(self) -> str:
        return f"{self.orchestrator_project}/{self.environment}"


# --------------------------------------------------------------------------- events


class Events:
    """Progress as JSON lines on the stream the parent reads."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> None:
        if self._stream is None:
            return
        line = json.dumps(event, default=str)
        with self._lock:
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                self._stream = None


def _split_stdout() -> TextIO:
    """Keep the real stdout for events; send fd 1 (the program's prints) to stderr."""
    events_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    return os.fdopen(events_fd, "w", buffering=1)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL us when the parent dies, so an orphan never keeps applying."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


# --------------------------------------------------------------------------- providers


class Providers:
    """Builds providers on first use: the AWS ones need the endpoint resolved (the sandbox
    may have to be running), which a stack of only dynamic resources never needs."""

    def __init__(self, job: Job, config: dict[str, Any]) -> None:
        self._job = job
        self._config = config
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], ResourceProvider] = {}
        self._contexts: dict[str, ProviderContext] = {}
        self._explicit: dict[str, dict[str, Any]] = {}
        self._dynamic = DynamicResourceProvider(config=config, project=job.project)

    def note_explicit_provider(self, ref: str, inputs: dict[str, Any]) -> None:
        with self._lock:
            self._explicit[ref] = inputs

    def _context(self, provider_ref: str | None) -> ProviderContext:
        key = provider_ref or ""
        ctx = self._contexts.get(key)
        if ctx is not None:
            return ctx
        aws = self._job.aws
        explicit = self._explicit.get(key)
        if explicit and isinstance(explicit.get("region"), str):
            aws = AwsSettings(region=explicit["region"], endpoint=aws.endpoint, role_arn=aws.role_arn,
                              profile=aws.profile)
        endpoint = aws.endpoint
        if endpoint is not None:
            from orchestrator.sandbox import resolve_endpoint

            endpoint = resolve_endpoint(aws, self._job.repo_root)
        ctx = ProviderContext(
            project=self._job.project,
            stack=self._job.stack,
            aws=AwsSettings(region=aws.region, endpoint=endpoint, role_arn=aws.role_arn, profile=aws.profile),
            manifests_dir=manifests_dir(self._job.backend_dir, self._job.project, self._job.stack),
            config=self._config,
        )
        self._contexts[key] = ctx
        return ctx

    def get(self, type_: str, provider_ref: str | None) -> ResourceProvider:
        if type_ == DYNAMIC_TYPE:
            return self._dynamic
        # Only an explicit provider resource changes the context (its region); default ones share it.
        ref = provider_ref if provider_ref and provider_ref in self._explicit else ""
        with self._lock:
            cached = self._cache.get((type_, ref))
            if cached is not None:
                return cached
            try:
                from orchestrator.engines.local.providers import registry
            except ImportError as exc:
                raise ProviderError(
                    f"resource type {type_} is not supported: the built-in providers are not available ({exc})"
                ) from exc
            provider: ResourceProvider = registry.get_provider(type_, self._context(ref or None))
            self._cache[(type_, ref)] = provider
            return provider

    def provider_version(self, package: str) -> str:
        from importlib import metadata

        dist = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes"}.get(package)
        if dist is None:
            return ""
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return ""


# --------------------------------------------------------------------------- invokes


class Invokes:
    """Answers the few provider functions programs commonly call (`Mocks.call`)."""

    def __init__(self, job: Job) -> None:
        self._job = job

    def call(self, args: Any) -> dict[str, Any]:
        token = args.token
        region = self._job.aws.region
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            account = "123456789012"
            return {"accountId": account, "arn": f"arn:aws:iam::{account}:user/orchestrator",
                    "userId": "AIDAORCHESTRATORLOCAL", "id": account}
        if token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region, "description": region,
                    "endpoint": f"ec2.{region}.amazonaws.com"}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws",
                    "reverseDnsPrefix": "com.amazonaws"}
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{s}" for s in "abc"]
            return {"names": names, "zoneIds": [f"use1-az{i}" for i in range(1, 4)], "id": region,
                    "groupNames": [region]}
        raise ProviderError(f"the local engine cannot answer the provider function {token}")

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:  # pragma: no cover - unused
        raise ProviderError("unexpected resource registration through the mocks")


# --------------------------------------------------------------------------- the monitor


def _registration(request: Any, job: Job, *, read: bool) -> Registration:
    from google.protobuf import json_format

    raw_props = json_format.MessageToDict(request.properties if read else request.object)
    inputs, secret_inputs = split_secrets(raw_props)
    parent = request.parent or None
    urn = (
        stack_urn(job.stack, job.project)
        if request.type == STACK_TYPE
        else resource_urn(job.stack, job.project, parent, request.type, request.name)
    )
    if read:
        return Registration(
            urn=urn, type=request.type, name=request.name, custom=True, inputs=inputs,
            secret_inputs=secret_inputs, parent=parent, dependencies=tuple(request.dependencies),
            provider_ref=request.provider or None,
            additional_secret_outputs=tuple(request.additionalSecretOutputs),
            version=request.version, read_id=request.id,
        )
    aliases = list(request.aliasURNs)
    for alias in request.aliases:
        if alias.urn:
            aliases.append(alias.urn)
        elif alias.HasField("spec"):
            spec = alias.spec
            alias_parent = None if spec.noParent else (spec.parentUrn or parent)
            aliases.append(resource_urn(spec.stack or job.stack, spec.project or job.project, alias_parent,
                                        spec.type or request.type, spec.name or request.name))
    return Registration(
        urn=urn,
        type=request.type,
        name=request.name,
        custom=bool(request.custom),
        inputs=inputs,
        secret_inputs=secret_inputs,
        parent=parent,
        dependencies=tuple(dict.fromkeys(request.dependencies)),
        property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
        provider_ref=request.provider or None,
        protect=bool(request.protect),
        ignore_changes=tuple(request.ignoreChanges),
        replace_on_changes=tuple(request.replaceOnChanges),
        delete_before_replace=bool(request.deleteBeforeReplace),
        retain_on_delete=bool(request.retainOnDelete),
        additional_secret_outputs=tuple(request.additionalSecretOutputs),
        version=request.version,
        remote=bool(request.remote),
        alias_urns=tuple(a for a in aliases if a != urn),
    )


def _to_struct(values: dict[str, Any]) -> Any:
    from google.protobuf import json_format, struct_pb2

    return json_format.ParseDict(values, struct_pb2.Struct())


def make_monitor(job: Job, deployment: Deployment, providers: Providers, invokes: Invokes) -> Any:
    from google.protobuf import empty_pb2, json_format
    from pulumi.runtime import mocks as pm
    from pulumi.runtime.proto import resource_pb2

    class EngineMonitor(pm.MockMonitor):
        """The SDK's mock monitor with the engine's behaviour: our URNs, real steps."""

        def RegisterResource(self, request: Any) -> Any:
            reg = _registration(request, job, read=False)
            outcome = deployment.register(reg)
            if reg.custom and reg.type.startswith(PROVIDER_TYPE_PREFIX):
                providers.note_explicit_provider(f"{outcome.urn}::{outcome.id}", reg.inputs)
            if reg.type == STACK_TYPE:
                return resource_pb2.RegisterResourceResponse(urn=outcome.urn)
            return resource_pb2.RegisterResourceResponse(
                urn=outcome.urn, id=outcome.id, object=_to_struct(outcome.outputs)
            )

        def ReadResource(self, request: Any) -> Any:
            reg = _registration(request, job, read=True)
            outcome = deployment.read(reg)
            return resource_pb2.ReadResourceResponse(urn=outcome.urn, properties=_to_struct(outcome.outputs))

        def RegisterResourceOutputs(self, request: Any) -> Any:
            outputs, secret_keys = split_secrets(json_format.MessageToDict(request.outputs))
            deployment.register_outputs(request.urn, outputs, secret_keys)
            return empty_pb2.Empty()

    return EngineMonitor(cast(Any, invokes))


# --------------------------------------------------------------------------- running the program


def _program_traceback(exc: BaseException, project_dir: Path) -> str:
    """The traceback of a program failure, trimmed to the program's own frames."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if str(Path(f.filename).resolve()).startswith(str(project_dir.resolve()))]
    lines = ["Traceback (most recent call last):\n"]
    lines.extend(traceback.format_list(own or frames))
    lines.extend(traceback.format_exception_only(type(exc), exc))
    return "".join(lines).rstrip()


def _patch_output_wait() -> None:
    """Make the SDK wait for its outstanding outputs in O(n), not O(n) per completion.

    `pulumi.runtime.stack.wait_for_rpcs` waits with `asyncio.wait(all, FIRST_COMPLETED)` in
    a loop, registering a callback on every pending output each time one completes. Under
    plain mocks outputs resolve at once, so it costs nothing; here steps take real time and
    complete one by one, and with 200 resources the main thread spent about half of a
    30-second update re-registering callbacks. Waiting with FIRST_EXCEPTION returns under
    the same conditions (all done, or one failed) with one registration per round.
    """
    import asyncio as original

    from pulumi.runtime import stack as sdk_stack

    class _Asyncio:
        def __getattr__(self, name: str) -> Any:
            return getattr(original, name)

        @staticmethod
        async def wait(fs: Any, *, timeout: float | None = None, return_when: str = "ALL_COMPLETED") -> Any:
            if return_when == original.FIRST_COMPLETED and timeout is None:
                return_when = original.FIRST_EXCEPTION
            return await original.wait(fs, timeout=timeout, return_when=return_when)

    sdk_stack.__dict__["asyncio"] = _Asyncio()


def run_program(job: Job, deployment: Deployment, providers: Providers, config: dict[str, str],
                secret_keys: frozenset[str], *, dry_run: bool) -> str | None:
    """Run the program under our monitor; the program's error text, or None."""
    from pulumi.runtime import config as pc
    from pulumi.runtime import mocks as pm
    from pulumi.runtime import settings as ps
    from pulumi.runtime.stack import run_in_stack

    _patch_output_wait()
    monitor = make_monitor(job, deployment, providers, Invokes(job))
    ps.configure(pm.MockSettings(  # type: ignore[no-untyped-call]
        monitor=monitor,
        monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
        engine=pm.MockEngine(logging.getLogger("pulumi")),
        project=job.project,
        stack=job.stack,
        dry_run=dry_run,
        organization="organization",
        callbacks=None,
    ))
    ps.ROOT.set(None)
    pc.set_all_config(dict(config), sorted(secret_keys))
    os.environ["PULUMI_PROJECT"] = job.project
    os.environ["PULUMI_STACK"] = job.stack
    os.chdir(job.project_dir)
    sys.path.insert(0, str(job.program.parent))
    if job.program.parent != job.project_dir:
        sys.path.insert(1, str(job.project_dir))

    errors: list[str] = []

    def program() -> None:
        import runpy

        try:
            runpy.run_path(str(job.program), run_name="__main__")
        except StepFailed:
            raise
        except BaseException as exc:
            errors.append(_program_traceback(exc, job.project_dir))
            raise

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # The SDK sends each registration from this pool: its size bounds parallel steps.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=max(job.parallel, 2) + 2))
    try:
        loop.run_until_complete(run_in_stack(program))
    except BaseException as exc:
        if deployment.failure is None and not errors:
            errors.append(_program_traceback(exc, job.project_dir))
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_default_executor())
    if deployment.failure is not None:
        return deployment.failure
    return errors[0] if errors else None


# --------------------------------------------------------------------------- stack references


def make_stack_reference_reader(job: Job, passphrase: str | None) -> Any:
    def read(name: str) -> tuple[dict[str, Any], frozenset[str]]:
        parts = name.split("/")
        if len(parts) == 3:
            project, stack = parts[1], parts[2]
        elif len(parts) == 2:
            project, stack = parts
        elif len(parts) == 1 and parts[0]:
            project, stack = job.project, parts[0]
        else:
            raise UserError(f"stack reference {name!r} is not `<org>/<project>/<stack>`")
        path = state_path(job.backend_dir, project, stack)
        if not path.exists():
            raise UserError(
                f"stack reference {name!r}: stack {project}/{stack} does not exist in backend "
                f"{job.backend_dir} (no {path})",
                f"update the {project} stack for this environment first",
            )
        secrets = SecretsManager(salt=peek_salt(path), passphrase=passphrase, stack_label=f"{project}/{stack}")
        outputs, secret_keys = load_snapshot(path, secrets).stack_outputs()
        return outputs, secret_keys

    return read


# --------------------------------------------------------------------------- drift


def drift_changes(snapshot: Snapshot, providers: Providers, redact: Redactor) -> tuple[
    list[ResourceChange], list[Diagnostic], int
]:
    """Read every recorded custom resource from the cloud and compare with its outputs."""
    changes: list[ResourceChange] = []
    diagnostics: list[Diagnostic] = []
    same = 0
    candidates = [
        r for r in snapshot.resources
        if r.custom and not r.external and not r.delete and not r.type.startswith(PROVIDER_TYPE_PREFIX)
    ]

    def read_one(res: ResourceState) -> tuple[ResourceState, Any, Exception | None]:
        try:
            provider = providers.get(res.type, res.provider)
            return res, provider.read(res.urn, res.id, res.inputs, res.outputs), None
        except Exception as exc:
            return res, None, exc

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(read_one, candidates))
    for res, live, error in results:
        name = parse_urn(res.urn).name
        if error is not None:
            msg = redact(f"{res.type} {name}: cannot read: {error}")
            diagnostics.append(Diagnostic("error", msg, res.urn))
            continue
        if live is None:
            changes.append(ResourceChange(res.urn, res.type, name, "delete"))
            continue
        recorded = {k: v for k, v in res.outputs.items() if k in live.outputs}
        diffs = property_diffs(recorded, {k: v for k, v in live.outputs.items() if k in res.outputs})
        if diffs:
            changes.append(ResourceChange(res.urn, res.type, name, "update",
                                          display_diffs(diffs, res.secret_outputs | res.secret_inputs)))
        else:
            same += 1
    return changes, diagnostics, same


def refresh_snapshot(snapshot: Snapshot, providers: Providers, redact: Redactor) -> tuple[
    Snapshot, list[ResourceChange], list[Diagnostic], int
]:
    """Pulumi's refresh: the live cloud taken into the recorded state.

    Gone resources leave the state; drifted ones get the live outputs, and the live values of
    the inputs they record (plus tags added by hand), because the next update diffs the code
    against the recorded inputs: only then does it put the cloud back.
    """
    changes, diagnostics, same = drift_changes(snapshot, providers, redact)
    if diagnostics:
        return snapshot, changes, diagnostics, same
    gone = {c.urn for c in changes if c.op == "delete"}
    drifted = {c.urn for c in changes if c.op == "update"}
    resources: list[ResourceState] = []
    for res in snapshot.resources:
        if res.urn in gone:
            continue
        if res.urn in drifted:
            live = providers.get(res.type, res.provider).read(res.urn, res.id, res.inputs, res.outputs)
            if live is not None:
                res = _refreshed(res, live.outputs)
        resources.append(res)
    return replace(snapshot, resources=tuple(resources)), changes, diagnostics, same


def _refreshed(res: ResourceState, live: dict[str, Any]) -> ResourceState:
    inputs = {
        key: live[key] if key in live and key not in res.secret_inputs else value
        for key, value in res.inputs.items()
    }
    if "tags" not in inputs and live.get("tags"):
        inputs["tags"] = live["tags"]
    outputs = {**res.outputs, **{k: v for k, v in live.items() if k not in res.secret_outputs}}
    return replace(res, inputs=inputs, outputs=outputs)


# --------------------------------------------------------------------------- sandbox check


class SandboxCheck:
    """Whether the sandbox still holds what state records. The embedded AWS keeps
    everything in memory, so a restarted sandbox has forgotten every resource; without this
    check a preview would show "no changes" for objects that are gone. Runs beside the
    program; a few reads, and a full census only when one of them misses."""

    SAMPLE = 3

    def __init__(self, snapshot: Snapshot, providers: Providers, endpoint_label: str) -> None:
        self._resources = [
            r for r in snapshot.resources
            if r.custom and not r.external and not r.delete and r.type.startswith("aws:")
        ]
        self._providers = providers
        self._label = endpoint_label
        self._missing: list[str] = []
        self._thread = threading.Thread(target=self._run, name="sandbox-check", daemon=True)

    def start(self) -> SandboxCheck:
        if self._resources:
            self._thread.start()
        return self

    def _exists(self, res: ResourceState) -> bool:
        try:
            provider = self._providers.get(res.type, res.provider)
            return provider.read(res.urn, res.id, res.inputs, res.outputs) is not None
        except Exception:
            return True  # unknown: the step itself will report a real failure

    def _run(self) -> None:
        if all(self._exists(r) for r in self._resources[: self.SAMPLE]):
            return
        with ThreadPoolExecutor(max_workers=8) as pool:
            present = list(pool.map(self._exists, self._resources))
        self._missing = [r.urn for r, ok in zip(self._resources, present, strict=True) if not ok]

    def diagnostic(self, timeout: float = 60.0) -> Diagnostic | None:
        if self._thread.is_alive() or self._thread.ident is not None:
            self._thread.join(timeout)
        if not self._missing:
            return None
        names = ", ".join(parse_urn(u).name for u in self._missing[:5])
        more = f" and {len(self._missing) - 5} more" if len(self._missing) > 5 else ""
        return Diagnostic(
            "warning",
            f"state records {len(self._missing)} of {len(self._resources)} AWS resources that the "
            f"sandbox ({self._label}) does not have: {names}{more}. The sandbox keeps everything in "
            "memory, so it was probably restarted and has forgotten them; this preview treats them "
            "as existing. Run `orchestrator stack drift` to list them, then destroy the stack (or "
            "delete its state) and update again to re-create them.",
        )


# --------------------------------------------------------------------------- the job


def _result(job: Job, status: str, **fields: Any) -> dict[str, Any]:
    return {"status": status, "operation": job.operation, **fields}


def _load_config(job: Job, passphrase: str | None) -> tuple[dict[str, str], frozenset[str], str | None]:
    from orchestrator.engines.local import secrets as stack_secrets

    cfg = stack_secrets.load_stack_config(job.project_dir, job.project, job.stack, job.env_config, passphrase)
    return dict(cfg.values), frozenset(cfg.secret_keys), cfg.encryption_salt


def _read_passphrase() -> str | None:
    from orchestrator.engines.local import secrets as stack_secrets

    return stack_secrets.read_passphrase()


def _pending_message(job: Job, snapshot: Snapshot) -> str:
    listed = "; ".join(describe_pending(snapshot.pending_operations))
    return (
        f"stack {job.label} has {len(snapshot.pending_operations)} pending operation(s) left by an "
        f"interrupted run: {listed}. The cloud may hold resources the state does not know, or the "
        f"state may name resources that are gone. Check them, then run "
        f"`{REPAIR_HINT.format(project=job.orchestrator_project, env=job.environment)}` "
        f"(or pass --allow-pending) to clear them"
    )


def _redactor_for(config: dict[str, str], secret_keys: frozenset[str], snapshot: Snapshot) -> Redactor:
    redact = Redactor(config[k] for k in secret_keys if k in config)
    for res in snapshot.resources:
        for key in res.secret_inputs:
            redact.add(secret_strings(res.inputs.get(key)))
        for key in res.secret_outputs:
            redact.add(secret_strings(res.outputs.get(key)))
    return redact


def _changes_json(changes: list[ResourceChange]) -> list[dict[str, Any]]:
    return [c.to_json() for c in changes]


def run_job(job: Job, emit: Events) -> dict[str, Any]:
    passphrase = _read_passphrase()
    config, secret_keys, config_salt = _load_config(job, passphrase)
    # The packs boot (about as long as the SDK's imports) while the program gets ready.
    policies = start_policies(job.policy_packs, operation=job.operation, project=job.project, stack=job.stack,
                              config=config, secret_keys=secret_keys)
    path = state_path(job.backend_dir, job.project, job.stack)
    # The checkpoint is decrypted with the salt it records (its secrets_providers state); the
    # stack file's encryptionsalt only seeds a new stack's state, as Pulumi does.
    salt = peek_salt(path) or config_salt
    secrets = SecretsManager(salt=salt, passphrase=passphrase, stack_label=job.label)
    secrets.prefetch()
    if job.operation in ("preview", "update"):
        import pulumi.runtime.stack  # noqa: F401  (imported while the key is derived)
    snapshot = load_snapshot(path, secrets)
    redact = _redactor_for(config, secret_keys, snapshot)
    diagnostics: list[Diagnostic] = []

    if job.operation == "repair":
        return repair_job(job, snapshot, path, secrets)

    if snapshot.pending_operations:
        message = _pending_message(job, snapshot)
        mutating = job.operation in ("update", "destroy", "refresh")
        if mutating and not job.allow_pending:
            return _result(job, "failed", error=message, pending=describe_pending(snapshot.pending_operations))
        diagnostics.append(Diagnostic("warning", message if not job.allow_pending else
                                      "clearing pending operations (--allow-pending): " + message))

    providers = Providers(job, dict(config))

    if job.operation == "drift":
        changes, drift_diags, same = drift_changes(snapshot, providers, redact)
        diagnostics.extend(drift_diags)
        counts = OpCounts(update=sum(c.op == "update" for c in changes),
                          delete=sum(c.op == "delete" for c in changes), same=same)
        status = "failed" if drift_diags else "succeeded"
        drift_error = "; ".join(d.message for d in drift_diags) or None
        return _result(job, status, counts=counts.to_json(), changes=_changes_json(changes),
                       diagnostics=[d.to_json() for d in diagnostics], outputs={}, error=drift_error)

    if job.operation == "refresh":
        refreshed, changes, refresh_diags, same = refresh_snapshot(snapshot, providers, redact)
        diagnostics.extend(refresh_diags)
        if refresh_diags:
            return _result(job, "failed", changes=_changes_json(changes),
                           diagnostics=[d.to_json() for d in diagnostics], outputs={},
                           error="; ".join(d.message for d in refresh_diags))
        if changes:
            StateWriter(path, stack_name=f"organization/{job.project}/{job.stack}", secrets=secrets).write(refreshed)
        counts = OpCounts(update=sum(c.op == "update" for c in changes),
                          delete=sum(c.op == "delete" for c in changes), same=same)
        return _result(job, "succeeded", counts=counts.to_json(), changes=_changes_json(changes),
                       diagnostics=[d.to_json() for d in diagnostics], outputs={})

    dry_run = job.operation in ("preview", "destroy-preview")
    writer = None if dry_run else StateWriter(path, stack_name=f"organization/{job.project}/{job.stack}",
                                               secrets=secrets)
    deployment = Deployment(
        project=job.project,
        stack=job.stack,
        old=Snapshot(resources=snapshot.resources, salt=snapshot.salt),
        providers=ProviderSource(lookup=providers.get),
        dry_run=dry_run,
        writer=writer,
        redactor=redact,
        emit=emit,
        read_stack_reference=make_stack_reference_reader(job, passphrase),
        provider_version=providers.provider_version,
        policy=policies,
    )

    check = None
    if job.operation in ("preview", "update") and job.aws.endpoint == "sandbox":
        check = SandboxCheck(snapshot, providers, "aws.endpoint: sandbox").start()

    if policies is not None:
        try:
            policies.ready()
        except UserError as exc:
            policies.close()
            return _result(job, "failed", error=redact(str(exc)))

    error: str | None = None
    if job.operation in ("destroy", "destroy-preview"):
        try:
            deployment.destroy(snapshot.resources)
        except StepFailed as exc:
            error = str(exc)
    else:
        error = run_program(job, deployment, providers, config, secret_keys, dry_run=dry_run)
        if error is None:
            try:
                deployment.finish()
            except StepFailed as exc:
                error = str(exc)
        elif not dry_run:
            # Record what did happen before the failure (no deletes: the program did not finish).
            with contextlib.suppress(Exception):
                deployment.flush(final=True)

    policy = finish_policies(policies, list(deployment.new.values()), failed=error is not None, dry_run=dry_run)
    error = error or policy.error
    if check is not None:
        found = check.diagnostic()
        if found is not None:
            diagnostics.append(found)
    all_changes = deployment.changes()
    counted = [c for c in all_changes if c.op in COUNTED_OPS]
    shown = [c for c in all_changes if c.op != "same"]
    diagnostics.extend(deployment.diagnostics)
    if error is not None:
        error = redact(error)
    outputs = {} if job.operation.startswith("destroy") else display_props(
        deployment.stack_outputs, deployment.stack_secret_outputs
    )
    needs_apply = bool(shown) or deployment.dirty or bool(snapshot.pending_operations)
    return _result(
        job,
        "failed" if error else "succeeded",
        counts=OpCounts.of(counted).to_json(),
        changes=_changes_json(shown),
        diagnostics=[_redacted_diag(d, redact) for d in _dedupe(diagnostics)],
        outputs=outputs,
        error=error,
        needs_apply=needs_apply,
        writes=deployment.writes,
        policy_violations=[_redacted_violation(v, redact) for v in policy.violations],
        policy_blocked=policy.blocked,
    )


def _redacted_violation(v: PolicyViolation, redact: Redactor) -> dict[str, Any]:
    return PolicyViolation(v.policy_pack, v.policy, v.enforcement, redact(v.message), v.urn).to_json()


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    return list(dict.fromkeys(diags))


def _redacted_diag(d: Diagnostic, redact: Redactor) -> dict[str, Any]:
    return Diagnostic(d.severity, redact(d.message), d.urn).to_json()


def repair_job(job: Job, snapshot: Snapshot, path: Path, secrets: SecretsManager) -> dict[str, Any]:
    """Clear pending operations, saying what each may have left behind."""
    from dataclasses import replace as dc_replace

    if not snapshot.pending_operations:
        return _result(job, "succeeded", error=None, repaired=[],
                       diagnostics=[Diagnostic("info", f"stack {job.label} has no pending operations").to_json()])
    notes: list[str] = []
    for op in snapshot.pending_operations:
        urn = op.resource.urn
        if op.type == "creating":
            notes.append(f"{urn}: an interrupted create; if it reached the cloud, that object is not in state "
                         "and must be deleted or imported by hand")
        elif op.type == "updating":
            notes.append(f"{urn}: an interrupted update; state keeps the previous inputs, the next update "
                         "applies the program's values again")
        else:
            notes.append(f"{urn}: an interrupted delete; state still lists it, the next update deletes it again "
                         "(a delete of an already-deleted object is treated as done by the providers)")
    StateWriter(path, stack_name=f"organization/{job.project}/{job.stack}", secrets=secrets).write(
        dc_replace(snapshot, pending_operations=())
    )
    return _result(job, "succeeded", error=None, repaired=notes,
                   diagnostics=[Diagnostic("warning", n, None).to_json() for n in notes])


def _write_result(path: Path, result: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result, default=str))
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    _die_with_parent()
    job = Job.from_json(json.loads(Path(argv[1]).read_text()))
    emit = Events(_split_stdout())
    started = time.monotonic()
    try:
        result = run_job(job, emit)
    except UserError as exc:
        result = _result(job, "failed", error=str(exc))
    except Exception:
        result = _result(job, "failed", error="internal error in the local engine:\n" + traceback.format_exc())
    result["duration_s"] = time.monotonic() - started
    _write_result(job.result_path, result)
    sys.stdout.flush()
    # Skip interpreter teardown: SDK threads may linger, and nothing is left to flush.
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))


__all__ = ["Job", "PropertyDiff", "main", "run_job", "stack_resource_name", "unwrap"]
