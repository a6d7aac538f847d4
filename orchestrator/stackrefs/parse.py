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
    from tree_sitter import Node, Parser, Query

MAX_WRITTEN_CHARS = 80  # the name expression as written, shown for names known only at run time


@dataclass(frozen=True)
class Found:
    line: int  # 1-based line of the construction
    pattern: Pattern  # the stack name as far as the source fixes it
    written: str  # the name expression as written (one line, shortened)


def references_in(source: bytes, dialect: Dialect) -> list[Found]:
    """Every StackReference construction in `source`, in source order."""
    from tree_sitter import QueryCursor

    parser, query, binding_query = _compiled(dialect)
    root = parser.parse(source).root_node
    evaluate = Evaluator(dialect.rules, _Bindings(root, dialect, binding_query))
    found: list[Found] = []
    for _index, captures in QueryCursor(query).matches(root):
        construct, arguments = captures["ref"][0], captures["args"][0]
        expression = dialect.name_argument(arguments)
        found.append(
            Found(line=construct.start_point.row + 1, pattern=evaluate(expression), written=_one_line(expression))
        )
    return sorted(found, key=lambda f: f.line)


@functools.cache
def _compiled(dialect: Dialect) -> tuple[Parser, Query, Query]:
    """The grammar's parser and queries, built once per process and language."""
    from tree_sitter import Language, Parser, Query

    language = Language(dialect.grammar())
    return Parser(language), Query(language, dialect.query), Query(language, dialect.binding_query)


class _Bindings(Mapping[str, Sequence["Node"]]):
    """The file's `name = value` bindings, collected only if a name expression uses an identifier."""

    def __init__(self, root: Node, dialect: Dialect, query: Query) -> None:
        self._root, self._dialect, self._query = root, dialect, query
        self._found: dict[str, list[Node]] | None = None

    def _all(self) -> dict[str, list[Node]]:
        if self._found is None:
            from tree_sitter import QueryCursor

            found: dict[str, list[Node]] = {}
            for node in QueryCursor(self._query).captures(self._root).get("binding", []):
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
