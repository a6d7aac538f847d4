"""Pure dependency-graph helpers: cycles, transitive dependents, waves.

A graph maps each node to the nodes it depends on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

Graph = Mapping[str, Sequence[str]]


def restrict(graph: Graph, nodes: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The subgraph on `nodes`: edges to nodes outside it are dropped."""
    keep = set(nodes)
    return {n: tuple(d for d in graph.get(n, ()) if d in keep) for n in keep}


def find_cycle(graph: Graph) -> list[str] | None:
    """One dependency cycle as a closed path (first node repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(d for d in graph.get(start, ()) if d in graph))]
        path = [start]
        state[start] = 1
        while stack:
            node, pending = stack[-1]
            if not pending:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            nxt = pending.pop()
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(d for d in graph.get(nxt, ()) if d in graph)))
    return None


def reverse(graph: Graph) -> dict[str, list[str]]:
    users: dict[str, list[str]] = {n: [] for n in graph}
    for node, deps in graph.items():
        for dep in deps:
            users.setdefault(dep, []).append(node)
    return users


def dependents(graph: Graph, roots: Iterable[str]) -> dict[str, str]:
    """Every transitive dependent of `roots`, mapped to the node it was reached from."""
    users = reverse(graph)
    found: dict[str, str] = {}
    queue = list(roots)
    seen = set(queue)
    while queue:
        node = queue.pop(0)
        for user in sorted(users.get(node, ())):
            if user not in seen:
                seen.add(user)
                found[user] = node
                queue.append(user)
    return found


def waves(graph: Graph) -> dict[str, int]:
    """Wave of each node: 0 without dependencies, else one more than its deepest dependency.

    The graph must be acyclic (check with find_cycle first).
    """
    level: dict[str, int] = {}
    for start in graph:
        if start in level:
            continue
        stack = [start]
        while stack:
            node = stack[-1]
            deps = [d for d in graph.get(node, ()) if d in graph]
            missing = [d for d in deps if d not in level]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            level[node] = 1 + max((level[d] for d in deps), default=-1)
    return level
