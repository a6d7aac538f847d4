"""Small readers of `orchestrator plan --format json` output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def stack_ids(plan: Mapping[str, Any]) -> list[str]:
    return [s["id"] for s in plan["stacks"]]


def by_id(plan: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in plan["stacks"]}


def wave_of(plan: Mapping[str, Any], stack_id: str) -> int:
    wave: int = by_id(plan)[stack_id]["wave"]
    return wave
