"""YAML parsing that keeps line numbers for error messages.

Values are parsed with libyaml's safe loader when present (fast on thousands of files);
the node tree is composed again only when an error needs a line number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from orchestrator.errors import ConfigError

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: bytes, *, file: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        # Where the construct began (an unclosed `[` two lines up) is often the real mistake.
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None and (mark is None or context_mark.line != mark.line):
            problem += f" ({context} at line {context_mark.line + 1})"
        raise ConfigError(
            f"malformed YAML: {problem}",
            file=file,
            line=None if mark is None else mark.line + 1,
            hint="fix the YAML syntax (indentation, quotes, colons) at that line",
        ) from None


def line_of(text: bytes, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the key at `path` (or of its closest existing parent)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
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
