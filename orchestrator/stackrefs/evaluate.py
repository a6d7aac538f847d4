"""Evaluating a syntax tree's string expression into a stack reference name `Pattern`.

Language-neutral: each dialect (see `dialects.py`) says which node types are strings,
concatenations, wrappers and format calls; this module walks them. Anything it does not
understand becomes a hole, so a name is never guessed.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from orchestrator.stackrefs.names import HOLE, Pattern, concat, literal, printf

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_DEPTH = 8  # identifiers resolved through other identifiers: enough for real programs, no cycles
# The Pulumi SDKs' config reads (Python, TypeScript, Go, .NET, Java spellings, normalized):
# `config.require("companyStack")` names a stack through the stack's configuration.
CONFIG_READS = frozenset({"require", "get", "requiresecret", "getsecret"})


@dataclass(frozen=True)
class Strings:
    """How one language spells string literals in its syntax tree."""

    literals: frozenset[str]  # node types of string literals (with children)
    content: frozenset[str]  # children holding literal text
    escapes: frozenset[str]  # children holding an escape sequence
    holes: frozenset[str]  # children holding an interpolated value
    leaves: Mapping[str, Callable[[str], str]] = field(default_factory=dict)  # childless literals: text -> value


FormatCall = Callable[["Node", "Evaluator"], Pattern | None]  # a call that builds a string, else None


@dataclass(frozen=True)
class Rules:
    strings: Strings
    concatenations: frozenset[str]  # binary nodes whose `+` joins strings
    wrappers: frozenset[str]  # nodes that only wrap the value (parentheses, casts)
    calls: frozenset[str]  # call node types, passed to `format_call`
    format_call: FormatCall
    identifier: str = "identifier"
    percent_formats: bool = False  # Python's `"%s" % x`


class Evaluator:
    """Evaluates expressions of one file; `bindings` are the file's `name = value` bindings."""

    def __init__(self, rules: Rules, bindings: Mapping[str, Sequence[Node]]) -> None:
        self.rules = rules
        self.bindings = bindings

    def __call__(self, node: Node | None, depth: int = 0) -> Pattern:
        if node is None or depth > MAX_DEPTH:
            return HOLE
        rules, kind = self.rules, node.type
        if kind in rules.strings.literals:
            return self._string(node)
        if kind in rules.strings.leaves:
            return literal(rules.strings.leaves[kind](_text(node)))
        if kind in rules.wrappers:
            inner = node.child_by_field_name("value") or node.child_by_field_name("expression")
            return self(inner if inner is not None else _first_named(node), depth + 1)
        if kind in rules.concatenations:
            return self._binary(node, depth)
        if kind in rules.calls:
            built = rules.format_call(node, self)
            return HOLE if built is None else built
        if kind == rules.identifier:
            bound = self.bindings.get(_text(node), ())
            # Bound once in the file: a constant. Bound twice or more: which one is meant is unknown.
            return self(bound[0], depth + 1) if len(bound) == 1 else HOLE
        return HOLE

    def config_key(self, node: Node | None, depth: int = 0) -> str | None:
        """The key when the whole expression is a config read with a literal key
        (`config.require("companyStack")`, directly or through a variable bound once); else None."""
        if node is None or depth > MAX_DEPTH:
            return None
        kind = node.type
        if kind in self.rules.wrappers:
            inner = node.child_by_field_name("value") or node.child_by_field_name("expression")
            return self.config_key(inner if inner is not None else _first_named(node), depth + 1)
        if kind == self.rules.identifier:
            bound = self.bindings.get(_text(node), ())
            return self.config_key(bound[0], depth + 1) if len(bound) == 1 else None
        if kind not in self.rules.calls:
            return None
        function = node.child_by_field_name("function") or node.child_by_field_name("name")
        arguments = node.child_by_field_name("arguments")
        if arguments is None or callee_name(function).lower().replace("_", "") not in CONFIG_READS:
            return None
        args = [_unwrapped(a) for a in arguments.named_children if "comment" not in a.type]
        if len(args) != 1 or args[0] is None or args[0].type not in self.rules.strings.literals:
            return None
        key = self._string(args[0])
        return key[0] if len(key) == 1 and key[0] else None

    def _binary(self, node: Node, depth: int) -> Pattern:
        operator = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op = _text(operator) if operator is not None else ""
        if op == "+":
            return concat((self(left, depth + 1), self(right, depth + 1)))
        if op == "%" and self.rules.percent_formats:
            return printf(self(left, depth + 1))
        return HOLE

    def _string(self, node: Node) -> Pattern:
        strings = self.rules.strings
        parts: list[Pattern] = []
        for child in node.children:
            if child.type in strings.literals:  # Python's implicit concatenation holds strings
                parts.append(self._string(child))
            elif child.type in strings.content:
                parts.append(self._content(child))
            elif child.type in strings.escapes:
                parts.append(_escape(_text(child)))
            elif child.type in strings.holes:
                parts.append(HOLE)
        return concat(parts)


    def _content(self, node: Node) -> Pattern:
        """Literal text; Python's grammar nests the escape sequences inside it."""
        if not node.named_children:
            return literal(_text(node))
        raw, start, parts = node.text or b"", node.start_byte, []
        position = 0
        for child in node.named_children:
            parts.append(literal(raw[position : child.start_byte - start].decode(errors="replace")))
            parts.append(_escape(_text(child)) if child.type in self.rules.strings.escapes else HOLE)
            position = child.end_byte - start
        parts.append(literal(raw[position:].decode(errors="replace")))
        return concat(parts)


def _escape(sequence: str) -> Pattern:
    try:
        return literal(codecs.decode(sequence, "unicode_escape"))
    except UnicodeDecodeError:
        return HOLE


def _text(node: Node) -> str:
    raw = node.text
    return raw.decode(errors="replace") if raw is not None else ""


def _unwrapped(node: Node) -> Node | None:
    """An argument without the node some grammars wrap it in (C#'s `argument`)."""
    return _first_named(node) if node.type == "argument" else node


def _first_named(node: Node) -> Node | None:
    return node.named_children[0] if node.named_children else None


def text_of(node: Node | None) -> str:
    return "" if node is None else _text(node)


def callee_name(node: Node | None) -> str:
    """The last identifier of a callee or type (`pulumi.StackReference` -> `StackReference`)."""
    text = text_of(node)
    return text.rsplit(".", 1)[-1].strip()
