"""One order for every result, whichever engine produced it.

Engines run independent steps in parallel and hand back property maps in whatever order the
program (or the wire) built them, so two runs of the same change, or the same change in two
environments, listed their resources and keys differently. A result leaves the engines in a
canonical form: resources by URN, property diffs by path (array indices numerically), and
every map, in diff values and outputs alike, with its keys sorted.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from orchestrator.engines.base import PropertyDiff, ResourceChange, StackResult
from orchestrator.engines.pulumi_diffs import parse_property_path


def canonical(result: StackResult) -> StackResult:
    """`result` with its changes, diffs and maps in the canonical order (content unchanged)."""
    return dataclasses.replace(
        result,
        changes=tuple(sorted((_change(c) for c in result.changes), key=lambda c: c.urn)),
        outputs=sorted_maps(result.outputs),
    )


def _change(change: ResourceChange) -> ResourceChange:
    diffs = sorted(
        (PropertyDiff(d.path, d.kind, sorted_maps(d.old), sorted_maps(d.new)) for d in change.diffs),
        key=lambda d: path_key(d.path),
    )
    return dataclasses.replace(change, diffs=tuple(diffs))


def path_key(path: str) -> tuple[tuple[int, int, str], ...]:
    """Sorts `rules[2]` before `rules[10]`, and a map's keys alphabetically."""
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in parse_property_path(path))


def sorted_maps(value: Any) -> Any:
    """`value` with the keys of every map in it sorted (lists keep their order: it is meaningful)."""
    if isinstance(value, dict):
        return {key: sorted_maps(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list):
        return [sorted_maps(item) for item in value]
    return value
