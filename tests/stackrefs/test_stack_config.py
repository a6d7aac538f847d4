"""StackReferences named by the stack's configuration (`StackReference(config.require("orgStack"))`,
the value set in the project's `Pulumi.<stack>.yaml`) are dependencies known before the program
runs: found, shown with the stack file that named them, and ordering the plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.foundation_repo import CliResult, GitFixture

MakeRepo = Callable[..., GitFixture]
RunCli = Callable[..., CliResult]
PlanJson = Callable[..., dict[str, Any]]

READER = '''import pulumi

config = pulumi.Config()
org = pulumi.StackReference(config.require("orgStack"))
unit_name = config.get("unitStack")
unit = pulumi.StackReference(unit_name)
pulumi.export("label", pulumi.Output.concat(org.get_output("name"), "/", unit.get_output("name")))
'''
TS_READER = '''import * as pulumi from "@pulumi/pulumi";
const cfg = new pulumi.Config();
const org = new pulumi.StackReference(cfg.require("orgStack"));
export const name = org.getOutput("name");
'''
FILES = {
    "environments/dev.yaml": "branch: main\n",
    "stacks/org/Pulumi.yaml": "name: org\nruntime: python\n",
    "stacks/org/__main__.py": "import pulumi\npulumi.export('name', 'acme')\n",
    "stacks/org/Pulumi.dev.yaml": "config:\n  org:title: ACME\n",
    "stacks/unit/Pulumi.yaml": "name: unit\nruntime: python\n",
    "stacks/unit/__main__.py": "import pulumi\npulumi.export('name', 'eng')\n",
    "stacks/reader/Pulumi.yaml": "name: reader\nruntime: python\n",
    "stacks/reader/__main__.py": READER,
    "stacks/reader/Pulumi.dev.yaml": (
        "config:\n  reader:orgStack: organization/org/dev\n  reader:unitStack: unit/dev\n"
    ),
    "stacks/web/Pulumi.yaml": "name: web\nruntime: nodejs\n",
    "stacks/web/index.ts": TS_READER,
    "stacks/web/Pulumi.dev.yaml": "config:\n  web:orgStack: acme/org/dev\n",
}


def test_config_named_references_are_dependencies(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(FILES, base=False)
    result = run_cli("projects", "--repo", repo.path, "--json")
    assert result.code == 0, result.err
    projects = {p["name"]: p for p in result.json()}
    assert projects["reader"]["depends_on"] == ["org", "unit"]
    assert projects["web"]["depends_on"] == ["org"]
    assert [(r["project"], r["line"], r["name"], r["config"]) for r in projects["reader"]["references"]] == [
        ("org", 4, "organization/org/dev", "stacks/reader/Pulumi.dev.yaml"),
        ("unit", 6, "unit/dev", "stacks/reader/Pulumi.dev.yaml"),
    ]

    table = run_cli("projects", "--repo", repo.path)
    assert "stacks/reader/__main__.py:4 (orgStack in Pulumi.dev.yaml)" in " ".join(table.out.split())
    assert "known only when the program runs" not in table.out


def test_a_change_upstream_plans_the_config_named_reader_after_it(
    make_repo: MakeRepo, plan_json: PlanJson
) -> None:
    repo = make_repo(FILES, base=False)
    repo.branch("feature")
    repo.commit({"stacks/org/__main__.py": "import pulumi\npulumi.export('name', 'acme-2')\n"})
    plan = plan_json(repo, "--base", "main", "--branch", "main")
    assert plan["waves"] == [["org/dev"], ["reader/dev", "web/dev"]]


def test_a_key_no_stack_file_sets_in_plain_text_stays_unresolved(make_repo: MakeRepo, run_cli: RunCli) -> None:
    files = dict(FILES)
    files["stacks/reader/Pulumi.dev.yaml"] = "config:\n  reader:orgStack:\n    secure: v1:abc:def\n"
    repo = make_repo(files, base=False)
    projects = {p["name"]: p for p in run_cli("projects", "--repo", repo.path, "--json").json()}
    assert projects["reader"]["depends_on"] == []
    table = run_cli("projects", "--repo", repo.path)
    assert 'StackReference(config.require("orgStack")): the project it reads is known only' in table.out


def test_init_keeps_the_project_a_stack_file_names(make_repo: MakeRepo, run_cli: RunCli) -> None:
    files = {k: v for k, v in FILES.items() if not k.startswith("environments/")}
    files["stacks/reader/Pulumi.prod.yaml"] = "config:\n  reader:orgStack: organization/org/prod\n"
    files["stacks/web/Pulumi.prod.yaml"] = "config:\n  web:orgStack: web-prod\n"  # a stack of its own project
    repo = make_repo(files, base=False)
    result = run_cli("init", "--repo", repo.path, "--ci", "none", "--dry-run")
    assert result.code == 0, result.err
    text = " ".join(result.out.split())
    assert "named only at run time" not in text
    assert (
        "environment prod: org kept without a Pulumi.prod.yaml: reader reads it "
        "(StackReference at stacks/reader/__main__.py:4 (orgStack in Pulumi.prod.yaml))"
    ) in text
