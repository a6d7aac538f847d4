"""Strategies shared by the fuzzing tests: hostile text, JSON/YAML values, mutations."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.security.markup import PAYLOADS
from tests.security.planted import LEAKS

# Text that tries to break out: the payload list, planted secrets, markup characters, mentions,
# control characters and odd Unicode, mixed with plain text.
MARKUP = [*PAYLOADS, "<", ">", "&", "`", "|", "\n", "\r", "\x00", "\u200b",
          "\u202e", "@", "@everyone", "*", "_", "[", "]", "(", ")", "#", "!", "\\",
                                  "<!--", "-->", "</details>", "<summary>", "javascript:", "${{ secrets.X }}"]
MARKUP_PIECES = st.sampled_from(MARKUP)
HOSTILE_PIECES = st.sampled_from([*MARKUP, *LEAKS])
hostile_text = st.lists(st.one_of(HOSTILE_PIECES, st.text(max_size=12)), max_size=6).map("".join)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), hostile_text, st.text(max_size=20),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=12,
)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a JSON-like value (for choosing what to mutate)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths_of(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(paths_of(item, (*prefix, index)))
    return found


def set_path(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """`value` with the item at `path` replaced (or deleted when `new` is DELETE)."""
    if not path:
        return new
    container = value
    for part in path[:-1]:
        container = container[part]
    if new is DELETE:
        del container[path[-1]]
    else:
        container[path[-1]] = new
    return value


DELETE = object()


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """`value` (a deep copy) with one to three of its items replaced, deleted or nested deep."""
    import copy

    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = paths_of(value)
        path = draw(st.sampled_from(paths))
        if path and draw(st.booleans()) and draw(st.booleans()):
            value = set_path(value, path, DELETE)
            continue
        new = draw(st.one_of(json_values, st.builds(lambda n: _nest(n), st.integers(min_value=30, max_value=200))))
        value = set_path(value, path, new)
    return value


def _nest(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def byte_mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with a few bytes inserted, deleted or replaced (syntax errors, bad UTF-8)."""
    data = bytearray(data)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        chunk = draw(st.one_of(st.binary(min_size=1, max_size=4),
                               st.sampled_from([b":", b"- ", b"&a ", b"*a", b"{", b"[", b"\t", b"\n  ", b"\xff",
                                                b"'", b'"', b"!!python/object:os.system ", b"<<: *a"])))
        if action == "insert":
            data[position:position] = chunk
        elif action == "delete":
            del data[position:position + len(chunk)]
        else:
            data[position:position + len(chunk)] = chunk
    return bytes(data)
