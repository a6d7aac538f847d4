"""What the commands print: plan as JSON, matrix and text; environments, projects, explain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.foundation_repo import CliResult, GitFixture

PlanJson = Callable[..., dict[str, Any]]
MakeRepo = Callable[..., GitFixture]
RunCli = Callable[..., CliResult]

PLAN_KEYS = ["base", "head", "branch", "event", "environments", "changed_files", "stacks", "waves", "notes", "current"]
STACK_KEYS = [
    "id", "project", "environment", "stack", "directory", "operation", "wave", "depends_on", "reasons", "refusal",
]
CONSOLE_SCRIPT = Path(sys.executable).with_name("orchestrator")


def _feature(repo: GitFixture) -> str:
    repo.branch("feature")
    return repo.commit({"stacks/network/__main__.py": "import pulumi\n# v2\n"})


def test_plan_json_has_exactly_the_documented_keys_and_types(repo: GitFixture, plan_json: PlanJson) -> None:
    head = _feature(repo)
    plan = plan_json(repo, "--base", "main", "--branch", "main")
    assert list(plan) == PLAN_KEYS
    assert plan["head"] == head
    assert plan["base"] == repo.sha("main")
    assert plan["branch"] == "main"
    assert plan["event"] == "pr"
    assert plan["changed_files"] == ["stacks/network/__main__.py"]
    assert len(plan["stacks"]) == 9
    for stack in plan["stacks"]:
        assert list(stack) == STACK_KEYS
        assert stack["id"] == f"{stack['project']}/{stack['environment']}"
        assert stack["operation"] in ("preview", "update", "destroy")
        assert isinstance(stack["wave"], int)
        assert all(isinstance(d, str) for d in stack["depends_on"])
        assert stack["reasons"] and all(isinstance(r, str) for r in stack["reasons"])
    assert plan["stacks"][0] == {
        "id": "network/qa",
        "project": "network",
        "environment": "qa",
        "stack": "qa",
        "directory": "stacks/network",
        "operation": "preview",
        "wave": 0,
        "depends_on": [],
        "reasons": ["changed stacks/network/__main__.py"],
        "refusal": None,
    }
    # waves list every stack once, in wave order, consistent with each stack's wave
    flat = [i for wave in plan["waves"] for i in wave]
    assert sorted(flat) == sorted(s["id"] for s in plan["stacks"])
    for index, wave in enumerate(plan["waves"]):
        assert {s["wave"] for s in plan["stacks"] if s["id"] in wave} == {index}


def test_plan_matrix_for_ci(repo: GitFixture, run_cli: RunCli) -> None:
    _feature(repo)
    result = run_cli("plan", "--repo", repo.path, "--base", "main", "--branch", "develop", "--format", "matrix")
    assert result.code == 0, result.err
    assert result.json() == {
        "include": [
            {"stack": "network/dev", "project": "network", "environment": "dev", "wave": 0},
            {"stack": "data/dev", "project": "data", "environment": "dev", "wave": 1},
            {"stack": "app/dev", "project": "app", "environment": "dev", "wave": 2},
        ]
    }


def test_branch_no_environment_tracks_is_not_an_error(repo: GitFixture, run_cli: RunCli) -> None:
    _feature(repo)
    args = ("plan", "--repo", repo.path, "--base", "main", "--branch", "experiment")
    text = run_cli(*args)
    assert text.code == 0, text.err
    assert "no environment tracks branch experiment" in text.out
    as_json = run_cli(*args, "--format", "json")
    assert as_json.code == 0, as_json.err
    plan = as_json.json()
    assert list(plan) == PLAN_KEYS
    assert plan["environments"] == []
    assert plan["stacks"] == []
    assert plan["waves"] == []
    assert plan["branch"] == "experiment"
    assert plan["changed_files"] == ["stacks/network/__main__.py"]
    matrix = run_cli(*args, "--format", "matrix")
    assert matrix.code == 0
    assert matrix.json() == {"include": []}


def test_plan_text_shows_waves_operations_and_reasons(repo: GitFixture, run_cli: RunCli) -> None:
    _feature(repo)
    result = run_cli("plan", "--repo", repo.path, "--base", "main", "--branch", "develop")
    assert result.code == 0, result.err
    out = result.out
    assert "branch develop" in out
    assert "dev (rule `develop` in environments/dev.yaml)" in out
    assert out.index("Wave 0") < out.index("network/dev") < out.index("Wave 1") < out.index("data/dev")
    assert out.index("Wave 2") < out.index("app/dev")
    assert "changed stacks/network/__main__.py" in out
    assert "depends on network" in out
    assert "(after network/dev)" in out


def test_plan_text_prints_globs_and_paths_with_brackets_verbatim(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(
        {
            "environments/dev.yaml": "branch: 'develop[0-9]'\n",
            "orchestrator.yaml": "projects:\n  app:\n    watch: ['charts/[ab]*.yaml']\n",
        }
    )
    repo.branch("feature")
    repo.commit({"charts/a1.yaml": "x: 1\n", "stacks/network/[bold]notes.py": "# odd name\n"})
    result = run_cli("plan", "--repo", repo.path, "--base", "main", "--branch", "develop1")
    assert result.code == 0, result.err
    assert "rule `develop[0-9]`" in result.out
    assert "watch `charts/[ab]*.yaml`" in result.out
    assert "stacks/network/[bold]notes.py" in result.out


def test_environments_json_and_table(repo: GitFixture, run_cli: RunCli) -> None:
    result = run_cli("environments", "--repo", repo.path, "--json")
    assert result.code == 0, result.err
    envs = result.json()
    assert [e["name"] for e in envs] == ["dev", "qa", "uat", "prod"]
    prod = envs[-1]
    assert prod["branch"] == ["main"]
    assert prod["order"] == 4
    assert prod["requires"] == ["uat"]
    assert prod["protected"] is True
    assert prod["approvals"] == 1
    assert prod["source"] == "environments/prod.yaml"
    assert envs[0]["projects"] is None
    table = run_cli("environments", "--repo", repo.path)
    assert table.code == 0, table.err
    rows = [line for line in table.out.splitlines() if "prod" in line]
    assert rows and "main" in rows[0] and "uat" in rows[0] and "protected" in rows[0]


def test_projects_json_and_table(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(
        {
            "orchestrator.yaml": "projects:\n  network:\n    watch: ['policies/**']\n"
            "  app:\n    environments: [dev]\n    depends_on: [network]\n"
        }
    )
    result = run_cli("projects", "--repo", repo.path, "--json")
    assert result.code == 0, result.err
    projects = {p["name"]: p for p in result.json()}
    assert sorted(projects) == ["app", "data", "network"]
    assert projects["app"]["directory"] == "stacks/app"
    assert projects["app"]["depends_on"] == ["network", "data"]
    assert projects["app"]["explicit_depends_on"] == ["network"]
    assert projects["app"]["stack_references"] == ["data"]
    assert projects["app"]["environments"] == ["dev"]
    assert projects["data"]["depends_on"] == ["network"]
    assert projects["network"]["watch"] == ["policies/**"]
    assert projects["network"]["environments"] == ["dev", "prod", "qa", "uat"]
    table = run_cli("projects", "--repo", repo.path)
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    app = next(n for n, line in enumerate(lines) if "stacks/app" in line)
    assert "network" in lines[app] and "dev" in lines[app]
    assert "data" in lines[app + 1], "one dependency a line"


def test_explain_branch_lists_environments_in_order_with_rules(repo: GitFixture, run_cli: RunCli) -> None:
    result = run_cli("explain", "--repo", repo.path, "--branch", "main")
    assert result.code == 0, result.err
    out = result.out
    assert "qa (order 2): rule `main` in environments/qa.yaml" in out
    assert "uat (order 3): rule `main` in environments/uat.yaml [requires qa]" in out
    assert "prod (order 4)" in out and "protected, 1 approval(s)" in out
    assert out.index("qa (order") < out.index("uat (order") < out.index("prod (order")


def test_explain_with_a_path_names_the_project_and_dependents(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo({"orchestrator.yaml": "watch: ['lib/**']\n"})
    result = run_cli("explain", "--repo", repo.path, "--branch", "develop", "--path", "stacks/network/__main__.py")
    assert result.code == 0, result.err
    out = result.out
    assert "in project directory of: network" in out
    assert "network: changed stacks/network/__main__.py" in out
    assert "data: depends on network" in out
    assert "app: depends on data" in out
    watched = run_cli("explain", "--repo", repo.path, "--branch", "develop", "--path", "lib/naming.py")
    assert "in project directory of: no project" in watched.out
    assert "app: lib/naming.py matches repo-wide watch `lib/**`" in watched.out
    env_file = run_cli("explain", "--repo", repo.path, "--branch", "main", "--path", "environments/uat.yaml")
    uat = env_file.out.split("\nuat:", 1)[1].split("\nprod:", 1)[0]
    assert "network: environments/uat.yaml changed" in uat
    assert env_file.out.split("\nqa:", 1)[1].split("\nuat:", 1)[0].strip() == "no stack affected"


def test_explain_untracked_branch(repo: GitFixture, run_cli: RunCli) -> None:
    result = run_cli("explain", "--repo", repo.path, "--branch", "nope")
    assert result.code == 0
    assert "no environment tracks branch nope" in result.out
    assert "dev: develop" in result.out


def test_console_script_end_to_end(repo: GitFixture) -> None:
    """The installed `orchestrator` command itself, in a child process, run inside the repository."""
    _feature(repo)
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), "plan", "--base", "main", "--branch", "develop", "--format", "json"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ},
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert [s["id"] for s in json.loads(proc.stdout)["stacks"]] == ["network/dev", "data/dev", "app/dev"]


def test_tables_print_bracket_globs_verbatim(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(
        {
            "environments/dev.yaml": "branch: 'develop[0-9]'\n",
            "orchestrator.yaml": "projects:\n  app:\n    watch: ['charts/[ab]*.yaml']\n",
        }
    )
    assert "develop[0-9]" in run_cli("environments", "--repo", repo.path).out
    assert "charts/[ab]*.yaml" in run_cli("projects", "--repo", repo.path).out
    assert "rule `develop[0-9]`" in run_cli("explain", "--repo", repo.path, "--branch", "develop7").out

def test_tables_never_cut_names_short(make_repo: MakeRepo, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Long project names (Pulumi's examples: aws-py-stackreference-company, -department, -team)
    all read `aws-py-stackrefer…` in an 80-column table: which row is which was lost."""
    monkeypatch.setenv("COLUMNS", "80")  # rich's width for a pipe or a CI log
    names = ("acme-platform-stackreference-company", "acme-platform-stackreference-department")
    files: dict[str, str | None] = {
        f"stacks/{name}/Pulumi.yaml": f"name: {name}\nruntime: python\n" for name in names
    }
    files["environments/a-long-environment-name-for-production.yaml"] = "branch: release/customer-facing-prod\n"
    repo = make_repo(files)
    projects = run_cli("projects", "--repo", repo.path)
    assert projects.code == 0, projects.err
    rows = projects.out.splitlines()
    for name in names:
        assert any(name in row and f"stacks/{name}" in row for row in rows), projects.out
    environments = run_cli("environments", "--repo", repo.path)
    assert "a-long-environment-name-for-production" in environments.out
    assert "release/customer-facing-prod" in environments.out
    assert "…" not in projects.out + environments.out
