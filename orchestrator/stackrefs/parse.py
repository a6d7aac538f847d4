"""Finding StackReference constructions in one source file with its language's tree-sitter grammar.

Only the syntax tree counts: a StackReference in a comment, a docstring or an unrelated
string is not a construction and is never reported.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestrator.stackrefs.dialect import Dialect
from orchestrator.stackrefs.evaluate import Evaluator, text_of
from orchestrator.stackrefs.names import Pattern

if TYPE_CHECKING:
    from tree_sitter import Language, Node, Parser, Query

MAX_WRITTEN_CHARS = 80  # the name expression as written, shown for names known only at run time
NEEDLE = b"StackReference"  # every dialect's query requires a callee or type of exactly this name


@dataclass(frozen=True)
class Found:
    line: int  # 1-based line of the construction
    pattern: Pattern  # the stack name as far as the source fixes it
    written: str  # the name expression as written (one line, shortened)
    config_key: str | None = None  # the name is the stack's configuration value of this key


def references_in(source: bytes, dialect: Dialect) -> list[Found]:
    """Every StackReference construction in `source`, in source order."""
    from tree_sitter import QueryCursor

    first = source.find(NEEDLE)
    if first < 0:
        return []
    parser, query = _compiled(dialect)
    root = parser.parse(source).root_node
    evaluate = Evaluator(dialect.rules, _Bindings(root, dialect))
    cursor = QueryCursor(query)
    # A match's callee is the word itself, so every match intersects the span from the word's first
    # to its last occurrence; the cursor returns all matches intersecting its range and skips the rest
    # of the tree (captures outside the range, such as the arguments, are still returned).
    cursor.set_byte_range(first, source.rfind(NEEDLE) + len(NEEDLE))
    found: list[Found] = []
    for _index, captures in cursor.matches(root):
        construct, arguments = captures["ref"][0], captures["args"][0]
        expression = dialect.name_argument(arguments)
        found.append(
            Found(
                line=construct.start_point.row + 1,
                pattern=evaluate(expression),
                written=_one_line(expression),
                config_key=evaluate.config_key(expression),
            )
        )
    return sorted(found, key=lambda f: f.line)


@functools.cache
def _compiled(dialect: Dialect) -> tuple[Parser, Query]:
    """The grammar's parser and construct query, built once per process and language."""
    from tree_sitter import Parser, Query

    language = _language(dialect)
    return Parser(language), Query(language, dialect.query)


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
