"""What a language must say for its StackReferences to be found (see `script.py`, `compiled.py`).

Per language: the construct (`new pulumi.StackReference(...)`, `pulumi.NewStackReference(ctx, ...)`,
`new StackReference(...)`, `StackReference(...)`), which argument holds the stack name (the
first, unless the args object sets `name`), and how strings are built (`evaluate.Rules`).
The SDKs' signatures these follow: TypeScript `new StackReference(name, args?: {name})`, Python
`StackReference(name, stack_name=None)`, Go `NewStackReference(ctx, name, *StackReferenceArgs{Name})`,
.NET `new StackReference(name, StackReferenceArgs{Name})`, Java
`new StackReference(name, StackReferenceArgs.builder().name(...))`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestrator.stackrefs.evaluate import Rules

if TYPE_CHECKING:
    from tree_sitter import Node


LAST = ""  # a Shape step whose node must be its parent's last named child, not a field of it


@dataclass(frozen=True)
class Shape:
    """One way the construct is written, read from the callee's name up to the construct:
    `new StackReference(...)` is an identifier that is the `constructor` of a `new_expression`;
    `new pulumi.StackReference(...)` a property identifier, the `property` of a member expression
    that is the `constructor` of a `new_expression`."""

    callee: str  # the node type of the name
    steps: tuple[tuple[str, str], ...]  # (parent node type, field holding the child, or LAST), innermost first


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per language
class Dialect:
    name: str  # for people: "TypeScript", "Go"...
    extensions: tuple[str, ...]
    grammar: Callable[[], object]  # the grammar package's language capsule, imported on first use
    rules: Rules
    callee: str  # the construct's name: StackReference (Go: NewStackReference)
    shapes: tuple[Shape, ...]  # where that name stands in a construct; the last step's node is the construct
    arguments: tuple[str, str]  # the construct's field holding its argument list, and that list's node type
    name_argument: Callable[[Node], Node | None]  # argument list -> the expression holding the stack name
    binding_query: str  # captures @binding: declarations `name = value`
    bindings_of: Callable[[Node], Sequence[tuple[str, Node]]]  # @binding -> (name, value) pairs


def arguments_of(node: Node) -> list[Node]:
    """The argument (or list element) nodes, without comments."""
    return [c for c in node.named_children if c.type not in ("comment", "line_comment", "block_comment")]
