"""Choosing the engine of an environment (`engine: local | pulumi`)."""

from __future__ import annotations

from typing import Any

from orchestrator.engines.base import Engine
from orchestrator.errors import UserError

ENGINE_NAMES: tuple[str, ...] = ("local", "pulumi")


def engine_for(name: str, **options: Any) -> Engine:
    """The engine called `name` (an environment's `engine` key), built with `options`.

    Imports lazily: the CLI must not load pulumi or boto3 before a stack actually runs.
    `pulumi` fails with a UserError saying how to install the CLI when it is not on PATH.
    """
    if name == "local":
        from orchestrator.engines.local.engine import LocalEngine

        return LocalEngine(**options)
    if name == "pulumi":
        from orchestrator.engines.pulumi import PulumiEngine

        return PulumiEngine(**options)
    raise UserError(
        f"unknown engine {name!r}; expected one of: {', '.join(ENGINE_NAMES)}",
        hint="set `engine: local` or `engine: pulumi` in the environment's file",
    )
