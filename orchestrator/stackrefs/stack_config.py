"""StackReferences named by the stack's configuration, resolved from its `Pulumi.<stack>.yaml`.

The pattern of Pulumi's own examples: `StackReference(config.require("companyStack"))`, with
`pulumi config set companyStack acme/company/dev` writing `<project>:companyStack` into the
project's `Pulumi.dev.yaml`. The name is in the repository, so the project it reads is known
before the program runs: one site per project its stack files name (stacks may read
different ones). A key no stack file sets as plain text (unset, `secure:`, an object) leaves
the site unresolved, as before. The `Pulumi.yaml` project file is never a stack file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from orchestrator.errors import ConfigError
from orchestrator.stackrefs.names import literal, target
from orchestrator.stackrefs.site import Source, StackReferenceSite
from orchestrator.yamlfile import parse

STACK_FILE = re.compile(r"Pulumi\.([^/]+)\.ya?ml")
YAML_SUFFIXES = (".yaml", ".yml")


def resolve_from_stack_config(
    source: Source,
    under: str,
    sites: Mapping[str, Sequence[StackReferenceSite]],
    project_of: Callable[[str], str],
) -> dict[str, tuple[StackReferenceSite, ...]]:
    """`sites` (per project directory under `under`) with each config-named site resolved
    through the stack files of its project (`project_of`: a project directory to its name)."""
    keys = {
        directory: sorted({s.config_key for s in found if s.project is None and s.config_key})
        for directory, found in sites.items()
    }
    wanted = {directory for directory, named in keys.items() if named}
    if not wanted:
        return {directory: tuple(found) for directory, found in sites.items()}
    # One search for every stack file of the projects concerned (a git grep per project would
    # not scale to thousands of them).
    paths = [
        path
        for path in source.files_containing(under, "config", YAML_SUFFIXES)
        if _parent(path) in wanted and STACK_FILE.fullmatch(path.rsplit("/", 1)[-1])
    ]
    texts = source.read_many(sorted(paths))
    out: dict[str, tuple[StackReferenceSite, ...]] = {}
    for directory, found in sites.items():
        if directory not in wanted:
            out[directory] = tuple(found)
            continue
        stack_files = {path: text for path, text in texts.items() if _parent(path) == directory}
        values = stack_config_values(stack_files, project_of(directory), keys[directory])
        resolved: list[StackReferenceSite] = []
        for site in found:
            resolved.extend(_resolved(site, values.get(site.config_key or "", ())) if site.project is None else [site])
        out[directory] = tuple(resolved)
    return out


def stack_config_values(
    stack_files: Mapping[str, bytes], project: str, keys: Sequence[str]
) -> dict[str, tuple[tuple[str, str], ...]]:
    """Per key, the (stack file, plain string value) pairs of a project's stack files."""
    values: dict[str, list[tuple[str, str]]] = {}
    for path, text in sorted(stack_files.items()):
        try:
            document = parse(text, file=path)
        except ConfigError:
            continue  # not ours to validate: Pulumi says what is wrong with it when the stack runs
        config = document.get("config") if isinstance(document, dict) else None
        if not isinstance(config, dict):
            continue
        for key in keys:
            value = config.get(key if ":" in key else f"{project}:{key}")
            if isinstance(value, str) and value:
                values.setdefault(key, []).append((path, value))
    return {key: tuple(found) for key, found in values.items()}


def _resolved(site: StackReferenceSite, values: Sequence[tuple[str, str]]) -> list[StackReferenceSite]:
    named_by: list[StackReferenceSite] = []  # one per stack file: each says which project its stack reads
    own = False
    for path, value in values:
        named = target(literal(value))
        own = own or named.resolution == "own"
        if named.resolution == "project" and named.project is not None:
            named_by.append(replace(site, name=value, project=named.project, config_file=path))
    if named_by or own:  # a stack of the program's own project adds no dependency
        return named_by
    return [site]


def stack_of(site: StackReferenceSite) -> str | None:
    """The stack whose configuration named the site's project; None for a name in the source."""
    found = STACK_FILE.fullmatch(site.config_file.rsplit("/", 1)[-1]) if site.config_file else None
    return found.group(1) if found else None


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."
