"""Which projects each project's programs read through StackReferences, in every Pulumi language.

Lazy and bounded, so planning a repository of thousands of projects stays fast: one
`git grep` (or a read of the working tree) finds the files that contain the word
StackReference at all; only those are parsed, each with its own language's grammar, which is
imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from orchestrator.stackrefs.compiled import CSHARP, GO, JAVA
from orchestrator.stackrefs.dialect import Dialect
from orchestrator.stackrefs.names import shown, target
from orchestrator.stackrefs.parse import NEEDLE, Found, references_in
from orchestrator.stackrefs.pulumi_yaml import references_in_yaml
from orchestrator.stackrefs.script import JAVASCRIPT, PYTHON, TSX, TYPESCRIPT
from orchestrator.stackrefs.site import Source, StackReferenceSite
from orchestrator.stackrefs.stack_config import YAML_SUFFIXES, resolve_from_stack_config

DIALECTS: dict[str, Dialect] = {
    ext: d for d in (PYTHON, TYPESCRIPT, TSX, JAVASCRIPT, GO, CSHARP, JAVA) for ext in d.extensions
}
__all__ = ["SUFFIXES", "Source", "StackReferenceSite", "find_stack_references", "read_candidates",
           "sites_by_owner", "sites_in"]

SUFFIXES: tuple[str, ...] = (*DIALECTS, *YAML_SUFFIXES)
MAX_FILE_BYTES = 1 << 20  # larger files are generated code, not Pulumi programs: not parsed


def find_stack_references(
    source: Source,
    under: str,
    owner_of: Callable[[str], str | None],
    project_of: Callable[[str], str] | None = None,
) -> dict[str, tuple[StackReferenceSite, ...]]:
    """StackReference sites per project directory (`owner_of` maps a path to its project directory).

    References to a stack of the program's own project are left out: they add no dependency.
    With `project_of` (a project directory to its project's name), names read from the stack's
    configuration are resolved through the project's `Pulumi.<stack>.yaml` files.
    """
    sites = sites_by_owner(read_candidates(source, under), owner_of)
    return sites if project_of is None else resolve_from_stack_config(source, under, sites, project_of)


def read_candidates(source: Source, under: str) -> dict[str, bytes]:
    """The programs under `under` holding the word StackReference: the only files worth parsing.

    Only reads, so it can run while the caller does other work (config/load.py overlaps it with
    loading the environments and project files): it is mostly waiting for git."""
    return source.read_many(source.files_containing(under, NEEDLE.decode(), SUFFIXES))


def sites_by_owner(
    candidates: Mapping[str, bytes], owner_of: Callable[[str], str | None]
) -> dict[str, tuple[StackReferenceSite, ...]]:
    """The sites of `candidates` (path -> content) per owning project directory; files no project
    owns are not parsed."""
    owners = {path: owner for path in candidates if (owner := owner_of(path)) is not None}
    # One language after another, so each grammar's parse tables stay in the processor's caches:
    # taken in path order, files alternate between grammars and parse about a fifth slower.
    parsed = {path: sites_in(path, candidates[path]) for path in sorted(owners, key=_by_language)}
    sites: dict[str, list[StackReferenceSite]] = {}
    for path in sorted(owners):
        if parsed[path]:
            sites.setdefault(owners[path], []).extend(parsed[path])
    return {directory: tuple(found) for directory, found in sites.items()}


def _by_language(path: str) -> tuple[str, str]:
    return _suffix(path), path


def sites_in(path: str, text: bytes) -> list[StackReferenceSite]:
    """The StackReference sites of one file, by its extension; nothing for other files."""
    if NEEDLE not in text:
        return []
    suffix = _suffix(path)
    if suffix in YAML_SUFFIXES:
        language, found = "Pulumi YAML", references_in_yaml(text)
    elif suffix in DIALECTS:
        dialect = DIALECTS[suffix]
        if len(text) > MAX_FILE_BYTES:
            return [StackReferenceSite(path, 1, dialect.name, "", None, f"not read: over {MAX_FILE_BYTES:,} bytes")]
        language, found = dialect.name, references_in(text, dialect)
    else:
        return []
    return [site for f in found if (site := _site(path, language, f)) is not None]


def _suffix(path: str) -> str:
    return "." + path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""


def _site(path: str, language: str, found: Found) -> StackReferenceSite | None:
    resolved = target(found.pattern)
    if resolved.resolution == "own":
        return None
    return StackReferenceSite(
        file=path,
        line=found.line,
        language=language,
        name=shown(found.pattern),
        project=resolved.project,
        written=found.written,
        config_key=found.config_key if resolved.project is None else None,
    )
