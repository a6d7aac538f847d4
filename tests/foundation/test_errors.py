"""Bad input through the real CLI: exit 1, the file, key path and line, a hint, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.foundation_repo import CliResult, GitFixture

MakeRepo = Callable[..., GitFixture]
RunCli = Callable[..., CliResult]
CONSOLE_SCRIPT = Path(sys.executable).with_name("orchestrator")


def assert_user_error(result: CliResult, *fragments: str) -> None:
    assert result.code == 1, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    assert "internal error" not in result.err
    assert result.err.startswith("error: "), result.err
    assert "\nhint: " in result.err, result.err
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)


def plan_args(repo: GitFixture) -> tuple[str | Path, ...]:
    return ("plan", "--repo", repo.path, "--base", "main", "--branch", "main")


# (files written over the sample repository, fragments the error must show)
CONFIG_ERRORS = {
    "malformed YAML in an environment": (
        {"environments/qa.yaml": "branch: main\norder: [2\nrequires: []\n"},
        ["environments/qa.yaml:3: malformed YAML", "flow sequence at line 2"],
    ),
    "malformed YAML in orchestrator.yaml": (
        {"orchestrator.yaml": "watch:\n  - 'lib/**'\n projects: {}\n"},
        ["orchestrator.yaml:3: malformed YAML"],
    ),
    "malformed YAML in Pulumi.yaml": (
        {"stacks/app/Pulumi.yaml": "name: app\nruntime: python\n  description: [oops\n"},
        ["stacks/app/Pulumi.yaml:3: malformed YAML"],
    ),
    "unknown top-level key": (
        {"environments/qa.yaml": "branch: main\norder: 2\nbrnach: main\n"},
        ["environments/qa.yaml:3: brnach: unknown key"],
    ),
    "unknown nested key": (
        {"environments/uat.yaml": "branch: main\norder: 3\naws:\n  region: eu-west-1\n  regoin: x\n"},
        ["environments/uat.yaml:5: aws.regoin: unknown key"],
    ),
    "unknown key in orchestrator.yaml projects": (
        {"orchestrator.yaml": "projects:\n  app:\n    depend_on: [network]\n"},
        ["orchestrator.yaml:3: projects.app.depend_on: unknown key"],
    ),
    "unclosed bracket in a branch glob": (
        {"environments/qa.yaml": "order: 2\nbranch: 'release/[0-9'\n"},
        ["environments/qa.yaml:2: branch:", "unclosed '['"],
    ),
    "unclosed bracket in a watch glob": (
        {"orchestrator.yaml": "projects:\n  app:\n    watch:\n      - 'charts/[ab*.yaml'\n"},
        ["orchestrator.yaml:3: projects.app.watch:", "unclosed '['"],
    ),
    "watch glob with a leading ./": (
        {"orchestrator.yaml": "watch: ['./lib/**']\n"},
        ["orchestrator.yaml:1: watch:", "relative to the repository root"],
    ),
    "invalid cron": (
        {"environments/prod.yaml": "branch: main\norder: 4\ndrift:\n  schedule: 'every hour'\n"},
        ["environments/prod.yaml:4: drift.schedule:", "'every hour' is not a valid cron expression"],
    ),
    "Pulumi.yaml without name": (
        {"stacks/data/Pulumi.yaml": "runtime: python\ndescription: data stores\n"},
        ["stacks/data/Pulumi.yaml:1: name: required key is missing"],
    ),
    "Pulumi.yaml without runtime": (
        {"stacks/data/Pulumi.yaml": "name: data\n"},
        ["stacks/data/Pulumi.yaml:1: runtime: required key is missing"],
    ),
    "orchestrator.yaml names a project with no Pulumi.yaml": (
        {"orchestrator.yaml": "watch: []\nprojects:\n  network: {}\n  dns:\n    watch: ['zones/**']\n"},
        ["orchestrator.yaml:4: projects.dns:", "'dns' has no Pulumi.yaml", "stacks/dns/Pulumi.yaml"],
    ),
    "requires names an unknown environment": (
        {"environments/prod.yaml": "branch: main\norder: 4\nrequires:\n  - uat\n  - staging\n"},
        ["environments/prod.yaml:5: requires[1]:", "'staging'", "known environments: dev, prod, qa, uat"],
    ),
    "environment lists an unknown project": (
        {"environments/qa.yaml": "branch: main\nprojects: [network, cache]\n"},
        ["environments/qa.yaml:2: projects[1]:", "'cache'"],
    ),
    "project lists an unknown environment": (
        {"orchestrator.yaml": "projects:\n  app:\n    environments:\n      - dev\n      - stage\n"},
        ["orchestrator.yaml:5: projects.app.environments[1]:", "'stage'"],
    ),
    "unknown stack name placeholder": (
        {"environments/dev.yaml": "branch: develop\nstack_name: '{environment}'\n"},
        ["environments/dev.yaml:2: stack_name:", "{environment}"],
    ),
    "wrong value type": (
        {"environments/dev.yaml": "branch: develop\norder: first\n"},
        ["environments/dev.yaml:2: order:"],
    ),
    "top level is not a mapping": (
        {"environments/dev.yaml": "- branch: develop\n"},
        ["environments/dev.yaml:1:", "mapping"],
    ),
    "branch missing": (
        {"environments/dev.yaml": "order: 1\n"},
        ["environments/dev.yaml:1: branch: required key is missing"],
    ),
    "invalid environment file name": (
        {"environments/Dev Env.yaml": "branch: develop\n"},
        ["environments/Dev Env.yaml", "not valid"],
    ),
    "policy pack that is not a directory with PulumiPolicy.yaml": (
        {"orchestrator.yaml": "policy:\n  packs:\n    - path: policies/missing\n"},
        ["orchestrator.yaml:3: policy.packs[0].path:", "policies/missing/ is not a policy pack", "PulumiPolicy.yaml"],
    ),
    "policy pack path outside the repository": (
        {"environments/qa.yaml": "branch: main\npolicy:\n  packs:\n    - path: ../elsewhere\n"},
        ["environments/qa.yaml:4: policy.packs.0.path:", "inside the repository"],
    ),
    "policy pack config with an unknown enforcement level": (
        {
            "policies/guard/PulumiPolicy.yaml": "runtime: python\n",
            "orchestrator.yaml": "policy:\n  packs:\n    - path: policies/guard\n      config:\n"
            "        no-public-buckets: blocking\n",
        },
        ["orchestrator.yaml:5: policy.packs.0.config.no-public-buckets:", "'blocking' is not an enforcement level"],
    ),
    "policy pack for an unknown environment": (
        {
            "policies/guard/PulumiPolicy.yaml": "runtime: python\n",
            "orchestrator.yaml": "policy:\n  packs:\n    - path: policies/guard\n      environments: [qa, stage]\n",
        },
        ["orchestrator.yaml:4: policy.packs[0].environments[1]:", "'stage'", "known environments: dev, prod, qa, uat"],
    ),
    "two projects with one name": (
        {"stacks/network2/Pulumi.yaml": "runtime: python\nname: network\n"},
        ["stacks/network2/Pulumi.yaml:2: name:", "also used by stacks/network/Pulumi.yaml"],
    ),
}


@pytest.mark.parametrize("case", list(CONFIG_ERRORS), ids=list(CONFIG_ERRORS))
def test_configuration_error_in_the_head_commit(case: str, make_repo: MakeRepo, run_cli: RunCli) -> None:
    files, fragments = CONFIG_ERRORS[case]
    repo = make_repo(files)
    assert_user_error(run_cli(*plan_args(repo)), *fragments)


@pytest.mark.parametrize("command", ["environments", "projects"])
def test_configuration_error_in_the_working_tree(command: str, make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo()
    (repo.path / "environments/uat.yaml").write_text("branch: main\norder: 3\nrequire: [qa]\n")
    assert_user_error(run_cli(command, "--repo", repo.path), "environments/uat.yaml:3: require: unknown key")
    assert_user_error(
        run_cli("explain", "--repo", repo.path, "--branch", "main"), "environments/uat.yaml:3: require: unknown key"
    )


def test_plan_reads_the_head_commit_not_the_working_tree(repo: GitFixture, run_cli: RunCli) -> None:
    # A broken, uncommitted edit does not change the plan of committed history.
    (repo.path / "environments/uat.yaml").write_text("branch: [main\n")
    assert run_cli(*plan_args(repo)).code == 0


@pytest.mark.parametrize("option", ["--base", "--head"])
def test_unknown_ref(option: str, repo: GitFixture, run_cli: RunCli) -> None:
    args = ["plan", "--repo", repo.path, "--base", "main", "--branch", "main", option, "no-such-branch"]
    assert_user_error(run_cli(*args), "unknown Git ref 'no-such-branch'")


def test_unknown_before_sha_on_push(repo: GitFixture, run_cli: RunCli) -> None:
    missing = "1234567" * 5 + "89abc"
    result = run_cli("plan", "--repo", repo.path, "--event", "push", "--base", missing, "--branch", "main")
    assert_user_error(result, f"unknown Git ref '{missing}'")


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--base", "main", "--branch", "main"),
        ("environments",),
        ("projects", "--json"),
        ("explain", "--branch", "main"),
    ],
)
def test_not_a_git_repository(args: tuple[str, ...], tmp_path: Path, run_cli: RunCli) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "environments").mkdir()
    (plain / "environments/dev.yaml").write_text("branch: develop\n")
    assert_user_error(run_cli(*args, "--repo", plain), f"{plain} is not a Git repository", "--repo")


def test_missing_repository_directory(tmp_path: Path, run_cli: RunCli) -> None:
    assert_user_error(run_cli("environments", "--repo", tmp_path / "nowhere"), "is not a Git repository")


def test_detached_head_push_without_branch(repo: GitFixture, run_cli: RunCli) -> None:
    repo.checkout(repo.sha("HEAD"))
    result = run_cli("plan", "--repo", repo.path, "--event", "push")
    assert_user_error(result, "detached HEAD", "--branch")


def test_pr_base_with_no_common_history(repo: GitFixture, run_cli: RunCli) -> None:
    repo.git("checkout", "-q", "--orphan", "island")
    repo.commit({"README.md": "unrelated\n"}, message="island")
    result = run_cli("plan", "--repo", repo.path, "--base", "main", "--head", "island", "--branch", "main")
    assert_user_error(result, "no common ancestor")


def test_console_script_reports_bad_input_without_traceback(make_repo: MakeRepo) -> None:
    """The installed command in a child process: exit status 1 and the message on stderr."""
    repo = make_repo({"environments/qa.yaml": "branch: main\norder: 2\nbrnach: main\n"})
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), "plan", "--base", "main", "--branch", "main"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ},
        check=False,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "environments/qa.yaml:3: brnach: unknown key" in proc.stderr
    assert "hint:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_invalid_base_config_needed_for_a_destroy_names_the_base_commit(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo({"environments/qa.yaml": "branch: main\norder: 2\nbrnach: main\n"})
    base = repo.sha("HEAD")
    repo.branch("feature")
    repo.commit({"environments/qa.yaml": "branch: main\norder: 2\n", "stacks/data": None})
    result = run_cli(*plan_args(repo))
    assert_user_error(result, f"base commit {base[:12]}", "environments/qa.yaml:3: brnach: unknown key")


def test_subdirectory_of_the_repository_as_repo(repo: GitFixture, run_cli: RunCli) -> None:
    result = run_cli("projects", "--repo", repo.path / "stacks" / "app", "--json")
    assert result.code == 0, result.err
    assert [p["name"] for p in result.json()] == ["app", "data", "network"]
