"""StackReferences in Pulumi YAML programs, read through the YAML loader (with line numbers).

```yaml
resources:
  network:
    type: pulumi:pulumi:StackReference
    properties:
      name: acme/network/${pulumi.stack}
```
Without `properties.name` the resource's name is the stack name, as in every SDK.
`${...}` interpolations are holes; `$${` is a literal `${`.
"""

from __future__ import annotations

import re

import yaml

from orchestrator.stackrefs import names
from orchestrator.stackrefs.names import HOLE, Pattern
from orchestrator.stackrefs.parse import MAX_WRITTEN_CHARS, Found

STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
_INTERPOLATION = re.compile(r"\$\$\{|\$\{[^}]*\}")
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def references_in_yaml(source: bytes) -> list[Found]:
    """Every StackReference resource of a Pulumi YAML program; nothing for other YAML files."""
    try:
        root = yaml.compose(source, Loader=_Loader)
    except yaml.YAMLError:
        return []  # not a program this scan can read; Pulumi itself reports the syntax error
    resources = _value(root, "resources")
    if not isinstance(resources, yaml.MappingNode):
        return []
    found: list[Found] = []
    for key, resource in resources.value:
        if _scalar(_value(resource, "type")) != STACK_REFERENCE_TYPE:
            continue
        name = _value(_value(resource, "properties"), "name")
        if name is None:
            name = key
        pattern = _pattern(name)
        found.append(Found(line=key.start_mark.line + 1, pattern=pattern, written=_written(name)))
    return found


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if _scalar(k) == key), None)


def _scalar(node: yaml.Node | None) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _pattern(node: yaml.Node) -> Pattern:
    text = _scalar(node)
    if text is None:
        return HOLE  # fn::join, fn::invoke...: computed when the program runs
    parts: list[Pattern] = []
    position = 0
    for found in _INTERPOLATION.finditer(text):
        parts.append(names.literal(text[position : found.start()]))
        parts.append(names.literal("${") if found.group(0) == "$${" else HOLE)
        position = found.end()
    parts.append(names.literal(text[position:]))
    return names.concat(parts)


def _written(node: yaml.Node) -> str:
    text = _scalar(node)
    shown = " ".join(text.split()) if text is not None else f"<{node.tag.rsplit(':', 1)[-1]}>"
    return shown if len(shown) <= MAX_WRITTEN_CHARS else shown[: MAX_WRITTEN_CHARS - 1] + "…"
