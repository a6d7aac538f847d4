"""A project's own file, `Pulumi.yaml` / `Pulumi.yml`: a change to it plans every stack of the
project (it holds `main:`, runtime options and config defaults), and removing it while the
program stays is an error, not a destroy of live stacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.foundation_repo import CliResult, GitFixture

from .helpers import by_id, stack_ids

PlanJson = Callable[..., dict[str, Any]]
MakeRepo = Callable[..., GitFixture]
RunCli = Callable[..., CliResult]


def test_a_pulumi_yaml_change_plans_every_stack_of_the_project(repo: GitFixture, plan_json: PlanJson) -> None:
    before = repo.sha("HEAD")
    repo.commit({"stacks/network/Pulumi.yaml": "name: network\nruntime:\n  name: python\n  options:\n"
                                               "    virtualenv: venv\n"})
    plan = plan_json(repo, "--event", "push", "--base", before, "--branch", "main")
    # Every environment main feeds, network's dependents too (as for any change to network).
    assert {s["environment"] for s in plan["stacks"]} == {"qa", "uat", "prod"}
    assert set(stack_ids(plan)) == {f"{p}/{e}" for p in ("network", "data", "app") for e in ("qa", "uat", "prod")}
    assert by_id(plan)["network/uat"]["reasons"][0] == "changed stacks/network/Pulumi.yaml"
    assert not any(s["stack"] == "yaml" for s in plan["stacks"]), "Pulumi.yaml is not the config of a stack `yaml`"


def test_a_pulumi_yml_main_change_plans_every_stack_of_that_project_only(
    make_repo: MakeRepo, plan_json: PlanJson
) -> None:
    repo = make_repo({
        "stacks/network/Pulumi.yaml": None,
        "stacks/network/Pulumi.yml": "name: network\nruntime: python\n",
        "stacks/audit/Pulumi.yaml": "name: audit\nruntime: python\n",
        "stacks/audit/__main__.py": "import pulumi\n",
    })
    before = repo.sha("HEAD")
    repo.commit({"stacks/audit/Pulumi.yaml": "name: audit\nruntime: python\nmain: src/\n"})
    plan = plan_json(repo, "--event", "push", "--base", before, "--branch", "develop")
    assert stack_ids(plan) == ["audit/dev"]
    assert by_id(plan)["audit/dev"]["reasons"] == ["changed stacks/audit/Pulumi.yaml"]

    before = repo.sha("HEAD")
    repo.commit({"stacks/network/Pulumi.yml": "name: network\nruntime: python\nconfig:\n  network:size: 2\n"})
    plan = plan_json(repo, "--event", "push", "--base", before, "--branch", "develop")
    assert stack_ids(plan) == ["network/dev", "data/dev", "app/dev"]
    assert by_id(plan)["network/dev"]["reasons"] == ["changed stacks/network/Pulumi.yml"]


def test_a_stack_config_file_still_maps_to_its_stack_only(repo: GitFixture, plan_json: PlanJson) -> None:
    before = repo.sha("HEAD")
    repo.commit({"stacks/network/Pulumi.qa.yaml": "config:\n  network:size: 2\n"})
    plan = plan_json(repo, "--event", "push", "--base", before, "--branch", "main")
    assert {s["environment"] for s in plan["stacks"]} == {"qa"}


def test_a_removed_pulumi_yaml_with_the_program_still_there_is_an_error_naming_the_file(
    repo: GitFixture, run_cli: RunCli
) -> None:
    before = repo.sha("HEAD")
    repo.commit({"stacks/data/Pulumi.yaml": None}, message="oops")
    result = run_cli("plan", "--repo", repo.path, "--event", "push", "--base", before, "--branch", "main")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "stacks/data/Pulumi.yaml: the project file was removed" in result.err
    assert "stacks/data/__main__.py" in result.err
    assert "destroy" not in result.out


def test_a_renamed_pulumi_yaml_with_the_program_still_there_is_an_error(repo: GitFixture, run_cli: RunCli) -> None:
    before = repo.sha("HEAD")
    repo.mv("stacks/app/Pulumi.yaml", "stacks/app/Pulumi.yaml.disabled")
    result = run_cli("plan", "--repo", repo.path, "--event", "push", "--base", before, "--branch", "main")
    assert result.code == 1
    assert "stacks/app/Pulumi.yaml: the project file was renamed to stacks/app/Pulumi.yaml.disabled" in result.err
    assert "restore stacks/app/Pulumi.yaml" in result.err


def test_a_deleted_project_directory_is_still_a_destroy(repo: GitFixture, plan_json: PlanJson) -> None:
    before = repo.sha("HEAD")
    repo.commit({"stacks/app": None}, message="retire app")
    plan = plan_json(repo, "--event", "push", "--base", before, "--branch", "develop")
    assert [(s["id"], s["operation"]) for s in plan["stacks"]] == [("app/dev", "destroy")]


def test_a_pulumi_yaml_removed_with_only_docs_left_is_a_destroy(repo: GitFixture, plan_json: PlanJson) -> None:
    repo.commit({"stacks/app/README.md": "the app\n"})
    before = repo.sha("HEAD")
    repo.commit({"stacks/app/Pulumi.yaml": None, "stacks/app/__main__.py": None}, message="retire app, keep notes")
    plan = plan_json(repo, "--event", "push", "--base", before, "--branch", "develop")
    assert [(s["id"], s["operation"]) for s in plan["stacks"]] == [("app/dev", "destroy")]
