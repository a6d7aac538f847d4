"""Change detection: which commits are compared and which files affect which stacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.foundation_repo import BASE_FILES, GitFixture

from .helpers import by_id, stack_ids

PlanJson = Callable[..., dict[str, Any]]
MakeRepo = Callable[..., GitFixture]
ZERO = "0" * 40

# Big enough for Git's rename detection to pair the old and new paths.
HELPERS_PY = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n" for i in range(20))


def test_pr_base_is_the_merge_base_so_later_main_commits_do_not_count(repo: GitFixture, plan_json: PlanJson) -> None:
    fork = repo.sha("main")
    repo.branch("feature")
    head = repo.commit({"stacks/app/__main__.py": "import pulumi\n"})
    repo.checkout("main")
    repo.commit({"stacks/network/__main__.py": "import pulumi\n# moved on\n"}, message="main moves on")

    plan = plan_json(repo, "--base", "main", "--head", "feature", "--branch", "main")
    assert plan["base"] == fork
    assert plan["head"] == head
    assert plan["changed_files"] == ["stacks/app/__main__.py"]
    assert {s["project"] for s in plan["stacks"]} == {"app"}
    assert {s["operation"] for s in plan["stacks"]} == {"preview"}


def test_push_base_is_before_sha_and_counts_every_pushed_commit(repo: GitFixture, plan_json: PlanJson) -> None:
    before = repo.sha("HEAD")
    repo.commit({"stacks/network/__main__.py": "import pulumi\n"}, message="one")
    head = repo.commit({"README.md": "changed\n"}, message="two")
    plan = plan_json(repo, "--event", "push", "--base", before, "--head", head, "--branch", "main")
    assert plan["base"] == before
    assert plan["changed_files"] == ["README.md", "stacks/network/__main__.py"]
    assert "network/qa" in stack_ids(plan)


def test_push_without_before_uses_the_first_parent(repo: GitFixture, plan_json: PlanJson) -> None:
    repo.commit({"stacks/network/__main__.py": "import pulumi\n"}, message="one")
    parent = repo.sha("HEAD")
    repo.commit({"README.md": "changed\n"}, message="two")
    plan = plan_json(repo, "--event", "push", "--branch", "main")
    assert plan["base"] == parent
    assert plan["changed_files"] == ["README.md"]
    assert plan["stacks"] == []
    assert plan["environments"] == ["qa", "uat", "prod"]


def test_push_of_a_new_branch_with_all_zero_before_uses_the_first_parent(repo: GitFixture, plan_json: PlanJson) -> None:
    parent = repo.sha("HEAD")
    repo.branch("develop")
    head = repo.commit({"stacks/data/__main__.py": "import pulumi\n"})
    plan = plan_json(repo, "--event", "push", "--base", ZERO, "--head", head, "--branch", "develop")
    assert plan["base"] == parent
    assert plan["changed_files"] == ["stacks/data/__main__.py"]
    assert stack_ids(plan) == ["data/dev", "app/dev"]  # app reads data's outputs


def test_push_of_the_first_commit_compares_with_the_empty_tree(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo()
    plan = plan_json(repo, "--event", "push", "--base", ZERO, "--branch", "develop")
    assert set(stack_ids(plan)) == {"network/dev", "data/dev", "app/dev"}
    assert "stacks/network/Pulumi.yaml" in plan["changed_files"]


def test_a_file_moved_between_projects_affects_both(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo({"stacks/network/helpers.py": HELPERS_PY})
    repo.branch("feature")
    repo.mv("stacks/network/helpers.py", "stacks/app/helpers.py")
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    assert plan["changed_files"] == ["stacks/app/helpers.py", "stacks/network/helpers.py"]
    stacks = by_id(plan)
    assert "changed stacks/network/helpers.py" in stacks["network/dev"]["reasons"]
    assert "changed stacks/app/helpers.py" in stacks["app/dev"]["reasons"]


def test_a_deleted_project_directory_is_destroyed_with_the_base_config(
    make_repo: MakeRepo, plan_json: PlanJson
) -> None:
    # The directory name differs from the project name and only the base commit says the
    # project lives in dev and qa: both must come from the base commit's configuration.
    repo = make_repo(
        {
            "stacks/old-cache/Pulumi.yaml": "name: cache\nruntime: python\n",
            "stacks/old-cache/__main__.py": "import pulumi\n",
            "orchestrator.yaml": "projects:\n  cache:\n    environments: [dev, qa]\n",
            "environments/qa.yaml": "branch: main\norder: 2\nstack_name: '{project}-{env}'\n",
        }
    )
    repo.branch("feature")
    repo.commit(
        {
            "stacks/old-cache": None,
            "orchestrator.yaml": "{}\n",
            "environments/qa.yaml": "branch: main\norder: 2\n",  # qa's template changes too
        }
    )
    plan = plan_json(repo, "--base", "main", "--branch", "main")
    destroys = [s for s in plan["stacks"] if s["operation"] == "destroy"]
    assert [(s["id"], s["stack"], s["directory"]) for s in destroys] == [("cache/qa", "cache-qa", "stacks/old-cache")]
    assert "stacks/old-cache/" in destroys[0]["reasons"][0]
    # The destroy runs after the updates of its environment.
    qa_waves = [s["wave"] for s in plan["stacks"] if s["environment"] == "qa" and s["operation"] != "destroy"]
    assert destroys[0]["wave"] > max(qa_waves)
    push = plan_json(repo, "--base", "main", "--head", "feature", "--branch", "develop", "--event", "push")
    assert [s["id"] for s in push["stacks"] if s["operation"] == "destroy"] == ["cache/dev"]


def test_a_renamed_project_directory_is_not_destroyed(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo({"stacks/network/helpers.py": HELPERS_PY})
    repo.branch("feature")
    repo.mv("stacks/network", "stacks/net")
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    assert "destroy" not in {s["operation"] for s in plan["stacks"]}
    assert by_id(plan)["network/dev"]["directory"] == "stacks/net"


def test_project_watch_globs(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo(
        {
            "orchestrator.yaml": "projects:\n  app:\n    watch: ['charts/*.yaml']\n"
            "  network:\n    watch: ['policies/**']\n",
            "charts/app.yaml": "a: 1\n",
            "charts/nested/app.yaml": "a: 1\n",
            "policies/deep/er/rule.rego": "package x\n",
        }
    )
    repo.branch("flat")
    repo.commit({"charts/app.yaml": "a: 2\n"})
    flat = plan_json(repo, "--base", "main", "--branch", "develop")
    assert stack_ids(flat) == ["app/dev"]
    assert by_id(flat)["app/dev"]["reasons"] == ["charts/app.yaml matches watch `charts/*.yaml` of project app"]

    repo.checkout("main")
    repo.branch("nested")
    repo.commit({"charts/nested/app.yaml": "a: 2\n"})
    assert plan_json(repo, "--base", "main", "--branch", "develop")["stacks"] == []  # `*` stays in one directory

    repo.checkout("main")
    repo.branch("deep")
    repo.commit({"policies/deep/er/rule.rego": "package y\n"})
    deep = plan_json(repo, "--base", "main", "--branch", "develop")
    assert "network/dev" in stack_ids(deep)  # `**` crosses directories; dependents follow
    assert any("policies/**" in r for r in by_id(deep)["network/dev"]["reasons"])


def test_repo_wide_watch_affects_every_project(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo({"orchestrator.yaml": "watch: ['lib/**']\n", "lib/tags.py": "TAGS = {}\n"})
    repo.branch("feature")
    repo.commit({"lib/tags.py": "TAGS = {'team': 'infra'}\n"})
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    assert set(stack_ids(plan)) == {"network/dev", "data/dev", "app/dev"}
    for stack in plan["stacks"]:
        assert "lib/tags.py matches repo-wide watch `lib/**` in orchestrator.yaml" in stack["reasons"]


def test_environment_file_change_affects_only_that_environment(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo({"environments/uat.yaml": "branch: main\norder: 3\nrequires: [qa]\nprojects: [network, data]\n"})
    repo.branch("feature")
    repo.commit(
        {"environments/uat.yaml": "branch: main\norder: 3\nrequires: [qa]\nprojects: [network, data]\napprovals: 1\n"}
    )
    plan = plan_json(repo, "--base", "main", "--branch", "main")
    assert plan["environments"] == ["qa", "uat", "prod"]
    assert sorted(stack_ids(plan)) == ["data/uat", "network/uat"]
    for stack in plan["stacks"]:
        assert "environments/uat.yaml changed" in stack["reasons"]


def test_unrelated_file_plans_nothing(repo: GitFixture, plan_json: PlanJson) -> None:
    repo.branch("feature")
    repo.commit({"README.md": "more\n", "docs/guide.md": "guide\n"})
    plan = plan_json(repo, "--base", "main", "--branch", "main")
    assert plan["changed_files"] == ["README.md", "docs/guide.md"]
    assert plan["stacks"] == []
    assert plan["waves"] == []


def test_added_and_deleted_files_inside_a_project_count(repo: GitFixture, plan_json: PlanJson) -> None:
    repo.branch("feature")
    repo.commit({"stacks/network/extra.py": "X = 1\n", "stacks/data/__main__.py": None})
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    stacks = by_id(plan)
    assert "changed stacks/network/extra.py" in stacks["network/dev"]["reasons"]
    assert "changed stacks/data/__main__.py" in stacks["data/dev"]["reasons"]
    assert "destroy" not in {s["operation"] for s in plan["stacks"]}  # data's Pulumi.yaml is still there


def test_nested_project_owns_its_files(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    repo = make_repo(
        {
            "stacks/platform/Pulumi.yaml": "name: platform\nruntime: python\n",
            "stacks/platform/dns/Pulumi.yaml": "name: dns\nruntime: python\n",
            "stacks/platform/dns/__main__.py": "import pulumi\n",
        }
    )
    repo.branch("feature")
    repo.commit({"stacks/platform/dns/__main__.py": "import pulumi\n# v2\n"})
    assert stack_ids(plan_json(repo, "--base", "main", "--branch", "develop")) == ["dns/dev"]


def test_base_files_are_what_the_fixture_says(repo: GitFixture) -> None:
    # Guards the other tests: the fixture repository really holds BASE_FILES at HEAD.
    listed = set(repo.git("ls-tree", "-r", "--name-only", "HEAD").splitlines())
    assert listed == set(BASE_FILES)


def test_deleted_projects_are_destroyed_dependents_first(make_repo: MakeRepo, plan_json: PlanJson) -> None:
    # In the base commit app -> data -> network. network and data go; app stops reading data.
    repo = make_repo()
    repo.branch("feature")
    repo.commit({"stacks/network": None, "stacks/data": None, "stacks/app/__main__.py": "import pulumi\n"})
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    assert plan["waves"] == [["app/dev"], ["data/dev"], ["network/dev"]]
    stacks = by_id(plan)
    assert [stacks[i]["operation"] for i in ("app/dev", "data/dev", "network/dev")] == [
        "preview",
        "destroy",
        "destroy",
    ]
    # network's stack goes only after data's, which read its outputs, is gone.
    assert stacks["network/dev"]["depends_on"] == ["data/dev"]


def test_file_names_with_spaces_and_non_ascii(repo: GitFixture, plan_json: PlanJson) -> None:
    repo.branch("feature")
    repo.commit({"stacks/network/données réseau.py": "X = 1\n"})
    plan = plan_json(repo, "--base", "main", "--branch", "develop")
    assert plan["changed_files"] == ["stacks/network/données réseau.py"]
    assert by_id(plan)["network/dev"]["reasons"] == ["changed stacks/network/données réseau.py"]


def test_a_stack_config_file_change_affects_only_that_stack(repo: GitFixture, plan_json: PlanJson) -> None:
    before = repo.sha("HEAD")
    repo.commit({"stacks/network/Pulumi.uat.yaml": "config:\n  network:retention_seconds: 60\n"})
    plan = plan_json(repo, "--event", "push", "--base", before, "--branch", "main")
    # network/uat itself, and its dependents in uat only; qa and prod are untouched.
    assert {s["environment"] for s in plan["stacks"]} == {"uat"}
    assert "changed stacks/network/Pulumi.uat.yaml" in by_id(plan)["network/uat"]["reasons"]
    assert "network/uat" in stack_ids(plan)


def test_a_project_at_the_repository_root_owns_the_files_no_deeper_project_owns(
    make_repo: MakeRepo, plan_json: PlanJson
) -> None:
    repo = make_repo(
        {
            "orchestrator.yaml": 'stacks_dir: "."\n',
            "environments/dev.yaml": "branch: main\n",
            "Pulumi.yaml": "name: site\nruntime: python\n",
            "__main__.py": "import pulumi\n",
            "tools/db/Pulumi.yaml": "name: db\nruntime: python\n",
            "tools/db/__main__.py": "import pulumi\n",
        },
        base=False,
    )
    before = repo.sha("HEAD")
    repo.commit({"__main__.py": "import pulumi\n# changed\n", "tools/db/__main__.py": "import pulumi\n# too\n"})
    plan = plan_json(repo, "--event", "push", "--base", before, "--branch", "main")
    assert by_id(plan)["site/dev"]["directory"] == "."
    assert by_id(plan)["site/dev"]["reasons"] == ["changed __main__.py"]
    assert by_id(plan)["db/dev"]["reasons"] == ["changed tools/db/__main__.py"]


def test_a_projects_own_settings_in_orchestrator_yaml_plan_it_and_repo_wide_settings_do_not(
    make_repo: MakeRepo, plan_json: PlanJson
) -> None:
    repo = make_repo({"orchestrator.yaml": "comment:\n  max_chars: 60000\n"})
    before = repo.sha("HEAD")
    repo.commit({"orchestrator.yaml": "comment:\n  max_chars: 50000\n"}, message="comment budget")
    plan = plan_json(repo, "--event", "push", "--base", before, "--branch", "develop")
    assert plan["stacks"] == []  # how the orchestrator reports changed, not what a stack deploys

    before = repo.sha("HEAD")
    repo.commit(
        {"orchestrator.yaml": "comment:\n  max_chars: 50000\nprojects:\n  network:\n    watch: ['shared/**']\n"},
        message="network watches shared/",
    )
    plan = plan_json(repo, "--event", "push", "--base", before, "--branch", "develop")
    assert by_id(plan)["network/dev"]["reasons"] == ["its settings in orchestrator.yaml changed"]
    # Its dependents follow, as for any change to network.
    assert stack_ids(plan) == ["network/dev", "data/dev", "app/dev"]
