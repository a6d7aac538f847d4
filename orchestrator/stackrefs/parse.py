"""Finding StackReference constructions in one source file with its language's tree-sitter grammar.

Only the syntax tree counts: a StackReference in a comment, a docstring or an unrelated
string is not a construction and is never reported.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestrator.stackrefs.dialect import LAST, Dialect
from orchestrator.stackrefs.evaluate import Evaluator, text_of
from orchestrator.stackrefs.names import Pattern

if TYPE_CHECKING:
    from tree_sitter import Language, Node, Parser, Query

MAX_WRITTEN_CHARS = 80  # the name expression as written, shown for names known only at run time
NEEDLE = b"StackReference"  # in every dialect's callee (Go: NewStackReference)


@dataclass(frozen=True)
class Found:
    line: int  # 1-based line of the construction
    pattern: Pattern  # the stack name as far as the source fixes it
    written: str  # the name expression as written (one line, shortened)
    config_key: str | None = None  # the name is the stack's configuration value of this key


def references_in(source: bytes, dialect: Dialect) -> list[Found]:
    """Every StackReference construction in `source`, in source order.

    The file is parsed whole; each occurrence of the word is then looked up in the syntax tree:
    it counts only where it is the callee of a construct of one of the dialect's shapes (not in
    a comment, a string or a longer name). Walking up from the word is much cheaper than running
    a tree-sitter query over the file, and needs no query compiled for the grammar (17 ms for C#)."""
    if NEEDLE not in source:
        return []
    root = _parser(dialect).parse(source).root_node
    evaluate = Evaluator(dialect.rules, _Bindings(root, dialect))
    found: list[Found] = []
    start = source.find(NEEDLE)
    while start >= 0:
        word = root.named_descendant_for_byte_range(start, start + len(NEEDLE))
        construct = _construct(word, dialect) if word is not None else None
        if construct is not None:
            arguments = construct.child_by_field_name(dialect.arguments[0])
            if arguments is not None and arguments.type == dialect.arguments[1]:
                expression = dialect.name_argument(arguments)
                found.append(
                    Found(
                        line=construct.start_point.row + 1,
                        pattern=evaluate(expression),
                        written=_one_line(expression),
                        config_key=evaluate.config_key(expression),
                    )
                )
        start = source.find(NEEDLE, start + len(NEEDLE))
    return sorted(found, key=lambda f: f.line)


def _construct(word: Node, dialect: Dialect) -> Node | None:
    """The construct whose callee `word` is, if it stands where one of the dialect's shapes puts it."""
    if word.text != dialect.callee.encode():
        return None
    for shape in dialect.shapes:
        if word.type != shape.callee:
            continue
        node: Node | None = word
        for parent_type, field in shape.steps:
            parent = node.parent if node is not None else None
            if parent is None or parent.type != parent_type or _held(parent, field) != node:
                node = None
                break
            node = parent
        if node is not None:
            return node
    return None


def _held(parent: Node, field: str) -> Node | None:
    if field == LAST:
        named = parent.named_children
        return named[-1] if named else None
    return parent.child_by_field_name(field)


@functools.cache
def _parser(dialect: Dialect) -> Parser:
    """The grammar's parser, built once per process and language."""
    from tree_sitter import Parser

    return Parser(_language(dialect))


@functools.cache
def _binding_query(dialect: Dialect) -> Query:
    """Compiled on first use: most names are literals or templates, needing no binding lookup."""
    from tree_sitter import Query

    return Query(_language(dialect), dialect.binding_query)


@functools.cache
def _language(dialect: Dialect) -> Language:
    from tree_sitter import Language

    return Language(dialect.grammar())


class _Bindings(Mapping[str, Sequence["Node"]]):
    """The file's `name = value` bindings, collected only if a name expression uses an identifier."""

    def __init__(self, root: Node, dialect: Dialect) -> None:
        self._root, self._dialect = root, dialect
        self._found: dict[str, list[Node]] | None = None

    def _all(self) -> dict[str, list[Node]]:
        if self._found is None:
            from tree_sitter import QueryCursor

            found: dict[str, list[Node]] = {}
            for node in QueryCursor(_binding_query(self._dialect)).captures(self._root).get("binding", []):
                for name, value in self._dialect.bindings_of(node):
                    found.setdefault(name, []).append(value)
            self._found = found
        return self._found

    def __getitem__(self, name: str) -> Sequence[Node]:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _one_line(node: Node | None) -> str:
    text = " ".join(text_of(node).split())
    return text if len(text) <= MAX_WRITTEN_CHARS else text[: MAX_WRITTEN_CHARS - 1] + "…"
