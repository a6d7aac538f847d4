"""The one YAML loader: every YAML file the tool reads (`orchestrator.yaml`, environments,
`Pulumi.yaml`, `Pulumi.<stack>.yaml`, `PulumiPolicy.yaml`) goes through `parse` or `load_file`.

Stricter than `yaml.safe_load`, with the file and line in every error:

* a key given twice in one mapping is an error (YAML says keys are unique; PyYAML keeps the
  last one silently, so a second `branch:` or `protected:` would win unseen);
* aliases may not expand past `MAX_EXPANDED_VALUES` values, nor refer to themselves: PyYAML
  builds aliases as shared references, cheaply, but whatever walks the result later (pydantic,
  the engines, `json.dumps`) expands them: nine nested aliases of nine make a billion values;
* nesting deeper than Python can walk is an error, not a crash.

Values are parsed with libyaml's safe loader when present (fast on thousands of files); the
node tree is composed again only when an error needs a line number.

Bottom layer: imports nothing from the package but `errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from orchestrator.errors import ConfigError

MAX_EXPANDED_VALUES = 100_000

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int, first_line: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first_line = key, line, first_line


class _StrictLoader(_Base):  # type: ignore[valid-type,misc]
    """libyaml's safe loader, refusing a key that a mapping already has."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[tuple[str, str], int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = (key_node.tag, key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _DuplicateKey(key_node.value, line, seen[key])
            seen[key] = line
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def parse(text: bytes | str, *, file: str) -> Any:
    """The document in `text`, or a ConfigError naming `file`, the line and what is wrong."""
    try:
        document = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, file) from None
    except _DuplicateKey as dup:
        raise ConfigError(
            f"duplicate key {dup.key!r} (first at line {dup.first_line})",
            file=file,
            line=dup.line,
            hint="a key may appear once in a mapping; YAML keeps only one of the two values: remove one",
        ) from None
    except RecursionError:
        raise ConfigError("the YAML is nested too deeply to read", file=file,
                          hint="flatten the document") from None
    has_alias = "*" in text if isinstance(text, str) else b"*" in text
    if has_alias:
        _check_expansion(document, text, file)
    return document


def load_file(path: Path, *, label: str | None = None) -> Any:
    """`parse` of the file at `path` (named `label` in errors), with a clear error when it is
    not a readable UTF-8 file: a directory, missing, unreadable or binary."""
    name = label or str(path)
    if path.is_dir():
        raise ConfigError("is a directory, not a file", file=name,
                          hint=f"replace the directory {name} with a YAML file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot be read: {exc.strerror or exc}", file=name,
                          hint="check that the file exists and that you may read it") from None
    return parse(data, file=name)


def line_of(text: bytes, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the key at `path` (or of its closest existing parent)."""
    try:
        node = yaml.compose(text, Loader=_Base)
    except (yaml.YAMLError, RecursionError):
        return None
    line = None if node is None else node.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if found is None:
                return line
            line = found[0].start_mark.line + 1
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _syntax_error(exc: yaml.YAMLError, file: str) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    # Where the construct began (an unclosed `[` two lines up) is often the real mistake.
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and (mark is None or context_mark.line != mark.line):
        problem += f" ({context} at line {context_mark.line + 1})"
    return ConfigError(
        f"malformed YAML: {problem}",
        file=file,
        line=None if mark is None else mark.line + 1,
        hint="fix the YAML syntax (indentation, quotes, colons) at that line",
    )


def _check_expansion(document: Any, text: bytes | str, file: str) -> None:
    """Count the values `document` holds once its shared (aliased) parts are expanded,
    without expanding them: each container's expanded size is computed once."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    problem = None

    def size(value: Any) -> int:
        nonlocal problem
        if not isinstance(value, (dict, list)):
            return 1
        key = id(value)
        if key in sizes:
            return sizes[key]
        if key in open_:
            problem = "an alias refers to the value that contains it"
            raise _Stop
        open_.add(key)
        children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        total = 1 + sum(size(child) for child in children)
        open_.discard(key)
        sizes[key] = total
        if total > MAX_EXPANDED_VALUES:
            problem = f"aliases expand to more than {MAX_EXPANDED_VALUES:,} values"
            raise _Stop
        return total

    try:
        size(document)
    except _Stop:
        pass
    except RecursionError:
        problem = "the YAML is nested too deeply to read"
    if problem:
        raise ConfigError(problem, file=file, line=_first_alias_line(text),
                          hint="write the values out, or use fewer nested aliases (`*name`)")


class _Stop(Exception):
    pass


def _first_alias_line(text: bytes | str) -> int | None:
    try:
        for token in yaml.scan(text, Loader=_Base):
            if isinstance(token, yaml.AliasToken):
                return int(token.start_mark.line) + 1
    except yaml.YAMLError:
        return None
    return None
