"""Pure: chained previews. When a stack's upstream (a stack it reads through StackReference) is
previewed in the same plan, what the dependent's preview may read from it.

* The local engine reads the upstream's *previewed* outputs: known values where the preview
  knows them, unknown (shown "known after update") where it does not. Secret outputs never
  travel between stacks: the child reads them from the upstream's deployed state (unknown
  when it was never deployed). A never-deployed upstream in the same plan therefore no
  longer fails its dependents.
* The Pulumi CLI cannot be handed outputs: its dependents are previewed against the
  upstream's current outputs, and say so; an upstream that does not exist yet (its preview
  creates every resource) cannot be read at all, so its dependents wait for it: not failed,
  pending, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.engines.base import SECRET, UNKNOWN, StackResult
from orchestrator.models import EngineName, PlannedStack, PreviewedOutputs

WAITING_FOR_UPSTREAM = "waiting for upstream: "
MAX_LISTED_OUTPUTS = 8


@dataclass(frozen=True)
class Upstream:
    """A stack of the same plan that the dependent reads, and its preview's result."""

    planned: PlannedStack
    result: StackResult
    deployed: Mapping[str, Any] | None = None  # its deployed outputs, when the engine can read them cheaply

    @property
    def id(self) -> str:
        return self.planned.id

    @property
    def changed(self) -> bool:
        return self.result.counts.changed > 0 or bool(self.result.changes) or self.outputs_changed

    @property
    def outputs_changed(self) -> bool:
        """A change of the program's outputs alone (`export("name", new_value)`): no resource
        changes, but what its dependents read does."""
        return self.deployed is not None and bool(changed_outputs(self.result.outputs, self.deployed))


@dataclass(frozen=True)
class Chaining:
    """How to preview one dependent: outputs to read instead of the deployed ones, notes for
    the comment, or a reason to wait instead of running."""

    previewed: tuple[PreviewedOutputs, ...] = ()
    notes: tuple[str, ...] = ()
    waiting: str | None = None


def is_new_stack(result: StackResult) -> bool:
    """A preview of a stack never deployed: it creates every resource and keeps none."""
    counts = result.counts
    return counts.create > 0 and counts.same + counts.update + counts.replace + counts.delete == 0


def changed_outputs(previewed: Mapping[str, Any], deployed: Mapping[str, Any]) -> tuple[str, ...]:
    """The stack outputs a preview adds, removes or changes; secret and unknown values are not compared."""
    names = set(previewed) ^ set(deployed)
    names.update(
        key
        for key, value in previewed.items()
        if key in deployed and value not in (UNKNOWN, SECRET) and value != deployed[key]
    )
    return tuple(sorted(names))


def outputs_note(result: StackResult, deployed: Mapping[str, Any]) -> str | None:
    """For the comment: the outputs a preview changes, which a resource count does not show
    (Pulumi's "Outputs:" section). None for a new stack, whose every output is new."""
    if not result.ok or is_new_stack(result):
        return None
    names = changed_outputs(result.outputs, deployed)
    return f"outputs that change: {_listed(list(names))}" if names else None


def previewed_outputs(upstream: Upstream) -> PreviewedOutputs:
    outputs = upstream.result.outputs
    unknown = tuple(sorted(k for k, v in outputs.items() if v == UNKNOWN))
    secret = tuple(sorted(k for k, v in outputs.items() if v == SECRET))
    values = {k: v for k, v in sorted(outputs.items()) if k not in unknown and k not in secret}
    planned = upstream.planned
    return PreviewedOutputs(planned.project, planned.stack, values=values, unknown=unknown, secret=secret)


def chaining(upstreams: Sequence[Upstream], engine: EngineName) -> Chaining:
    """The chaining for a dependent whose in-plan upstreams previewed successfully (`upstreams`)."""
    changed = [u for u in upstreams if u.changed]
    if not changed:
        return Chaining()  # the upstreams' previewed outputs are their deployed ones
    if engine == "local":
        previewed = tuple(previewed_outputs(u) for u in changed)
        notes = tuple(_taken_note(u, p) for u, p in zip(changed, previewed, strict=True))
        return Chaining(previewed=previewed, notes=notes)
    new = [u for u in changed if is_new_stack(u.result)]
    if new:
        names = ", ".join(u.id for u in new)
        return Chaining(
            waiting=f"{WAITING_FOR_UPSTREAM}{names} does not exist yet (this pull request creates it); the Pulumi CLI "
            "can only preview a StackReference to a deployed stack, so this stack is previewed once it is deployed"
        )
    return Chaining(
        notes=tuple(
            f"previewed against the current outputs of {u.id}: this pull request changes {u.id}, so what this "
            "stack reads from it may differ after merge"
            for u in changed
        )
    )


def waiting_behind(upstream_id: str, upstream: StackResult) -> str | None:
    """A dependent of a waiting stack waits too (it would read a stack that is not there)."""
    if upstream.status == "skipped" and (upstream.error or "").startswith(WAITING_FOR_UPSTREAM):
        return f"{WAITING_FOR_UPSTREAM}{upstream_id} is waiting for its own upstream"
    return None


def _taken_note(upstream: Upstream, previewed: PreviewedOutputs) -> str:
    known = _listed(sorted(previewed.values))
    unknown = _listed(list(previewed.unknown))
    parts = [f"outputs of {upstream.id} taken from this pull request's preview"]
    if known:
        parts.append(f"known: {known}")
    if unknown:
        parts.append(f"known after apply: {unknown}")
    if previewed.secret:
        parts.append(f"secret, read as deployed: {_listed(list(previewed.secret))}")
    return "; ".join(parts)


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED_OUTPUTS])
    more = len(names) - MAX_LISTED_OUTPUTS
    return f"{shown} and {more} more" if more > 0 else shown
