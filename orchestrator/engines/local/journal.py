"""The bookkeeping of a deployment, apart from its steps: which records are old and new,
the pending operations, the changes shown, and group-committed state writes.

Registrations arrive concurrently from the SDK's worker threads: everything here is under
one lock, and state writes are shared by the steps that finish together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from orchestrator.engines.base import Diagnostic, ResourceChange
from orchestrator.engines.local.checkpoint import StateWriter
from orchestrator.engines.local.props import SecretMasker, secret_strings
from orchestrator.engines.local.providers.base import ProviderError
from orchestrator.engines.local.providers.registry import WHERE_LISTED, Unsupported
from orchestrator.engines.local.registration import Registration, StepFailed
from orchestrator.engines.local.state import PendingOperation, PendingType, ResourceState, Snapshot
from orchestrator.engines.local.urn import PROVIDER_TYPE_PREFIX, STACK_TYPE, parse_urn

Emit = Callable[[dict[str, Any]], None]


class _GroupCommit:
    """Group commit of state writes: a step that needs its change on disk (a pending
    operation before a cloud call, a result after it) waits for a write that started after
    its change; steps finishing together share one write instead of queueing one each."""

    def __init__(self, write: Callable[[bool], None]) -> None:
        self._write = write
        self._cond = threading.Condition()
        self._requested = 0
        self._written = 0
        self._writing = False

    def flush(self, *, final: bool = False) -> None:
        with self._cond:
            self._requested += 1
            mine = self._requested
            while self._written < mine:
                if self._writing:
                    self._cond.wait()
                    continue
                self._writing = True
                covered = self._requested
                self._cond.release()
                try:
                    self._write(final)
                finally:
                    self._cond.acquire()
                    self._writing = False
                    self._cond.notify_all()
                self._written = max(self._written, covered)
                self._cond.notify_all()


def _same_record(a: ResourceState, b: ResourceState) -> bool:
    """Whether two records would be written the same, timestamps aside."""
    return replace(a, created="", modified="") == replace(b, created="", modified="")


class DeploymentJournal:
    """The bookkeeping of a deployment: the old and new records, pending operations, the
    changes made, and the state writes that record them. Steps are decided in `Deployment`
    and run in `StepExecutor`."""

    def __init__(
        self, *, old: Snapshot, dry_run: bool, writer: StateWriter | None, redactor: SecretMasker, emit: Emit
    ) -> None:
        self.dry_run = dry_run
        self.writer = writer
        self.redact = redactor
        self.emit = emit
        self._lock = threading.RLock()
        # Live records from the old state (a replaced resource awaiting delete is kept apart).
        self.old: dict[str, ResourceState] = {r.urn: r for r in old.resources if not r.delete}
        self._doomed: list[ResourceState] = [r for r in old.resources if r.delete]
        self._old_order = [r.urn for r in old.resources if not r.delete]
        self.new: dict[str, ResourceState] = {}
        self._deleted: set[str] = set()
        self._pending: list[PendingOperation] = []
        self._changes: dict[str, ResourceChange] = {}
        self._order: list[str] = []
        self.diagnostics: list[Diagnostic] = []
        self.failure: str | None = None
        self.dirty = False  # whether an update would write anything a preview did not show
        self.stack_outputs: dict[str, Any] = {}
        self.stack_secret_outputs: frozenset[str] = frozenset()
        self.writes = 0
        self._commits = _GroupCommit(self._write_now)
        # What the program uses that the engine does not have: (kind, token) -> uses.
        self.unsupported: dict[tuple[str, str], int] = {}

    def _snapshot(self) -> Snapshot:
        resources: list[ResourceState] = []
        for urn in self._old_order:
            if urn in self._deleted:
                continue
            resources.append(self.new.get(urn, self.old[urn]))
        resources.extend(r for urn, r in self.new.items() if urn not in self.old)
        resources.extend(self._doomed)
        return Snapshot(resources=tuple(resources), pending_operations=tuple(self._pending))

    def flush(self, *, final: bool = False) -> None:
        """Return once state holding every mutation made so far is on disk. Never call it
        holding `self._lock`: the write takes the lock to copy the state."""
        if self.writer is not None:
            self._commits.flush(final=final)

    def _write_now(self, final: bool) -> None:
        assert self.writer is not None
        with self._lock:
            snapshot = self._snapshot()
        self.writer.write(snapshot, compact=not final)
        self.writes += 1

    def _begin(self, res: ResourceState, kind: PendingType) -> PendingOperation:
        op = PendingOperation(resource=res, type=kind)
        with self._lock:
            self._pending.append(op)
        self.flush()
        return op

    @contextmanager
    def _settled_on_refusal(self, op: PendingOperation) -> Iterator[None]:
        """A provider's refusal (ProviderError) leaves nothing half-done (its own rollback removes
        a half-made object), so the step's pending operation goes, as Pulumi clears it for an error
        the provider returned; a crash or a kill leaves it for `stack repair`."""
        try:
            yield
        except ProviderError:
            with self._lock:
                if op in self._pending:
                    self._pending.remove(op)
            self.flush()
            raise

    def _record_change(self, change: ResourceChange) -> None:
        with self._lock:
            if change.urn not in self._changes:
                self._order.append(change.urn)
            self._changes[change.urn] = change
        self.emit({"event": "step", "op": change.op, "urn": change.urn, "type": change.type,
                   "name": parse_urn(change.urn).name, "dry_run": self.dry_run})

    def changes(self) -> list[ResourceChange]:
        with self._lock:
            return [self._changes[u] for u in self._order]

    def _stop(self, message: str) -> StepFailed:
        """Fail the deployment with a message that is reported once, as its error."""
        text = self.redact(message)
        with self._lock:
            if self.failure is None:
                self.failure = text
        return StepFailed(text)

    def _fail(self, message: str, urn: str | None) -> StepFailed:
        text = self.redact(message)
        with self._lock:
            if self.failure is None:
                self.failure = text
            self.diagnostics.append(Diagnostic("error", text, urn))
        self.emit({"event": "diagnostic", "severity": "error", "message": text, "urn": urn})
        return StepFailed(text)

    def note_unsupported(self, gap: Unsupported) -> None:
        with self._lock:
            key = (gap.kind, gap.token)
            self.unsupported[key] = self.unsupported.get(key, 0) + 1

    def unsupported_diagnostics(self) -> list[Diagnostic]:
        """One line per unsupported type or function, however many resources use it."""
        with self._lock:
            found = sorted(self.unsupported.items())
        lines = []
        for (kind, token), uses in found:
            what = "resource type" if kind == "type" else "provider function"
            count = f" ({uses} resources)" if kind == "type" and uses > 1 else ""
            lines.append(Diagnostic("error", f"{what} {token} is not supported by the local engine{count}"))
        return lines

    def unsupported_summary(self) -> str | None:
        with self._lock:
            found = sorted(self.unsupported)
        if not found:
            return None
        parts = []
        for kind in ("type", "function"):
            tokens = [t for k, t in found if k == kind]
            if tokens:
                what = ("resource type" if kind == "type" else "provider function") + ("s" if len(tokens) > 1 else "")
                parts.append(f"{what} {', '.join(tokens)}")
        return f"not supported by the local engine: {'; '.join(parts)}; {WHERE_LISTED}"

    def _note_secrets(self, props: dict[str, Any], keys: Iterable[str]) -> None:
        for key in keys:
            if key in props:
                self.redact.add(secret_strings(props[key]))

    def _find_old(self, reg: Registration) -> ResourceState | None:
        with self._lock:
            old = self.old.get(reg.urn)
            if old is None:
                for alias in reg.alias_urns:
                    if alias in self.old and alias not in self.new:
                        old = self.old[alias]
                        break
            return old

    def _commit(self, record: ResourceState, *, old: ResourceState | None, write: bool,
                done: PendingOperation | None = None) -> None:
        with self._lock:
            if old is not None and old.urn != record.urn:
                # Adopted through an alias: the old URN is gone from state.
                self._deleted.add(old.urn)
            self.new[record.urn] = record
            if done is not None and done in self._pending:
                self._pending.remove(done)
            if old is None or not _same_record(old, record):
                self.dirty = True
        if write:
            self.flush()

    def register_outputs(self, urn: str, outputs: dict[str, Any], secret_keys: frozenset[str]) -> None:
        self._note_secrets(outputs, secret_keys)
        with self._lock:
            record = self.new.get(urn)
            if record is None:
                return
            updated = replace(record, outputs=outputs, secret_outputs=secret_keys)
            old = self.old.get(urn)
            if old is None or old.outputs != outputs or old.secret_outputs != secret_keys:
                self.dirty = True
            self.new[urn] = updated
            if record.type == STACK_TYPE:
                self.stack_outputs = outputs
                self.stack_secret_outputs = secret_keys

    def leftovers(self) -> list[ResourceState]:
        """Old resources the program no longer declares, plus replaced ones awaiting delete."""
        with self._lock:
            gone = [
                self.old[u] for u in self._old_order
                if u not in self.new and u not in self._deleted
                and self.old[u].type != STACK_TYPE
                and not (self.old[u].type.startswith(PROVIDER_TYPE_PREFIX) and self._provider_in_use(u))
            ]
            return gone + list(self._doomed)

    def _provider_in_use(self, provider_urn: str) -> bool:
        return any((r.provider or "").rpartition("::")[0] == provider_urn for r in self.new.values())
