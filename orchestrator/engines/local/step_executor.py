"""The step executor: runs the steps the deployment decided, as the Pulumi engine's step
executor does: a preview records what would happen, an update calls the provider (create,
update, replace, delete) with a pending operation on disk around each cloud call; after the
program, what it no longer declares is deleted, dependents first.

The steps are decided in `Deployment` (the step generator's side); the old and new records,
pending operations and state writes are `DeploymentJournal`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from orchestrator.engines.base import ResourceChange
from orchestrator.engines.local.checkpoint import StateWriter
from orchestrator.engines.local.journal import DeploymentJournal, Emit
from orchestrator.engines.local.props import UNKNOWN_MARKER, SecretMasker, mark_secrets
from orchestrator.engines.local.providers.base import ProviderError, ResourceProvider
from orchestrator.engines.local.registration import ProviderLookup, Registration, StepOutcome
from orchestrator.engines.local.state import ResourceState, Snapshot, timestamp
from orchestrator.engines.local.steps import StepDecision, check_deletable, delete_order
from orchestrator.engines.local.urn import PROVIDER_TYPE_PREFIX, is_default_provider, parse_urn
from orchestrator.errors import UserError


class StepExecutor(DeploymentJournal):
    """Runs decided steps against the providers and records them (see the module docstring)."""

    def __init__(
        self,
        *,
        old: Snapshot,
        providers: ProviderLookup,
        dry_run: bool,
        writer: StateWriter | None,
        redactor: SecretMasker,
        emit: Emit,
    ) -> None:
        super().__init__(old=old, dry_run=dry_run, writer=writer, redactor=redactor, emit=emit)
        self.providers = providers

    def _record_for(
        self,
        reg: Registration,
        *,
        id_: str,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        provider_ref: str | None,
        old: ResourceState | None,
    ) -> ResourceState:
        """The state record of a registration's step (timestamps kept from `old` when unchanged)."""
        secret_out = reg.secret_inputs | frozenset(reg.additional_secret_outputs)
        now = timestamp()
        return ResourceState(
            urn=reg.urn,
            type=reg.type,
            custom=reg.custom,
            id=id_,
            inputs=inputs,
            outputs=outputs,
            secret_inputs=reg.secret_inputs,
            secret_outputs=frozenset(k for k in secret_out if k in outputs),
            parent=reg.parent,
            dependencies=reg.dependencies,
            property_dependencies=reg.property_dependencies,
            provider=provider_ref,
            protect=reg.protect,
            external=reg.read_id is not None,
            retain_on_delete=reg.retain_on_delete,
            delete_before_replace=reg.delete_before_replace,
            additional_secret_outputs=reg.additional_secret_outputs,
            created=old.created if old is not None and old.created else now,
            modified=now if old is None or old.inputs != inputs or old.outputs != outputs else old.modified,
        )

    # ------------------------------------------------------------------ preview / apply

    def _preview_step(
        self,
        reg: Registration,
        old: ResourceState | None,
        provider: ResourceProvider,
        provider_ref: str,
        decision: StepDecision,
        news: dict[str, Any],
    ) -> StepOutcome:
        if decision.op in ("create", "replace"):
            id_ = ""
            outputs = provider.preview_outputs(reg.urn, reg.name, news)
        elif decision.op == "update":
            assert old is not None
            id_ = old.id
            planned = provider.preview_outputs(reg.urn, reg.name, news)
            outputs = {**old.outputs, **{k: v for k, v in planned.items() if v != UNKNOWN_MARKER}}
            # An input not yet known makes the outputs built from it unknown too.
            outputs.update({k: v for k, v in news.items() if v == UNKNOWN_MARKER})
        else:
            assert old is not None
            id_, outputs = old.id, old.outputs
        record = self._record_for(reg, id_=id_, inputs=news, outputs=outputs, provider_ref=provider_ref, old=old)
        if decision.op == "replace" and old is not None:
            with self._lock:
                self._doomed.append(replace(old, delete=True))
        self._commit(record, old=old, write=False)
        return StepOutcome(reg.urn, id_, mark_secrets(outputs, record.secret_outputs))

    def _apply_step(
        self,
        reg: Registration,
        old: ResourceState | None,
        provider: ResourceProvider,
        provider_ref: str,
        decision: StepDecision,
        news: dict[str, Any],
    ) -> StepOutcome:
        if decision.op == "same":
            assert old is not None
            record = self._record_for(
                reg, id_=old.id, inputs=news, outputs=old.outputs, provider_ref=provider_ref, old=old
            )
            # Pulumi elides the write of a `same` step: nothing the cloud holds changed.
            self._commit(record, old=old, write=False)
        elif decision.op == "update":
            assert old is not None
            pending = self._begin(old, "updating")
            with self._settled_on_refusal(pending):
                outputs = provider.update(reg.urn, old.id, old.inputs, old.outputs, news)
            # An update may give the object a new id, as terraform-provider-aws's SetId in an
            # Update does (EC2 re-associating a route table makes a new association).
            id_ = str(outputs.get("id") or old.id)
            record = self._record_for(reg, id_=id_, inputs=news, outputs=outputs, provider_ref=provider_ref, old=old)
            self._commit(record, old=old, write=True, done=pending)
        else:
            if decision.op == "replace" and old is not None and decision.delete_before_replace:
                self._delete_one(old)
            planned = self._record_for(reg, id_="", inputs=news, outputs={}, provider_ref=provider_ref, old=None)
            pending = self._begin(planned, "creating")
            with self._settled_on_refusal(pending):
                id_, outputs = provider.create(reg.urn, news)
            record = self._record_for(reg, id_=id_, inputs=news, outputs=outputs, provider_ref=provider_ref, old=None)
            if decision.op == "replace" and old is not None and not decision.delete_before_replace:
                with self._lock:
                    # Create-before-delete: the old one is deleted after the program finishes.
                    self._doomed.append(replace(old, delete=True))
            self._commit(record, old=old if decision.op == "create" else None, write=True, done=pending)
        record = self.new[reg.urn]
        self._note_secrets(record.outputs, record.secret_outputs)
        return StepOutcome(reg.urn, record.id, mark_secrets(record.outputs, record.secret_outputs))

    def _delete_one(self, res: ResourceState) -> None:
        """Delete a resource from the cloud (unless external or retained) and from state."""
        pending = self._begin(res, "deleting")
        if res.custom and not res.external and not res.retain_on_delete and not res.type.startswith(
            PROVIDER_TYPE_PREFIX
        ):
            provider = self.providers.get(res.type, res.provider)
            with self._settled_on_refusal(pending):
                provider.delete(res.urn, res.id, res.inputs, res.outputs)
        with self._lock:
            self._pending.remove(pending)
            if res in self._doomed:
                self._doomed.remove(res)
            elif res.urn in self.old and res.urn not in self.new:
                self._deleted.add(res.urn)
        self.flush()

    # ------------------------------------------------------------------ after the program

    def finish(self) -> None:
        """Delete what the program no longer declares, dependents first (only after the
        program succeeded), then write the final state."""
        summary = self.unsupported_summary()
        if summary is not None:
            raise self._stop(summary)
        leftovers = self.leftovers()
        self._delete_all(leftovers, [r for r in leftovers if not r.delete])
        with self._lock:
            if leftovers:
                self.dirty = True

    def destroy(self, resources: Iterable[ResourceState]) -> None:
        """Delete every resource, dependents first; protected ones stop the destroy."""
        items = list(resources)
        self._delete_all(items, items)

    def _delete_all(self, resources: list[ResourceState], must_be_deletable: list[ResourceState]) -> None:
        """Delete `resources` in reverse dependency order; a change is recorded for each
        delete that happened (or, in a preview, would happen), so a failed run shows what it did."""
        try:
            check_deletable(must_be_deletable)
        except UserError as exc:
            raise self._fail(str(exc), getattr(exc, "urn", None)) from None
        for res in delete_order(resources):
            if not self.dry_run:
                try:
                    self._delete_one(res)
                except (UserError, ProviderError) as exc:
                    raise self._fail(f"deleting {res.urn}: {exc}", res.urn) from None
            if not res.delete and not is_default_provider(res.urn):
                self._record_change(ResourceChange(res.urn, res.type, parse_urn(res.urn).name, "delete"))
        if not self.dry_run:
            self.flush(final=True)
