"""Per-output knowledge for StackReferences read from a preview (chained previews, orchestrator.chain).

The SDK treats a StackReference's `outputs` as one value: a single unknown output makes every
`get_output`/`require_output` unknown. An upstream previewed in the same plan has outputs the
preview knows and outputs only known after apply, so in the child (a process of our own,
previews only) each read is made known or unknown by its own output's value.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    """Replace `StackReference.get_output`/`require_output` for this process."""
    import pulumi
    from pulumi.output import Output, contains_unknowns

    def read(self: pulumi.StackReference, name: str, *, required: bool) -> Output[Any]:
        async def value() -> Any:
            outputs = await self.outputs.future(with_unknowns=True)
            if required and (not isinstance(outputs, dict) or name not in outputs):
                raise KeyError(f"Required output '{name}' does not exist on stack '{await self.name.future()}'.")
            return outputs.get(name) if isinstance(outputs, dict) else None

        async def known() -> bool:
            return not contains_unknowns(await picked)

        async def secret() -> bool:
            names = await self.secret_output_names.future()
            return name in (names or [])

        import asyncio

        picked = asyncio.ensure_future(value())
        return Output(self.outputs.resources(), picked, asyncio.ensure_future(known()), asyncio.ensure_future(secret()))

    def get_output(self: pulumi.StackReference, name: Any) -> Output[Any]:
        return read(self, name, required=False)

    def require_output(self: pulumi.StackReference, name: Any) -> Output[Any]:
        return read(self, name, required=True)

    pulumi.StackReference.get_output = get_output  # type: ignore[method-assign]
    pulumi.StackReference.require_output = require_output  # type: ignore[method-assign]
