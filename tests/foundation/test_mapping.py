"""Branch → environments and project → stacks, through `orchestrator plan` on real repositories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.foundation_repo import GitFixture

from .helpers import by_id, stack_ids

PlanJson = Callable[..., dict[str, Any]]
MakeRepo = Callable[..., GitFixture]


def _touch_network(repo: GitFixture) -> None:
    repo.branch("feature")
    repo.commit({"stacks/network/__main__.py": "import pulumi\npulumi.export('vpc', 'vpc-2')\n"})


def test_exact_branch_rule_maps_pr_into_develop_to_dev_only(repo: GitFixture, plan_json: PlanJson) -> None:
    _touch_network(repo)
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    assert plan["environments"] == ["dev"]
    assert {s["environment"] for s in plan["stacks"]} == {"dev"}
    assert "network/dev" in stack_ids(plan)


def test_exact_rule_does_not_match_a_longer_branch_name(repo: GitFixture, plan_json: PlanJson) -> None:
    _touch_network(repo)
    plan = plan_json(repo, "--base", "main", "--branch", "develop-2")
    assert plan["environments"] == []
    assert plan["stacks"] == []


def test_glob_rule_star_matches_one_segment_only(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo({"environments/staging.yaml": "branch: release/*\norder: 5\n"})
    _touch_network(repo)
    matched = plan_json(repo, "--base", "main", "--branch", "release/1.4")
    assert matched["environments"] == ["staging"]
    assert "network/staging" in stack_ids(matched)
    # `*` must not cross `/`: release/1.4/hotfix is not a release branch.
    nested = plan_json(repo, "--base", "main", "--branch", "release/1.4/hotfix")
    assert nested["environments"] == []
    assert nested["stacks"] == []
    assert plan_json(repo, "--base", "main", "--branch", "releases/1.4")["environments"] == []


def test_list_of_rules_matches_any_of_them(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo({"environments/dev.yaml": "branch: [develop, 'feature/*', hotfix]\norder: 1\n"})
    _touch_network(repo)
    for branch in ("develop", "feature/login", "hotfix"):
        assert plan_json(repo, "--base", "main", "--branch", branch)["environments"] == ["dev"], branch
    assert plan_json(repo, "--base", "main", "--branch", "feature/a/b")["environments"] == []


def test_one_branch_feeds_several_environments_ordered_by_order_not_name(
    make_repo: MakeRepo, plan_json: PlanJson
) -> None:
    # Alphabetical order would be alpha, beta, gamma; `order` says gamma, alpha, beta.
    repo = make_repo(
        {
            "environments/alpha.yaml": "branch: trunk\norder: 20\n",
            "environments/beta.yaml": "branch: trunk\norder: 30\n",
            "environments/gamma.yaml": "branch: trunk\norder: 10\n",
        }
    )
    _touch_network(repo)
    plan = plan_json(repo, "--base", "main", "--branch", "trunk")
    assert plan["environments"] == ["gamma", "alpha", "beta"]
    push = plan_json(repo, "--base", "main", "--head", "feature", "--branch", "trunk", "--event", "push")
    waves = {env: by_id(push)[f"network/{env}"]["wave"] for env in ("gamma", "alpha", "beta")}
    assert waves["gamma"] < waves["alpha"] < waves["beta"]


def test_main_feeds_qa_uat_prod_in_order(repo: GitFixture, plan_json: PlanJson) -> None:
    _touch_network(repo)
    plan = plan_json(repo, "--base", "main", "--branch", "main")
    assert plan["environments"] == ["qa", "uat", "prod"]


def test_environment_projects_subset(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo({"environments/qa.yaml": "branch: main\norder: 2\nprojects: [network]\n"})
    repo.branch("feature")
    repo.commit(
        {
            "stacks/network/__main__.py": "import pulumi\n",
            "stacks/app/__main__.py": "import pulumi\n",
        }
    )
    plan = plan_json(repo, "--base", "main", "--branch", "main")
    ids = set(stack_ids(plan))
    assert "network/qa" in ids
    assert "app/qa" not in ids  # qa deploys only network
    assert {"network/uat", "app/uat", "network/prod", "app/prod"} <= ids


def test_project_environments_in_orchestrator_yaml(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo({"orchestrator.yaml": "projects:\n  app:\n    environments: [dev, qa]\n"})
    repo.branch("feature")
    repo.commit({"stacks/app/__main__.py": "import pulumi\n"})
    main = plan_json(repo, "--base", "main", "--branch", "main")
    assert stack_ids(main) == ["app/qa"]
    dev = plan_json(repo, "--base", "main", "--branch", "develop")
    assert stack_ids(dev) == ["app/dev"]


def test_stack_name_template_with_env_and_project(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo({"environments/dev.yaml": "branch: develop\nstack_name: '{project}-{env}-blue'\n"})
    _touch_network(repo)
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    stacks = by_id(plan)
    assert stacks["network/dev"]["stack"] == "network-dev-blue"
    assert stacks["data/dev"]["stack"] == "data-dev-blue"


def test_default_stack_name_is_the_environment(repo: GitFixture, plan_json: PlanJson) -> None:
    _touch_network(repo)
    plan = plan_json(repo, "--base", "main", "--branch", "main")
    assert {s["stack"] for s in plan["stacks"] if s["environment"] == "uat"} == {"uat"}


def test_pr_branch_defaults_to_the_named_base_branch(repo: GitFixture, plan_json: PlanJson) -> None:
    repo.branch("develop", "main")
    repo.branch("feature")
    repo.commit({"stacks/network/__main__.py": "import pulumi\n"})
    plan = plan_json(repo, "--base", "develop")
    assert plan["branch"] == "develop"
    assert plan["environments"] == ["dev"]


def test_push_branch_defaults_to_the_checked_out_branch(repo: GitFixture, plan_json: PlanJson) -> None:
    repo.commit({"stacks/network/__main__.py": "import pulumi\n"})
    plan = plan_json(repo, "--event", "push")
    assert plan["branch"] == "main"
    assert plan["environments"] == ["qa", "uat", "prod"]
    assert {s["operation"] for s in plan["stacks"]} == {"update"}


def test_pr_base_given_as_remote_tracking_branch_maps_to_that_branch(
    repo: GitFixture, plan_json: PlanJson, tmp_path_factory: Any
) -> None:
    # CI checkouts know the target branch as origin/<name>; the rule is written for <name>.
    clone = GitFixture(tmp_path_factory.mktemp("clone") / "infra")
    repo.git("clone", "-q", str(repo.path), str(clone.path))
    clone.branch("feature")
    clone.commit({"stacks/network/__main__.py": "import pulumi\n# v3\n"})
    plan = plan_json(clone, "--base", "origin/main")
    assert plan["branch"] == "main"
    assert plan["environments"] == ["qa", "uat", "prod"]
    assert plan["base"] == repo.sha("main")
    assert plan_json(clone, "--base", "refs/remotes/origin/main")["branch"] == "main"


def test_branch_given_as_full_ref_name(repo: GitFixture, plan_json: PlanJson) -> None:
    _touch_network(repo)
    assert plan_json(repo, "--base", "main", "--branch", "refs/heads/develop")["branch"] == "develop"


def test_project_names_come_from_pulumi_yaml_in_any_yaml_form(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo(
        {
            "stacks/dns/Pulumi.yaml": "# DNS zones\nname: 'dns-zones'\nruntime:\n  name: python\n"
            "  options:\n    virtualenv: venv\n",
            "stacks/cdn/Pulumi.yml": "{name: cdn, runtime: python, description: edge cache}\n",
            "stacks/mail/Pulumi.yaml": "name: mail  # outbound\nruntime: python\n",
        }
    )
    repo.branch("feature")
    repo.commit({"stacks/dns/zone.py": "Z = 1\n", "stacks/cdn/x.py": "X = 1\n", "stacks/mail/m.py": "M = 1\n"})
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    assert sorted(stack_ids(plan)) == ["cdn/dev", "dns-zones/dev", "mail/dev"]
    assert by_id(plan)["dns-zones/dev"]["directory"] == "stacks/dns"


def test_custom_stacks_and_environments_directories(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo(
        {
            "orchestrator.yaml": "stacks_dir: infra/projects\nenvironments_dir: deploy/envs\n",
            "deploy/envs/dev.yaml": "branch: develop\n",
            "deploy/envs/prod.yaml": "branch: main\n",
            "infra/projects/queue/Pulumi.yaml": "name: queue\nruntime: python\n",
            "infra/projects/queue/__main__.py": "import pulumi\n",
            "infra/projects/worker/Pulumi.yaml": "name: worker\nruntime: python\n",
            "infra/projects/worker/__main__.py": "import pulumi\nq = pulumi.StackReference(f'o/queue/{s}')\n",
        },
        base=False,
    )
    repo.branch("feature")
    repo.commit({"infra/projects/queue/__main__.py": "import pulumi\n# v2\n"})
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    assert stack_ids(plan) == ["queue/dev", "worker/dev"]
    assert by_id(plan)["worker/dev"]["directory"] == "infra/projects/worker"
    repo.commit({"deploy/envs/prod.yaml": "branch: main\napprovals: 2\n"})
    prod = plan_json(repo, "--base", "main", "--branch", "main")
    assert sorted(stack_ids(prod)) == ["queue/prod", "worker/prod"]
    assert "deploy/envs/prod.yaml changed" in by_id(prod)["worker/prod"]["reasons"]


def test_repository_without_configuration(make_repo: MakeRepo, run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"README.md": "nothing yet\n"}, base=False)
    plan = run_cli("plan", "--repo", repo.path, "--base", "main", "--branch", "main", "--format", "json")
    assert plan.code == 0, plan.err
    assert plan.json()["stacks"] == [] and plan.json()["environments"] == []
    assert run_cli("environments", "--repo", repo.path, "--json").json() == []
    assert run_cli("projects", "--repo", repo.path, "--json").json() == []
    explained = run_cli("explain", "--repo", repo.path, "--branch", "main")
    assert explained.code == 0
    assert "no environment tracks branch main" in explained.out
