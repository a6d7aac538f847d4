"""The package's import structure: no import cycles, and imports only go down the layers.

Built with grimp (the graph behind import-linter) from the source, so lazy imports inside
functions and `TYPE_CHECKING` imports count too: a cycle hidden behind a lazy import is
still a cycle. Each failure names the modules and the line that makes it.

`LAYERS` is the table in docs/architecture.md (a test below keeps them the same): change both together.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp
import pytest

PACKAGE = "orchestrator"
ARCHITECTURE_DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"

# Highest first. A layer may import the layers below it, and its own members as long as that
# makes no cycle; never a layer above it. Names are relative to `orchestrator`.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "entry points",
        (
            "__main__",
            "cli",
            "demo",
            "docs_gen",
        ),
    ),
    ("server", ("server",)),
    ("use cases", ("flows", "init")),
    (
        "core",
        (
            "planner",
            "converge",
            "deletions",
            "referenced",
            "chain",
            "execute",
            "engines",
            "drift",
            "store",
            "report",
            "vcs",
            "ci",
            "config",
            "git",
            "sandbox",
            "sandbox_gaps",
            "insights",
            "alerts",
            "policy",
            "stackrefs",
        ),
    ),
    ("foundation",
     ("models", "errors", "redact", "globs", "graph", "fsutil", "templating", "names", "yamlfile", "slack")),
)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, cache_dir=None)


def test_every_top_level_module_has_a_layer(graph: grimp.ImportGraph) -> None:
    placed = {f"{PACKAGE}.{name}" for _, members in LAYERS for name in members}
    unplaced = sorted(graph.find_children(PACKAGE) - placed)
    assert not unplaced, (
        f"{', '.join(unplaced)} belong(s) to no layer: add each to LAYERS in {__name__} and to the layer "
        "table in docs/architecture.md"
    )


def test_imports_only_go_down_the_layers(graph: grimp.ImportGraph) -> None:
    layers = tuple(grimp.Layer(*members, independent=False) for _, members in LAYERS)
    illegal = graph.find_illegal_dependencies_for_layers(layers=layers, containers={PACKAGE})
    problems = []
    for dependency in sorted(illegal, key=lambda d: (d.importer, d.imported)):
        for route in dependency.routes:
            heads, tails = sorted(route.heads), sorted(route.tails)
            chain = [heads[0], *route.middle, tails[0]]
            problems.append(f"{dependency.importer} imports {dependency.imported}, a higher layer: "
                            + " -> ".join(chain) + _where(graph, chain))
    assert not problems, "\n".join(problems)


def test_no_import_cycle_between_packages(graph: grimp.ImportGraph) -> None:
    """At every level: the subpackages and modules of one package never import each other in a circle."""
    problems = []
    for package in sorted(_packages(graph)):
        children = graph.find_children(package)
        edges = {child: {other for other in children if other != child and _depends(graph, child, other)}
                 for child in children}
        cycle = find_cycle(edges)
        if cycle:
            problems.append(f"cycle in {package}: " + " -> ".join(cycle) + "\n  " + "\n  ".join(
                _witness(graph, a, b) for a, b in itertools.pairwise(cycle)))
    assert not problems, "\n".join(problems)


def test_no_import_cycle_between_modules(graph: grimp.ImportGraph) -> None:
    """Two modules never import each other, directly or through others (a package importing
    its own submodules, as an `__init__` re-exporting them does, is not a cycle)."""
    edges = {module: {imported for imported in graph.find_modules_directly_imported_by(module)
                      if not imported.startswith(module + ".")}
             for module in graph.modules}
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ()) + "\n  " + "\n  ".join(
        _witness(graph, a, b) for a, b in itertools.pairwise(cycle or ()))


def test_the_layers_are_the_ones_docs_architecture_md_lists() -> None:
    text = ARCHITECTURE_DOC.read_text(encoding="utf-8")
    table = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    documented = {
        row[0]: sorted(re.findall(r"`([^`]+)`", row[1]))
        for row in (line.strip("|").split("|") for line in table.splitlines() if line.startswith("| "))
        if len(row) == 2 and row[0].strip() != "layer"
    }
    documented = {name.strip(): modules for name, modules in documented.items()}  # cells keep their padding
    assert documented == {name: sorted(members) for name, members in LAYERS}
    assert list(documented) == [name for name, _ in LAYERS], "highest layer first, in both"


# ---------------------------------------------------------------------- the check itself is tested
def test_find_cycle_finds_a_cycle_and_only_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) in (["a", "b", "c", "a"], ["b", "c", "a", "b"],
                                                                  ["c", "a", "b", "c"])
    assert find_cycle({"a": {"a"}}) is None  # a module importing itself is no cycle between two


def test_the_checks_fail_on_a_cycle_and_an_upward_import(graph: grimp.ImportGraph) -> None:
    """The graph with one extra import (redact importing a flow) breaks both rules: proof the
    tests above can fail."""
    graph.add_import(importer=f"{PACKAGE}.redact", imported=f"{PACKAGE}.flows.deploy", line_number=1,
                     line_contents="from orchestrator.flows.deploy import run_deploy")
    try:
        with pytest.raises(AssertionError, match=r"redact imports orchestrator\.flows"):
            test_imports_only_go_down_the_layers(graph)
        with pytest.raises(AssertionError, match=r"cycle in orchestrator: .*orchestrator\.redact"):
            test_no_import_cycle_between_packages(graph)
    finally:
        graph.remove_import(importer=f"{PACKAGE}.redact", imported=f"{PACKAGE}.flows.deploy")


# ---------------------------------------------------------------------- helpers
def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One cycle of the directed graph `edges` (node -> nodes it points to) as a closed path, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if target == node:
                continue
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def _packages(graph: grimp.ImportGraph) -> set[str]:
    return {module for module in graph.modules if graph.find_children(module)}


def _subtree(graph: grimp.ImportGraph, module: str) -> set[str]:
    return {module, *graph.find_descendants(module)} if graph.find_children(module) else {module}


def _depends(graph: grimp.ImportGraph, importer: str, imported: str) -> bool:
    targets = _subtree(graph, imported)
    return any(graph.find_modules_directly_imported_by(m) & targets for m in _subtree(graph, importer))


def _witness(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    """One import that makes `importer` (a module or package) depend on `imported`, with its line."""
    targets = _subtree(graph, imported)
    for module in sorted(_subtree(graph, importer)):
        for target in sorted(graph.find_modules_directly_imported_by(module) & targets):
            return f"{module} -> {target}" + _where(graph, [module, target])
    return f"{importer} -> {imported}"


def _where(graph: grimp.ImportGraph, chain: list[str]) -> str:
    if len(chain) < 2:
        return ""
    details = graph.get_import_details(importer=chain[0], imported=chain[1])
    return f" (line {details[0]['line_number']}: {details[0]['line_contents']})" if details else ""
