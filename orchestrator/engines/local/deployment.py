"""The deployment: turns each registration into a step, as the Pulumi engine's step
generator does (component, provider, custom resource, read, stack reference), and hands it
to the step executor (`step_executor.py`) to run.

Runs inside the child process while the program runs. Registrations arrive concurrently
from the SDK's worker threads; each is decided and (on an update) executed on the thread
that brought it, so a dependent, which the SDK registers only once its inputs resolve,
waits for the real outputs of what it depends on. Shared bookkeeping is under one lock;
provider calls are outside it, which is what lets independent steps run in parallel.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from orchestrator.engines.base import ResourceChange
from orchestrator.engines.local.checkpoint import StateWriter
from orchestrator.engines.local.journal import Emit
from orchestrator.engines.local.props import (
    SecretMasker,
    mark_secrets,
    secret_strings,
    wrap_secret,
)
from orchestrator.engines.local.providers.base import DiffResult, ProviderError, ResourceProvider
from orchestrator.engines.local.providers.registry import Unsupported
from orchestrator.engines.local.registration import (
    PolicyCheck,
    ProviderLookup,
    Registration,
    StepFailed,
    StepOutcome,
)
from orchestrator.engines.local.state import ResourceState, Snapshot, timestamp
from orchestrator.engines.local.step_executor import StepExecutor
from orchestrator.engines.local.steps import (
    StepDecision,
    StepOp,
    apply_ignore_changes,
    create_diffs,
    decide_step,
    display_diffs,
    parse_property_path,
    property_diffs,
)
from orchestrator.engines.local.urn import (
    PROVIDER_TYPE_PREFIX,
    STACK_REFERENCE_TYPE,
    default_provider_urn,
    package_of,
    provider_reference,
)
from orchestrator.errors import UserError


class Deployment(StepExecutor):
    """Turns each registration into a step and runs it (see the module docstring)."""

    def __init__(
        self,
        *,
        project: str,
        stack: str,
        old: Snapshot,
        providers: ProviderLookup,
        dry_run: bool,
        writer: StateWriter | None,
        redactor: SecretMasker,
        emit: Emit,
        read_stack_reference: Callable[[str], tuple[dict[str, Any], frozenset[str]]],
        provider_version: Callable[[str], str],
        policy: PolicyCheck | None = None,
    ) -> None:
        super().__init__(old=old, providers=providers, dry_run=dry_run, writer=writer, redactor=redactor, emit=emit)
        self._policy = policy
        self.project = project
        self.stack = stack
        self._read_stack_reference = read_stack_reference
        self._provider_version = provider_version
        self.default_providers: dict[str, str] = {}

    # ------------------------------------------------------------------ registrations

    def register(self, reg: Registration) -> StepOutcome:
        return self._guarded(reg, self._register)

    def read(self, reg: Registration) -> StepOutcome:
        return self._guarded(reg, self._read)

    def _guarded(self, reg: Registration, step: Callable[[Registration], StepOutcome]) -> StepOutcome:
        try:
            return step(reg)
        except StepFailed:
            raise
        except Unsupported as exc:
            self.note_unsupported(exc)
            if self.dry_run:
                # A preview goes on with unknown outputs, so it names every unsupported type at once.
                return StepOutcome(reg.urn, "", {})
            raise self._stop(self.unsupported_summary() or str(exc)) from None
        except (UserError, ProviderError) as exc:
            raise self._fail(f"{reg.type} {reg.name}: {exc}", reg.urn) from None
        except Exception as exc:
            raise self._fail(f"{reg.type} {reg.name}: {type(exc).__name__}: {exc}", reg.urn) from None

    def _register(self, reg: Registration) -> StepOutcome:
        self._note_secrets(reg.inputs, reg.secret_inputs)
        old = self._find_old(reg)
        if reg.remote:
            raise UserError(
                f"{reg.type} is a remote (multi-language) component that only the real provider "
                "can expand; the local engine cannot run it",
                "use `engine: pulumi` for this environment, or declare the resources directly",
            )
        if not reg.custom:
            return self._register_component(reg, old)
        if reg.type.startswith(PROVIDER_TYPE_PREFIX):
            return self._register_provider(reg, old)
        provider = self.providers.get(reg.type, reg.provider_ref)
        provider_ref = reg.provider_ref or self._default_provider(reg)
        return self._register_custom(reg, old, provider, provider_ref)

    def _checked_by_policies(
        self, reg: Registration, inputs: dict[str, Any], provider_ref: str | None
    ) -> dict[str, Any]:
        """The inputs after the policy packs' remediations; a mandatory violation blocks the
        step of an update (a preview goes on, and fails at the end)."""
        if self._policy is None:
            return inputs
        with self._lock:
            provider = self.new.get((provider_ref or "").rpartition("::")[0])
        inputs, blocking = self._policy.check(reg, inputs, provider)
        if blocking and not self.dry_run:
            raise self._fail(f"{reg.type} {reg.name}: {blocking[0]}", reg.urn)
        return inputs

    def _register_component(self, reg: Registration, old: ResourceState | None) -> StepOutcome:
        self._checked_by_policies(reg, reg.inputs, None)
        prior_outputs = old.outputs if old is not None else {}
        record = self._record_for(reg, id_="", inputs={}, outputs=prior_outputs, provider_ref=None, old=old)
        record = replace(record, secret_outputs=old.secret_outputs if old is not None else frozenset())
        op: StepOp = "same" if old is not None else "create"
        self._commit(record, old=old, write=False)
        self._record_change(ResourceChange(reg.urn, reg.type, reg.name, op))
        return StepOutcome(reg.urn, "", {})

    def _register_provider(self, reg: Registration, old: ResourceState | None) -> StepOutcome:
        """A provider resource the program declares: shown and counted as Pulumi shows it,
        created, updated when its inputs change (its resources diff on their own)."""
        reg = replace(reg, inputs=self._checked_by_policies(reg, reg.inputs, None))
        id_ = old.id if old is not None and old.id else str(uuid.uuid4())
        diffs = property_diffs(old.inputs, reg.inputs) if old is not None else ()
        op: StepOp = "create" if old is None else ("update" if diffs else "same")
        record = self._record_for(reg, id_=id_, inputs=reg.inputs, outputs=reg.inputs, provider_ref=None, old=old)
        self._commit(record, old=old, write=not self.dry_run and op != "same")
        shown = display_diffs(create_diffs(reg.inputs) if op == "create" else diffs, reg.secret_inputs)
        self._record_change(ResourceChange(reg.urn, reg.type, reg.name, op, shown))
        return StepOutcome(reg.urn, id_, mark_secrets(reg.inputs, record.secret_outputs))

    def _default_provider(self, reg: Registration) -> str:
        """The `pulumi:providers:<pkg>::default_<version>` record the engine keeps for
        resources that name no provider, created on first use."""
        package = "pulumi" if reg.type == STACK_REFERENCE_TYPE else package_of(reg.type)
        version = reg.version or self._provider_version(package)
        urn = default_provider_urn(self.stack, self.project, package, version)
        with self._lock:
            ref = self.default_providers.get(urn)
            if ref is not None:
                return ref
            old = self.old.get(urn)
            id_ = old.id if old is not None and old.id else str(uuid.uuid4())
            inputs: dict[str, Any] = {"version": version} if version else {}
            if old is not None:
                inputs = old.inputs
            record = ResourceState(
                urn=urn, type=f"{PROVIDER_TYPE_PREFIX}{package}", custom=True, id=id_,
                inputs=inputs, outputs=inputs,
                created=old.created if old is not None else timestamp(),
                modified=old.modified if old is not None else timestamp(),
            )
            self.new[urn] = record
            if old is None:
                self.dirty = True
            ref = provider_reference(urn, id_)
            self.default_providers[urn] = ref
            return ref

    def _register_custom(
        self, reg: Registration, old: ResourceState | None, provider: ResourceProvider, provider_ref: str
    ) -> StepOutcome:
        news = provider.check(reg.urn, reg.name, old.inputs if old is not None else None, reg.inputs)
        news = self._checked_by_policies(reg, news, provider_ref)
        decision, news = self._decide(reg, old, provider, news)
        secret_keys = reg.secret_inputs | frozenset(reg.additional_secret_outputs)
        if decision.op == "create":
            shown = display_diffs(create_diffs(news), secret_keys)
        else:
            shown = display_diffs(decision.diffs, secret_keys)
        change = ResourceChange(reg.urn, reg.type, reg.name, decision.op, shown)
        if self.dry_run:
            outcome = self._preview_step(reg, old, provider, provider_ref, decision, news)
        else:
            outcome = self._apply_step(reg, old, provider, provider_ref, decision, news)
        self._record_change(change)
        return outcome

    def _decide(
        self, reg: Registration, old: ResourceState | None, provider: ResourceProvider, news: dict[str, Any]
    ) -> tuple[StepDecision, dict[str, Any]]:
        if old is None:
            return StepDecision("create"), news
        news = apply_ignore_changes(old.inputs, news, reg.ignore_changes)
        result: DiffResult = provider.diff(reg.urn, old.id, old.inputs, old.outputs, news)
        replace_paths = set(result.replace_paths)
        if result.changed and reg.replace_on_changes:
            changed_tops = {str(parse_property_path(d.path)[0]) for d in result.diffs if d.path}
            wanted = {str(parse_property_path(p)[0]) for p in reg.replace_on_changes if p}
            if "*" in reg.replace_on_changes or changed_tops & wanted:
                replace_paths |= changed_tops & wanted or changed_tops
        decision = decide_step(
            old,
            changed=result.changed,
            replace=bool(replace_paths),
            delete_before_replace=reg.delete_before_replace or result.delete_before_replace,
            protect=reg.protect,
            diffs=result.diffs,
        )
        if decision.op == "replace":
            # As Pulumi's step generator does: a replacement is checked afresh, without the old
            # inputs, so it gets a new autoname instead of colliding with the object it replaces.
            news = provider.check(reg.urn, reg.name, None, reg.inputs)
        return decision, news

    # ------------------------------------------------------------------ reads and outputs

    def _read(self, reg: Registration) -> StepOutcome:
        old = self._find_old(reg)
        read_id = reg.read_id or ""
        if reg.type == STACK_REFERENCE_TYPE:
            outputs_map, secret_names = self._read_stack_reference(read_id)
            self.redact.add(s for k in secret_names for s in secret_strings(outputs_map.get(k)))
            outputs = {"name": read_id, "outputs": outputs_map, "secretOutputNames": sorted(secret_names)}
            wire = {
                "name": read_id,
                "outputs": {k: wrap_secret(v) if k in secret_names else v for k, v in outputs_map.items()},
                "secretOutputNames": sorted(secret_names),
            }
            provider_ref = reg.provider_ref or self._default_provider(reg)
            record = self._record_for(
                reg, id_=read_id, inputs={"name": read_id}, outputs=outputs, provider_ref=provider_ref, old=old
            )
            record = replace(record, secret_outputs=frozenset({"outputs"}) if secret_names else frozenset())
            self._commit(record, old=old, write=False)
            return StepOutcome(reg.urn, read_id, wire)
        provider = self.providers.get(reg.type, reg.provider_ref)
        provider_ref = reg.provider_ref or self._default_provider(reg)
        live = provider.read(reg.urn, read_id, reg.inputs, {})
        if live is None:
            raise UserError(f"no {reg.type} with id {read_id!r} exists to read (`.get` of {reg.name})")
        record = self._record_for(
            reg, id_=live.id, inputs=reg.inputs, outputs=live.outputs, provider_ref=provider_ref, old=old
        )
        self._commit(record, old=old, write=False)
        return StepOutcome(reg.urn, live.id, mark_secrets(live.outputs, record.secret_outputs))
