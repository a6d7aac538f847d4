"""A mixed-language repository (Go, TypeScript, C#, JavaScript, Pulumi YAML, Python, Java) whose
projects reference each other: dependencies are found in every language, shown with file:line,
and order the plan. Only discovery and planning are tested for the non-Python projects: the
local engine runs Python programs only, and the Pulumi CLI cannot run here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixtures import MONOREPO
from tests.support.foundation_repo import CliResult, GitFixture

MakeRepo = Callable[..., GitFixture]
RunCli = Callable[..., CliResult]
PlanJson = Callable[..., dict[str, Any]]


def _fixture_files() -> dict[str, str]:
    return {
        path.relative_to(MONOREPO).as_posix(): path.read_text()
        for path in sorted(MONOREPO.rglob("*"))
        if path.is_file() and path.name != "SOURCES.md"
    }


@pytest.fixture
def monorepo(make_repo: MakeRepo) -> GitFixture:
    return make_repo(_fixture_files(), base=False)


def _line_of(path: str, needle: str, *, comments: bool = False) -> int:
    lines = (MONOREPO / path).read_text().splitlines()
    return next(
        i for i, line in enumerate(lines, 1) if needle in line and (comments or not line.lstrip().startswith("//"))
    )


def test_dependencies_are_found_in_every_language(monorepo: GitFixture, run_cli: RunCli) -> None:
    result = run_cli("projects", "--repo", monorepo.path, "--json")
    assert result.code == 0, result.err
    projects = {p["name"]: p for p in result.json()}
    assert {name: p["depends_on"] for name, p in projects.items()} == {
        "app": ["cluster", "data"],  # the docstring naming billing does not count
        "billing": ["data"],  # the log message naming app does not count
        "cluster": ["network"],
        "data": ["network"],
        "dns": ["cluster"],
        "legacy": ["network"],  # org-less network/${stack}
        "network": [],  # the commented-out reference to app (a cycle) does not count
    }
    languages = {r["language"] for p in projects.values() for r in p["references"]}
    assert languages == {"Go", "TypeScript", "C#", "JavaScript", "Pulumi YAML", "Python", "Java"} - {"Go"}


def test_projects_shows_where_each_dependency_was_found(monorepo: GitFixture, run_cli: RunCli) -> None:
    result = run_cli("projects", "--repo", monorepo.path, "--json")
    references = {p["name"]: p["references"] for p in result.json()}
    cluster_line = _line_of("stacks/cluster/index.ts", "StackReference(")
    assert references["cluster"] == [
        {
            "project": "network",
            "file": "stacks/cluster/index.ts",
            "line": cluster_line,
            "language": "TypeScript",
            "name": "acme/network/{…}",
            "config": None,
        }
    ]
    dns_line = _line_of("stacks/dns/Pulumi.yaml", "cluster:")
    assert [(r["project"], r["line"]) for r in references["dns"]] == [("cluster", dns_line)]
    assert [(r["project"], r["file"]) for r in references["legacy"]] == [
        ("network", "stacks/legacy/index.js"),
        (None, "stacks/legacy/index.js"),  # config.require(...): known only at run time
    ]

    table = run_cli("projects", "--repo", monorepo.path)
    assert table.code == 0, table.err
    assert f"network (stacks/cluster/index.ts:{cluster_line})" in table.out
    java = "stacks/billing/src/main/java/billing/App.java"
    assert f"data ({java}:{_line_of(java, 'new StackReference(String.format')})" in table.out
    unresolved = _line_of("stacks/legacy/index.js", "sharedStack")
    assert f"note: stacks/legacy/index.js:{unresolved}: StackReference(config.require(\"sharedStack\"))" in table.out
    assert "known only when the program runs" in table.out


def test_a_change_to_the_go_network_plans_every_dependent_in_waves(monorepo: GitFixture, plan_json: PlanJson) -> None:
    monorepo.branch("feature")
    monorepo.commit({"stacks/network/main.go": (MONOREPO / "stacks/network/main.go").read_text() + "// v2\n"})
    plan = plan_json(monorepo, "--base", "main", "--branch", "main")
    assert plan["waves"] == [
        ["network/prod"],
        ["cluster/prod", "data/prod", "legacy/prod"],
        ["app/prod", "billing/prod", "dns/prod"],
    ]
    reasons = {s["id"]: s["reasons"] for s in plan["stacks"]}
    assert reasons["dns/prod"] == ["depends on cluster"]


def test_a_commented_out_reference_cannot_make_a_cycle(monorepo: GitFixture, run_cli: RunCli) -> None:
    main_go = (MONOREPO / "stacks/network/main.go").read_text()
    live = main_go.replace("// app, err := pulumi.NewStackReference", "app, err := pulumi.NewStackReference")
    monorepo.commit({"stacks/network/main.go": live})
    result = run_cli("plan", "--repo", monorepo.path, "--base", "HEAD~1", "--branch", "main")
    assert result.code == 1
    line = _line_of("stacks/network/main.go", "NewStackReference", comments=True)
    assert "network -> app: StackReference in stacks/network/main.go:" in result.err, result.err
    assert "cycle" in result.err and f"stacks/network/main.go:{line}" in result.err


def test_the_working_tree_and_a_commit_give_the_same_dependencies(monorepo: GitFixture, run_cli: RunCli) -> None:
    from orchestrator.config.load import load_repository
    from orchestrator.git import GitRepo

    worktree = load_repository(Path(monorepo.path))
    repo = GitRepo(Path(monorepo.path))
    committed = load_repository(Path(monorepo.path), repo.tree(repo.resolve("HEAD")))
    assert {n: p.stack_reference_sites for n, p in worktree.projects.items()} == {
        n: p.stack_reference_sites for n, p in committed.projects.items()
    }


def test_deleting_a_project_still_read_refuses_its_destroy(monorepo: GitFixture, plan_json: PlanJson) -> None:
    monorepo.branch("retire-network")
    monorepo.git("rm", "-r", "-q", "stacks/network")
    monorepo.commit(message="retire the network")
    plan = plan_json(monorepo, "--base", "main", "--branch", "main")
    destroy = next(s for s in plan["stacks"] if s["id"] == "network/prod")
    assert destroy["operation"] == "destroy"
    cluster = _line_of("stacks/cluster/index.ts", "StackReference(")
    data = _line_of("stacks/data/Program.cs", "StackReference(")
    legacy = _line_of("stacks/legacy/index.js", "StackReference(`network")
    assert destroy["refusal"] == (
        f"project network is deleted, but cluster (stacks/cluster/index.ts:{cluster}); "
        f"data (stacks/data/Program.cs:{data}); legacy (stacks/legacy/index.js:{legacy}) still read its outputs "
        "through StackReference: destroying its prod stack would break them. Remove those StackReferences in this "
        "change too, or keep the project."
    )


def test_deleting_a_project_with_its_readers_is_not_refused(monorepo: GitFixture, plan_json: PlanJson) -> None:
    monorepo.branch("retire-cluster")
    monorepo.git("rm", "-r", "-q", "stacks/cluster", "stacks/dns")
    monorepo.commit({"stacks/app/__main__.py": "import pulumi\n"}, message="retire the cluster and its readers")
    plan = plan_json(monorepo, "--base", "main", "--branch", "main")
    destroys = {s["id"]: s["refusal"] for s in plan["stacks"] if s["operation"] == "destroy"}
    assert destroys == {"cluster/prod": None, "dns/prod": None}
