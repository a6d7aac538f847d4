"""`orchestrator init` on repositories shaped like real ones: what it detects, proposes and writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from orchestrator.cli.init import init as init_command
from orchestrator.config import load_repository
from orchestrator.errors import UserError
from orchestrator.init import InitOptions, gitlab_branch_regex, run_init
from tests.support.gitrepo import git
from tests.support.init_repos import MakeRepo, commit_all, project, write


def _run(root: Path, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(init_command, ["--repo", str(root), *args], catch_exceptions=True)
    return result.exit_code, result.output, result.exception


def _yaml(root: Path, rel: str) -> dict[str, Any]:
    data = yaml.safe_load((root / rel).read_text())
    assert isinstance(data, dict)
    return data


def _plan(root: Path, *args: str) -> dict[str, Any]:
    from orchestrator.cli import cli

    result = CliRunner().invoke(cli, ["plan", "--repo", str(root), "--format", "json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, dict)
    return data


# -- projects in one directory, with stack files and a shared lib/ ------------------------


@pytest.fixture
def infra_repo(make_repo: MakeRepo) -> Path:
    files = {
        **project("infra/network", "network", "dev", "staging", "prod", region="eu-west-1"),
        **project("infra/app", "app", "dev", "staging", "prod", region="eu-west-1"),
        "infra/app/requirements.txt": "pulumi>=3\n",
        "lib/tags.py": "def tags(env):\n    return {'env': env}\n",
        "README.md": "# infrastructure\n",
        # Pulumi.yaml files that are not this repository's projects:
        "node_modules/some-tool/examples/Pulumi.yaml": "name: example\nruntime: nodejs\n",
        ".venv/lib/site/Pulumi.yaml": "name: vendored\nruntime: python\n",
        "tools-env/pyvenv.cfg": "home = /usr/bin\n",  # a virtual environment by any other name
        "tools-env/share/examples/Pulumi.yaml": "name: sdk-fixture\nruntime: python\n",
    }
    return make_repo(files, branches=("develop",))


def test_infra_layout_is_detected_and_proposed(infra_repo: Path) -> None:
    result = run_init(infra_repo, InitOptions())

    assert {(p.name, p.directory, p.stacks) for p in result.detection.projects} == {
        ("network", "infra/network", ("dev", "prod", "staging")),
        ("app", "infra/app", ("dev", "prod", "staging")),
    }
    assert result.detection.branches == ("develop", "main")
    settings = _yaml(infra_repo, "orchestrator.yaml")
    assert settings["stacks_dir"] == "infra"
    assert settings["watch"] == ["lib/**"]

    dev, staging, prod = (_yaml(infra_repo, f"environments/{e}.yaml") for e in ("dev", "staging", "prod"))
    assert (dev["branch"], dev["order"], dev.get("requires")) == ("develop", 1, None)
    assert (staging["branch"], staging["order"]) == ("main", 2)
    assert prod["branch"] == "main" and prod["order"] == 3
    assert (prod["protected"], prod["approvals"], prod["requires"]) == (True, 1, ["staging"])
    assert dev["engine"] == "local" and dev["backend"] == "file://.orchestrator/state"
    assert dev["aws"] == {"region": "eu-west-1", "endpoint": "sandbox"}  # the region the stacks use
    assert prod["drift"]["schedule"] == "0 * * * *"

    # The written configuration loads and finds exactly the two projects.
    config = load_repository(infra_repo)
    assert {n: p.directory for n, p in config.projects.items()} == {"network": "infra/network", "app": "infra/app"}
    assert config.environments["prod"].requires == ("staging",)
    assert {a.path: a.action for a in result.actions} == {
        "orchestrator.yaml": "written",
        "environments/dev.yaml": "written",
        "environments/staging.yaml": "written",
        "environments/prod.yaml": "written",
        ".github/workflows/orchestrator-preview.yml": "written",
        ".github/workflows/orchestrator-deploy.yml": "written",
        ".github/workflows/orchestrator-drift.yml": "written",
        ".github/workflows/orchestrator-comment.yml": "written",
        ".gitignore": "written",
    }


def test_generated_configuration_plans_a_pull_request_and_a_push(infra_repo: Path) -> None:
    run_init(infra_repo, InitOptions())
    commit_all(infra_repo, "adopt the orchestrator")
    git(infra_repo, "checkout", "-q", "-b", "change-app")
    write(infra_repo, {"infra/app/__main__.py": "import pulumi\n\npulumi.export('v', 2)\n"})
    commit_all(infra_repo, "app: v2")

    pr = _plan(infra_repo, "--base", "main", "--head", "HEAD", "--event", "pr")
    assert pr["environments"] == ["staging", "prod"]
    assert sorted(s["id"] for s in pr["stacks"]) == ["app/prod", "app/staging"]

    git(infra_repo, "checkout", "-q", "main")
    write(infra_repo, {"lib/tags.py": "def tags(env):\n    return {'env': env, 'team': 'platform'}\n"})
    commit_all(infra_repo, "lib: team tag")
    push = _plan(infra_repo, "--event", "push", "--branch", "main")
    # lib/ is watched repo-wide: every project, in both environments main feeds.
    assert sorted(s["id"] for s in push["stacks"]) == [
        "app/prod",
        "app/staging",
        "network/prod",
        "network/staging",
    ]


def test_cli_prints_what_it_wrote_then_skips_on_a_second_run(infra_repo: Path) -> None:
    code, out, _ = _run(infra_repo)
    assert code == 0, out
    assert "wrote orchestrator.yaml" in out
    assert "wrote .github/workflows/orchestrator-preview.yml" in out
    assert "dev: branch develop, order 1" in out

    code, out, _ = _run(infra_repo)
    assert code == 0
    assert "kept orchestrator.yaml: already up to date" in out
    assert "  wrote " not in out


def test_existing_files_are_kept_without_force_and_replaced_with_it(infra_repo: Path) -> None:
    mine = "# mine\nstacks_dir: elsewhere\n"
    write(infra_repo, {"orchestrator.yaml": mine, "environments/prod.yaml": "branch: release\n"})

    code, out, _ = _run(infra_repo)
    assert code == 0, out
    assert "kept orchestrator.yaml: exists; --force replaces it" in out
    assert "kept environments/prod.yaml: exists; --force replaces it" in out
    assert "wrote environments/dev.yaml" in out
    assert (infra_repo / "orchestrator.yaml").read_text() == mine
    # The kept settings point elsewhere: init says the result does not hold together.
    assert "with the existing orchestrator.yaml kept, the configuration finds no projects" in out
    # The CI files follow the environments as they will be: prod (kept) deploys from release.
    deploy = _yaml(infra_repo, ".github/workflows/orchestrator-deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["develop", "main", "release"]
    assert "the CI files follow the existing environments: branches develop, main, release" in out

    code, out, _ = _run(infra_repo, "--force")
    assert code == 0, out
    assert "overwrote orchestrator.yaml" in out
    assert "overwrote environments/prod.yaml" in out
    assert _yaml(infra_repo, "orchestrator.yaml")["stacks_dir"] == "infra"
    assert _yaml(infra_repo, "environments/prod.yaml")["branch"] == "main"
    assert set(load_repository(infra_repo).projects) == {"network", "app"}


def test_dry_run_prints_the_files_and_writes_nothing(infra_repo: Path) -> None:
    before = git(infra_repo, "status", "--porcelain", "--untracked-files=all")
    code, out, _ = _run(infra_repo, "--dry-run")
    assert code == 0, out
    assert git(infra_repo, "status", "--porcelain", "--untracked-files=all") == before
    assert not (infra_repo / "orchestrator.yaml").exists()
    assert "--- .github/workflows/orchestrator-deploy.yml ---" in out
    assert 'stacks_dir: "infra"' in out
    assert "would write environments/prod.yaml" in out
    assert "dry run: nothing written" in out


# -- nested projects, no develop branch -----------------------------------------------------


def test_nested_projects_share_their_common_parent(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            **project("services/orders/infra", "orders", "dev", "prod"),
            **project("services/billing/infra", "billing", "dev", "prod"),
            "services/orders/src/app.py": "print('orders')\n",
            "services/common/log.py": "LEVEL = 'info'\n",
        }
    )
    result = run_init(root, InitOptions(ci="gitlab"))

    assert _yaml(root, "orchestrator.yaml")["stacks_dir"] == "services"
    assert _yaml(root, "orchestrator.yaml")["watch"] == ["services/common/**"]
    dev, prod = _yaml(root, "environments/dev.yaml"), _yaml(root, "environments/prod.yaml")
    assert dev["branch"] == "main"  # no develop branch: the default branch
    assert "no develop branch exists" in result.proposal.environments[0].why
    assert prod["requires"] == ["dev"]
    config = load_repository(root)
    assert {n: p.directory for n, p in config.projects.items()} == {
        "orders": "services/orders/infra",
        "billing": "services/billing/infra",
    }
    # A change to service code outside the Pulumi project does not plan it; one inside does.
    commit_all(root, "adopt")
    write(root, {"services/orders/src/app.py": "print('orders v2')\n"})
    commit_all(root, "orders code")
    assert _plan(root, "--event", "push", "--branch", "main")["stacks"] == []
    write(root, {"services/orders/infra/__main__.py": "import pulumi\n"})
    commit_all(root, "orders infra")
    ids = sorted(s["id"] for s in _plan(root, "--event", "push", "--branch", "main")["stacks"])
    assert ids == ["orders/dev", "orders/prod"]


def test_projects_in_unrelated_directories_search_the_whole_repository(make_repo: MakeRepo) -> None:
    root = make_repo({**project("network", "network", "qa", "uat"), **project("deploy/k8s", "cluster", "qa")})
    result = run_init(root, InitOptions(ci="none"))

    assert _yaml(root, "orchestrator.yaml")["stacks_dir"] == "."
    assert any("share no parent directory" in note for note in result.notes)
    assert any("cluster left out (no Pulumi.uat.yaml)" in note for note in result.notes)
    qa, uat = _yaml(root, "environments/qa.yaml"), _yaml(root, "environments/uat.yaml")
    assert (qa["order"], uat["order"], uat["requires"]) == (1, 2, ["qa"])
    assert uat["projects"] == ["network"]
    assert "protected" not in uat
    assert not (root / ".github").exists() and not (root / ".gitlab-ci.yml").exists()
    assert set(load_repository(root).projects) == {"network", "cluster"}


# -- one project, no stack files ------------------------------------------------------------


def test_single_project_without_stack_files_gets_one_dev_environment(make_repo: MakeRepo) -> None:
    root = make_repo({**project("infra", "website"), "site/index.html": "<h1>hi</h1>\n"}, branches=("feature-x",))
    result = run_init(root, InitOptions(engine="pulumi"))

    assert [e.name for e in result.proposal.environments] == ["dev"]
    assert any("no Pulumi.<stack>.yaml files found" in note for note in result.notes)
    dev = _yaml(root, "environments/dev.yaml")
    assert dev["branch"] == "main" and dev["engine"] == "pulumi"
    assert dev["backend"] == "https://api.pulumi.com"
    config = load_repository(root)
    assert {n: p.directory for n, p in config.projects.items()} == {"website": "infra"}


def test_project_at_the_repository_root_is_supported(make_repo: MakeRepo) -> None:
    root = make_repo({**project(".", "app", "dev", "prod"), "README.md": "# app\n"})
    run_init(root, InitOptions())
    config = load_repository(root)
    assert {n: p.directory for n, p in config.projects.items()} == {"app": "."}
    assert set(config.environments) == {"dev", "prod"}


def test_repository_without_pulumi_projects_is_a_user_error(make_repo: MakeRepo) -> None:
    root = make_repo({"README.md": "# docs only\n", "node_modules/x/Pulumi.yaml": "name: x\nruntime: nodejs\n"})
    code, _out, exc = _run(root)
    assert code == 1
    assert isinstance(exc, UserError)
    assert "no Pulumi project found" in exc.message
    assert exc.hint is not None and "pulumi new" in exc.hint
    assert not (root / "orchestrator.yaml").exists()


def test_not_a_git_repository(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is not a Git repository"):
        run_init(tmp_path, InitOptions())


# -- stack names -------------------------------------------------------------------------------


def test_stack_names_map_to_environment_kinds(make_repo: MakeRepo) -> None:
    root = make_repo(
        {**project("infra/core", "core", "Production", "qa", "uat", "development", "sandbox-eu", "perf")},
        branches=("develop", "perf"),
    )
    result = run_init(root, InitOptions(ci="none"))
    envs = {e.name: e for e in result.proposal.environments}

    assert [e.name for e in result.proposal.environments] == [
        "development",
        "sandbox-eu",
        "qa",
        "uat",
        "perf",
        "production",
    ]
    assert envs["production"].stack_name == "Production"  # the existing stack keeps its name
    assert envs["production"].protected and envs["production"].requires == ("uat",)
    assert envs["perf"].branch == "perf"  # an unknown kind with a branch of its own name
    assert envs["development"].branch == "develop"
    assert envs["uat"].requires == ("qa",)
    config = load_repository(root)
    assert config.environments["production"].stack_name("core") == "Production"
    assert config.environments["qa"].stack_name("core") == "qa"


def test_non_python_projects_are_flagged_for_the_local_engine(make_repo: MakeRepo) -> None:
    files = {
        **project("infra/py", "py", "dev"),
        "infra/ts/Pulumi.yaml": "name: ts\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
        "infra/ts/Pulumi.dev.yaml": "config: {}\n",
    }
    result = run_init(make_repo(files), InitOptions(ci="none", dry_run=True))
    assert any("need --engine pulumi: ts (nodejs)" in note for note in result.notes)


def test_matrix_threshold_must_be_positive(infra_repo: Path) -> None:
    code, out, _ = _run(infra_repo, "--matrix-threshold", "0")
    assert code == 2 and "0 is not in the range x>=1" in out


def test_gitlab_branch_regex() -> None:
    assert gitlab_branch_regex(["develop", "main"]) == "/^(develop|main)$/"
    assert gitlab_branch_regex(["release/*", "hotfix/**"]) == "/^(release\\/[^/]*|hotfix\\/.*)$/"
    assert gitlab_branch_regex(["v1.2"]) == "/^(v1\\.2)$/"


def test_a_gate_on_an_environment_missing_projects_is_pointed_out(make_repo: MakeRepo) -> None:
    root = make_repo({**project("infra/app", "app", "staging", "prod"), **project("infra/net", "net", "prod")})
    result = run_init(root, InitOptions(ci="none"))
    envs = {e.name: e for e in result.proposal.environments}
    assert envs["staging"].projects == ("app",)
    assert envs["prod"].requires == ("staging",)
    assert (
        "environment prod requires staging, which does not deploy net: add the missing Pulumi.staging.yaml "
        "files, or edit `requires` in environments/prod.yaml"
    ) in result.notes
