"""The local engine: runs a stack's Pulumi Python program through the real SDK in a child
process and applies it with the built-in providers, keeping Pulumi-format state."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from orchestrator.engines.applied import AppliedCommit, applied_from_history
from orchestrator.engines.base import SECRET, Diagnostic, OpCounts, ResultOperation, StackResult
from orchestrator.engines.local.environments import default_cache_dir, program_environment
from orchestrator.engines.local.history import history_dir, read_history, record_update
from orchestrator.engines.local.job import JobResult, Operation
from orchestrator.engines.local.launcher import ProgressCallback, build_job, read_project, run_child
from orchestrator.engines.local.locks import LocalStateLocked, StackLock
from orchestrator.engines.local.state import backend_dir, lock_path, manifests_dir, state_path
from orchestrator.errors import UserError
from orchestrator.models import StackSpec
from orchestrator.policy.launch import Launched, PackLauncher

REPAIR_COMMAND = "orchestrator stack repair --project {project} --env {env}"


@dataclass(frozen=True)
class RepairResult:
    stack: str
    status: str  # succeeded | failed | locked
    cleared: tuple[str, ...]
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "status": self.status, "cleared": list(self.cleared), "message": self.message}


def _redact_secrets(value: Any) -> Any:
    from orchestrator.engines.local.props import SECRET_SIG, SIG_KEY

    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return SECRET
        return {k: _redact_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_secrets(v) for v in value]
    return value


def _resources_left(path: Path) -> list[str]:
    """URNs of what a state still manages (its Stack and default providers aside), and pending operations."""
    try:
        latest = (json.loads(path.read_text()).get("checkpoint") or {}).get("latest") or {}
    except FileNotFoundError:
        return []
    except json.JSONDecodeError as exc:
        return [f"{path} is not valid JSON ({exc})"]
    left = [str(r.get("urn")) for r in latest.get("resources") or ()
            if r.get("type") != "pulumi:pulumi:Stack" and not str(r.get("type", "")).startswith("pulumi:providers:")]
    pending = [f"pending {op.get('type')} of {(op.get('resource') or {}).get('urn')}"
               for op in latest.get("pending_operations") or ()]
    return left + pending


def _has_pending(path: Path) -> bool:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    return bool(((data.get("checkpoint") or {}).get("latest") or {}).get("pending_operations"))


class LocalEngine:
    """`Engine` for `engine: local`.

    `allow_pending` continues despite pending operations left by an interrupted run (they
    are cleared); `progress` receives the child's events (`{"event": "step", "op", "urn",
    "type", "name", "dry_run"}` and `{"event": "diagnostic", ...}`) as they happen;
    `parallel` bounds the steps run at once.
    """

    def __init__(
        self,
        *,
        allow_pending: bool = False,
        progress: ProgressCallback | None = None,
        parallel: int = 8,
        timeout_s: float | None = None,
        on_child_start: Callable[[int], None] | None = None,
    ) -> None:
        self.allow_pending = allow_pending
        self.progress = progress
        self.parallel = parallel
        self.timeout_s = timeout_s
        self.on_child_start = on_child_start

    # ------------------------------------------------------------------ Engine protocol

    def preview(self, stack: StackSpec) -> StackResult:
        return self._guarded(stack, "preview", lambda: self._simple(stack, "preview", "preview"))

    def update(self, stack: StackSpec) -> StackResult:
        return self._guarded(stack, "update", lambda: self._update(stack))

    def destroy(self, stack: StackSpec, *, preview_only: bool) -> StackResult:
        if preview_only:
            return self._guarded(stack, "destroy-preview", lambda: self._never_deployed(stack, "destroy-preview") or
                                 self._simple(stack, "destroy-preview", "destroy-preview"))
        return self._guarded(stack, "destroy", lambda: self._never_deployed(stack, "destroy") or
                             self._locked(stack, "destroy", "destroy", "destroy", record=True))

    def drift(self, stack: StackSpec) -> StackResult:
        return self._guarded(stack, "drift", lambda: self._simple(stack, "drift", "drift"))

    def refresh(self, stack: StackSpec) -> StackResult:
        """Take the live cloud into the recorded state (gone resources dropped, drifted ones
        re-read), so that a following update puts the cloud back to the code."""
        return self._guarded(stack, "refresh", lambda: self._locked(stack, "refresh", "refresh", "refresh"))

    def applied(self, stack: StackSpec) -> AppliedCommit | None:
        """The commit the stack last applied, from the backend's update history."""
        project = read_project(stack.directory)
        return applied_from_history(read_history(backend_dir(stack.backend), project.name, stack.stack_name))

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        """The stack's outputs from state, secrets shown as `[secret]`."""
        project = read_project(stack.directory)
        path = state_path(backend_dir(stack.backend), project.name, stack.stack_name)
        if not path.exists():
            return {}
        data = json.loads(path.read_text())
        for res in ((data.get("checkpoint") or {}).get("latest") or {}).get("resources") or ():
            if res.get("type") == "pulumi:pulumi:Stack":
                outputs: dict[str, Any] = _redact_secrets(res.get("outputs") or {})
                return outputs
        return {}

    # ------------------------------------------------------------------ extras

    def exists(self, stack: StackSpec) -> bool:
        """Whether the backend holds the stack's state."""
        project = read_project(stack.directory)
        return state_path(backend_dir(stack.backend), project.name, stack.stack_name).exists()

    def remove(self, stack: StackSpec) -> None:
        """`pulumi stack rm`: the stack's state (and its backup), update history and rendered
        manifests leave the backend. Refused while the state holds resources or pending operations."""
        project = read_project(stack.directory)
        backend = backend_dir(stack.backend)
        path = state_path(backend, project.name, stack.stack_name)
        with StackLock(lock_path(backend, project.name, stack.stack_name), operation="remove"):
            left = _resources_left(path)
            if left:
                raise UserError(
                    f"stack {stack.id} ({stack.stack_name}) still holds {len(left)} resource(s) or pending "
                    f"operation(s), e.g. {left[0]}: it is not removed",
                    hint="destroy the stack first; nothing was deleted from the backend",
                )
            for file in (path, path.with_name(path.name + ".bak")):
                file.unlink(missing_ok=True)
            for directory in (history_dir(backend, project.name, stack.stack_name),
                              manifests_dir(backend, project.name, stack.stack_name)):
                shutil.rmtree(directory, ignore_errors=True)

    def repair(self, stack: StackSpec) -> RepairResult:
        """Clear the pending operations an interrupted run left, saying what each may have left."""
        try:
            project = read_project(stack.directory)
            backend = backend_dir(stack.backend)
            with StackLock(lock_path(backend, project.name, stack.stack_name), operation="repair"):
                raw = self._child(stack, "repair")
        except LocalStateLocked as exc:
            return RepairResult(stack.id, "locked", (), f"stack {stack.id} {exc}")
        except UserError as exc:
            return RepairResult(stack.id, "failed", (), str(exc))
        cleared = raw.repaired
        if not raw.ok:
            return RepairResult(stack.id, "failed", cleared, raw.error or "repair failed")
        message = (
            f"cleared {len(cleared)} pending operation(s) of {stack.id}" if cleared
            else f"stack {stack.id} has no pending operations"
        )
        return RepairResult(stack.id, "succeeded", cleared, message)

    # ------------------------------------------------------------------ internals

    def _guarded(self, stack: StackSpec, operation: ResultOperation, run: Callable[[], StackResult]) -> StackResult:
        started = time.monotonic()
        try:
            result = run()
        except LocalStateLocked as exc:
            return StackResult(
                stack=stack.id, operation=operation, status="locked",
                error=f"stack {stack.id} {exc}", duration_s=time.monotonic() - started,
            )
        except UserError as exc:
            return StackResult(
                stack=stack.id, operation=operation, status="failed", error=str(exc),
                diagnostics=(Diagnostic("error", str(exc)),), duration_s=time.monotonic() - started,
            )
        return StackResult(
            stack=result.stack, operation=result.operation, status=result.status, counts=result.counts,
            changes=result.changes, diagnostics=result.diagnostics, policy_violations=result.policy_violations,
            outputs=result.outputs, duration_s=time.monotonic() - started, error=result.error,
        )

    def _never_deployed(self, stack: StackSpec, operation: ResultOperation) -> StackResult | None:
        """A destroy of a stack with no state says so, without building the program's environment."""
        project = read_project(stack.directory)
        path = state_path(backend_dir(stack.backend), project.name, stack.stack_name)
        if path.exists():
            return None
        note = f"stack {stack.id} has never been deployed (no state at {path}): there is nothing to destroy"
        return StackResult(stack=stack.id, operation=operation, status="succeeded",
                           diagnostics=(Diagnostic("info", note),))

    def _child(self, stack: StackSpec, operation: Operation, packs: Sequence[Launched] = ()) -> JobResult:
        project = read_project(stack.directory)
        backend = backend_dir(stack.backend)
        job = build_job(
            stack, project, backend, operation=operation, allow_pending=self.allow_pending,
            parallel=self.parallel, result_path=Path(""),
        )
        job.pop("result_path")
        job["policy_packs_started"] = [p.to_json() for p in packs]
        environment = program_environment(project.directory, project.runtime, default_cache_dir(stack.repo_root))
        return run_child(job, environment=environment, progress=self.progress, timeout_s=self.timeout_s,
                         on_start=self.on_child_start)

    def _to_result(self, stack: StackSpec, operation: ResultOperation, raw: JobResult) -> StackResult:
        return StackResult(
            stack=stack.id,
            operation=operation,
            status=raw.status,
            counts=raw.counts if raw.counts is not None else OpCounts.of(raw.changes),
            changes=raw.changes,
            diagnostics=raw.diagnostics,
            policy_violations=raw.policy_violations,
            outputs=raw.outputs,
            duration_s=raw.duration_s,
            error=raw.error,
        )

    def _simple(self, stack: StackSpec, operation: ResultOperation, child_op: Operation) -> StackResult:
        return self._to_result(stack, operation, self._child(stack, child_op))

    def _locked(
        self, stack: StackSpec, lock_op: str, operation: ResultOperation, child_op: Operation, *, record: bool = False
    ) -> StackResult:
        project = read_project(stack.directory)
        backend = backend_dir(stack.backend)
        with StackLock(lock_path(backend, project.name, stack.stack_name), operation=lock_op):
            result = self._to_result(stack, operation, self._child(stack, child_op))
            if record:
                record_update(backend, project.name, stack.stack_name, kind=lock_op, result=result, origin=stack.origin)
            return result

    def _update(self, stack: StackSpec) -> StackResult:
        """Preview, then apply only if the preview found something to do, like `pulumi up`:
        a program that raises or an unsupported type fails before anything changes, and a
        no-change update costs one program run."""
        project = read_project(stack.directory)
        backend = backend_dir(stack.backend)
        with StackLock(lock_path(backend, project.name, stack.stack_name), operation="update"):
            # Recorded like `pulumi up`, a no-change update too: the stack now runs this commit.
            result = self._apply(stack, project.name, backend)
            record_update(backend, project.name, stack.stack_name, kind="update", result=result, origin=stack.origin)
            return result

    def _apply(self, stack: StackSpec, project: str, backend: Path) -> StackResult:
        if not self.allow_pending and _has_pending(state_path(backend, project, stack.stack_name)):
            # The update child refuses with the full story; a preview first would be wasted.
            return self._to_result(stack, "update", self._child(stack, "update"))
        # The policy packs boot once, beside the preview's child, and serve the apply too.
        with PackLauncher(stack.policy_packs) as packs:
            planned = self._child(stack, "preview", packs)
            if planned.policy_blocked:
                planned = replace(planned, error=f"{planned.error}; the update was blocked: nothing was applied")
            if not planned.ok:
                # Nothing was applied: the preview's plan must not be reported as done.
                note = Diagnostic("info", "nothing was changed: the update stopped at its preview")
                return self._to_result(stack, "update", replace(
                    planned, counts=OpCounts(), changes=(), outputs={}, diagnostics=(*planned.diagnostics, note)))
            if not planned.needs_apply:
                return self._to_result(stack, "update", planned)
            return self._to_result(stack, "update", self._child(stack, "update", packs))
