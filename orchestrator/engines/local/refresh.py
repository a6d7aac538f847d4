"""Drift and refresh: every recorded resource read back from the cloud and compared with
what state records; a refresh takes the live values into the state."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from orchestrator.engines.base import Diagnostic, ResourceChange
from orchestrator.engines.local.props import SecretMasker
from orchestrator.engines.local.provider_lookup import Providers
from orchestrator.engines.local.state import ResourceState, Snapshot
from orchestrator.engines.local.steps import display_diffs, property_diffs
from orchestrator.engines.local.urn import PROVIDER_TYPE_PREFIX, parse_urn


def drift_changes(snapshot: Snapshot, providers: Providers, redact: SecretMasker) -> tuple[
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
        compared = _declared(res) & live.outputs.keys()
        recorded = {k: v for k, v in res.outputs.items() if k in compared}
        diffs = property_diffs(recorded, {k: v for k, v in live.outputs.items() if k in res.outputs and k in compared})
        if diffs:
            changes.append(ResourceChange(res.urn, res.type, name, "update",
                                          display_diffs(diffs, res.secret_outputs | res.secret_inputs)))
        else:
            same += 1
    return changes, diagnostics, same


def _declared(res: ResourceState) -> set[str]:
    """What drift compares: the properties the program set, and tags. As Pulumi diffs a
    refresh against the program's inputs, what the cloud computes or other resources change
    (a NAT gateway taking an Elastic IP, a Route added to a RouteTable, a rule added to a
    SecurityGroup by a SecurityGroupRule) is not drift."""
    return {k for k, v in res.inputs.items() if v is not None and not k.startswith("__")} | {"tags", "tagsAll"}


def refresh_snapshot(snapshot: Snapshot, providers: Providers, redact: SecretMasker) -> tuple[
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
