"""The pure dependency graph on plain data: cycles, dependents, waves."""

from __future__ import annotations

import itertools

from orchestrator import graph

# network <- data <- app, network <- dns <- app: a diamond; audit stands alone.
DIAMOND = {"network": (), "data": ("network",), "dns": ("network",), "app": ("data", "dns"), "audit": ()}


def test_waves_put_each_node_one_after_its_deepest_dependency() -> None:
    assert graph.waves(DIAMOND) == {"network": 0, "audit": 0, "data": 1, "dns": 1, "app": 2}


def test_waves_ignore_dependencies_outside_the_graph() -> None:
    only_app_and_dns = graph.restrict(DIAMOND, ["app", "dns"])

    assert only_app_and_dns == {"app": ("dns",), "dns": ()}
    assert graph.waves(only_app_and_dns) == {"dns": 0, "app": 1}


def test_dependents_are_transitive_and_say_how_they_were_reached() -> None:
    assert graph.dependents(DIAMOND, ["network"]) == {"data": "network", "dns": "network", "app": "data"}
    assert graph.dependents(DIAMOND, ["app"]) == {}
    assert graph.dependents(DIAMOND, ["data", "dns"]) == {"app": "data"}


def test_an_acyclic_graph_has_no_cycle() -> None:
    assert graph.find_cycle(DIAMOND) is None


def test_a_cycle_is_returned_as_a_closed_path() -> None:
    edges = {**DIAMOND, "network": ("app",)}
    cycle = graph.find_cycle(edges)

    assert cycle is not None and cycle[0] == cycle[-1]
    assert set(cycle) in ({"network", "app", "data"}, {"network", "app", "dns"})
    # Every step of the path is an edge of the graph (a node depends on the next one).
    assert all(b in edges[a] for a, b in itertools.pairwise(cycle))


def test_reverse_lists_who_depends_on_each_node() -> None:
    users = graph.reverse(DIAMOND)

    assert sorted(users["network"]) == ["data", "dns"]
    assert users["app"] == [] and users["audit"] == []
