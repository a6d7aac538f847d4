"""The parts of a project's `Pulumi.yaml` the orchestrator reads."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class PulumiProjectModel(BaseModel):
    """The parts of `Pulumi.yaml` the orchestrator reads; everything else is Pulumi's business."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str
    runtime: str | dict[str, Any]
