"""Dependencies between projects: explicit, found in StackReference calls, dependents, waves, cycles."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from tests.support.foundation_repo import CliResult, GitFixture

from .helpers import by_id, stack_ids

PlanJson = Callable[..., dict[str, Any]]
MakeRepo = Callable[..., GitFixture]
RunCli = Callable[..., CliResult]

NO_REFS = "import pulumi\n"


def _change(repo: GitFixture, path: str, branch: str = "feature") -> None:
    repo.branch(branch)
    repo.commit({path: f"import pulumi\n# changed on {branch}\n"})


def test_stack_reference_chain_pulls_in_dependents_with_reasons_and_waves(
    repo: GitFixture, plan_json: PlanJson
) -> None:
    _change(repo, "stacks/network/__main__.py")
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    stacks = by_id(plan)
    assert stack_ids(plan) == ["network/dev", "data/dev", "app/dev"]
    assert stacks["network/dev"]["reasons"] == ["changed stacks/network/__main__.py"]
    assert stacks["data/dev"]["reasons"] == ["depends on network"]  # literal StackReference
    assert stacks["app/dev"]["reasons"] == ["depends on data"]  # f-string with a literal project part
    assert [stacks[i]["wave"] for i in ("network/dev", "data/dev", "app/dev")] == [0, 1, 2]
    assert stacks["data/dev"]["depends_on"] == ["network/dev"]
    assert stacks["app/dev"]["depends_on"] == ["data/dev"]
    assert plan["waves"] == [["network/dev"], ["data/dev"], ["app/dev"]]


def test_explicit_depends_on(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo(
        {
            "orchestrator.yaml": "projects:\n  app:\n    depends_on: [network]\n",
            "stacks/app/__main__.py": NO_REFS,
            "stacks/data/__main__.py": NO_REFS,
        }
    )
    _change(repo, "stacks/network/__main__.py")
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    stacks = by_id(plan)
    assert set(stacks) == {"network/dev", "app/dev"}
    assert stacks["app/dev"]["reasons"] == ["depends on network"]
    assert stacks["app/dev"]["depends_on"] == ["network/dev"]
    assert stacks["app/dev"]["wave"] == stacks["network/dev"]["wave"] + 1


def test_fstring_with_placeholder_project_part_is_ignored(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo(
        {
            "stacks/data/__main__.py": NO_REFS,
            "stacks/app/__main__.py": 'import pulumi\nname = "network"\n'
            'ref = pulumi.StackReference(f"organization/{name}/{pulumi.get_stack()}")\n',
        }
    )
    _change(repo, "stacks/network/__main__.py")
    assert stack_ids(plan_json(repo, "--base", "main", "--branch", "develop")) == ["network/dev"]


def test_fstring_with_placeholder_org_and_stack_counts(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo(
        {
            "stacks/data/__main__.py": NO_REFS,
            "stacks/app/__main__.py": "import pulumi\norg = 'acme'\n"
            "ref = pulumi.StackReference(name=f'{org}/network/{pulumi.get_stack()}')\n",
        }
    )
    _change(repo, "stacks/network/__main__.py")
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    assert stack_ids(plan) == ["network/dev", "app/dev"]
    assert by_id(plan)["app/dev"]["reasons"] == ["depends on network"]


def test_stack_reference_in_another_python_file_of_the_project_counts(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo(
        {
            "stacks/data/__main__.py": NO_REFS,
            "stacks/app/__main__.py": "import refs\n",
            "stacks/app/refs.py": "import pulumi\nNET = pulumi.StackReference('organization/network/prod')\n",
        }
    )
    _change(repo, "stacks/network/__main__.py")
    assert stack_ids(plan_json(repo, "--base", "main", "--branch", "develop")) == ["network/dev", "app/dev"]


def test_push_runs_environments_one_after_another_in_order(repo: GitFixture, plan_json: PlanJson) -> None:
    repo.commit({"stacks/network/__main__.py": "import pulumi\n# v2\n"})
    plan = plan_json(repo, "--event", "push", "--branch", "main")
    assert plan["waves"] == [
        ["network/qa"],
        ["data/qa"],
        ["app/qa"],
        ["network/uat"],
        ["data/uat"],
        ["app/uat"],
        ["network/prod"],
        ["data/prod"],
        ["app/prod"],
    ]
    assert {s["operation"] for s in plan["stacks"]} == {"update"}
    assert by_id(plan)["data/uat"]["depends_on"] == ["network/uat"]  # within its environment only


def test_pr_previews_environments_side_by_side(repo: GitFixture, plan_json: PlanJson) -> None:
    _change(repo, "stacks/network/__main__.py")
    plan = plan_json(repo, "--base", "main", "--branch", "main")
    assert [sorted(w) for w in plan["waves"]] == [
        ["network/prod", "network/qa", "network/uat"],
        ["data/prod", "data/qa", "data/uat"],
        ["app/prod", "app/qa", "app/uat"],
    ]
    assert {s["operation"] for s in plan["stacks"]} == {"preview"}


def test_independent_changed_projects_share_a_wave(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo({"stacks/data/__main__.py": NO_REFS, "stacks/app/__main__.py": NO_REFS})
    repo.branch("feature")
    repo.commit({"stacks/network/__main__.py": "# 2\n", "stacks/app/__main__.py": "# 2\n"})
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    assert plan["waves"] == [["app/dev", "network/dev"]]


def test_push_respects_requires_even_against_order(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    # uat has the lower order but requires qa: the same commit must succeed in qa first.
    repo = make_repo(
        {
            "environments/qa.yaml": "branch: main\norder: 5\n",
            "environments/uat.yaml": "branch: main\norder: 3\nrequires: [qa]\n",
            "environments/prod.yaml": "branch: main\norder: 9\nrequires: [uat]\n",
        }
    )
    repo.commit({"stacks/app/__main__.py": "import pulumi\n# v2\n"})
    plan = plan_json(repo, "--event", "push", "--branch", "main")
    assert plan["environments"] == ["qa", "uat", "prod"]
    assert plan["waves"] == [["app/qa"], ["app/uat"], ["app/prod"]]


def test_dependency_cycle_is_an_error_naming_the_cycle(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo({"orchestrator.yaml": "projects:\n  network:\n    depends_on: [app]\n"})
    _change(repo, "stacks/network/__main__.py")
    result = run_cli("plan", "--repo", repo.path, "--base", "main", "--branch", "develop")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "cycle" in result.err
    # app -> data -> network -> app, starting anywhere on the loop.
    loop = ["app", "data", "network"]
    named = result.err.split("cycle:", 1)[1].split(" (", 1)[0].strip().split(" -> ")
    assert named[0] == named[-1]
    assert sorted(named[:-1]) == loop
    for a, b in itertools.pairwise(named):
        assert (a, b) in {("app", "data"), ("data", "network"), ("network", "app")}
    # Each edge says where it was declared, so the user knows what to edit.
    assert "network -> app: depends_on in orchestrator.yaml" in result.err
    assert "app -> data: StackReference in stacks/app/" in result.err
    assert "hint:" in result.err


def test_cycle_of_stack_references_alone(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(
        {"stacks/network/__main__.py": 'import pulumi\nref = pulumi.StackReference("organization/data/dev")\n'}
    )
    result = run_cli("plan", "--repo", repo.path, "--base", "main", "--branch", "develop")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "cycle: data -> network -> data" in result.err
    assert "network -> data: StackReference in stacks/network/" in result.err
    assert "orchestrator.yaml" not in result.err.splitlines()[0]  # there is no such file here


def test_depends_on_naming_no_project_is_an_error(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo({"orchestrator.yaml": "projects:\n  app:\n    depends_on:\n      - network\n      - netwrok\n"})
    result = run_cli("plan", "--repo", repo.path, "--base", "main", "--branch", "develop")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "orchestrator.yaml:5" in result.err
    assert "projects.app.depends_on[1]" in result.err
    assert "'netwrok'" in result.err
    assert "hint:" in result.err


def test_environments_requiring_each_other_is_an_error(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo({"environments/qa.yaml": "branch: main\norder: 2\nrequires: [prod]\n"})
    result = run_cli("plan", "--repo", repo.path, "--base", "main", "--branch", "main")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "cycle" in result.err
    for env in ("qa", "uat", "prod"):
        assert env in result.err.split("cycle:", 1)[1].splitlines()[0]
    assert "hint:" in result.err


def test_commented_out_stack_reference_makes_no_dependency_or_cycle(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo(
        {"stacks/network/__main__.py": 'import pulumi\n# app = pulumi.StackReference("organization/app/dev")\n'}
    )
    _change(repo, "stacks/app/__main__.py")
    assert stack_ids(plan_json(repo, "--base", "main", "--branch", "develop")) == ["app/dev"]
