"""The pure planner on plain values: configuration + change set + branch -> the plan a user sees.

No Git and no CLI: the configurations are built directly (tests/support/plain_config.py),
shaped like DESIGN section 3: dev on `develop`; qa -> uat -> prod on `main`; app reads data
and data reads network through StackReferences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from orchestrator.config.resolved import RepoConfig
from orchestrator.errors import ConfigError
from orchestrator.models import FileChange, Plan
from orchestrator.planner import Event, PlanInput, plan, plan_all, project_graph
from orchestrator.stackrefs.scan import StackReferenceSite
from tests.support.plain_config import deleted, env, modified, project, repo_config

ENVIRONMENTS = (
    env("dev", "develop", order=1),
    env("qa", "main", order=2),
    env("uat", "main", order=3, requires=("qa",)),
    env("prod", "main", order=4, requires=("uat",), protected=True, approvals=1),
)
PROJECTS = (
    project("network"),
    project("data", stack_references=("network",)),
    project("app", stack_references=("data",)),
)
SAMPLE = repo_config(environments=ENVIRONMENTS, projects=PROJECTS)


def planned(
    config: RepoConfig,
    changes: tuple[FileChange, ...],
    *,
    branch: str,
    event: Event = "pr",
    base_config: Callable[[], RepoConfig] | None = None,
    left_behind: Mapping[str, tuple[str, ...]] | None = None,
) -> Plan:
    given = PlanInput(
        head_config=config, changes=changes, branch=branch, event=event, base="base-sha", head="head-sha",
        left_behind=left_behind or {},
    )
    return plan(given, base_config=base_config)


def ids(result: Plan) -> list[str]:
    return [s.id for s in result.stacks]


def by_id(result: Plan) -> dict[str, tuple[str, ...]]:
    """stack id -> its reasons."""
    return {s.id: s.reasons for s in result.stacks}


# --------------------------------------------------------------------------- branch -> environments


def test_a_pull_request_into_develop_previews_the_dev_stacks_only() -> None:
    result = planned(SAMPLE, modified("stacks/network/__main__.py"), branch="develop")

    assert result.environments == ("dev",)
    assert ids(result) == ["network/dev", "data/dev", "app/dev"]
    assert {s.operation for s in result.stacks} == {"preview"}
    assert result.notes == ("branch develop → dev (rule `develop` in environments/dev.yaml)",)


def test_a_push_to_main_updates_qa_then_uat_then_prod() -> None:
    result = planned(SAMPLE, modified("stacks/app/__main__.py"), branch="main", event="push")

    assert result.environments == ("qa", "uat", "prod")
    assert {s.operation for s in result.stacks} == {"update"}
    # One environment after the other, and no empty waves between them.
    assert result.waves == (("app/qa",), ("app/uat",), ("app/prod",))


def test_previews_of_the_environments_a_branch_feeds_run_side_by_side() -> None:
    result = planned(SAMPLE, modified("stacks/network/__main__.py"), branch="main")

    assert result.waves == (
        ("network/qa", "network/uat", "network/prod"),  # promotion order within a wave
        ("data/qa", "data/uat", "data/prod"),
        ("app/qa", "app/uat", "app/prod"),
    )


def test_an_environment_runs_after_the_ones_it_requires_whatever_its_order() -> None:
    config = repo_config(
        environments=(env("canary", "main", order=1, requires=("stable",)), env("stable", "main", order=2)),
        projects=PROJECTS,
    )
    result = planned(config, modified("stacks/app/__main__.py"), branch="main", event="push")

    assert result.environments == ("stable", "canary")
    assert result.waves == (("app/stable",), ("app/canary",))


def test_a_glob_branch_rule_matches_one_path_segment() -> None:
    config = repo_config(environments=(env("release", "release/*"),), projects=PROJECTS)

    assert planned(config, modified("stacks/app/x.py"), branch="release/1.2").environments == ("release",)
    assert planned(config, modified("stacks/app/x.py"), branch="release/1.2/hotfix").environments == ()


def test_a_branch_no_environment_tracks_plans_nothing_and_says_so() -> None:
    result = planned(SAMPLE, modified("stacks/app/__main__.py"), branch="feature/login")

    assert result.stacks == ()
    assert result.notes == ("no environment tracks branch feature/login",)
    assert result.changed_files == ("stacks/app/__main__.py",)


def test_stacks_are_named_by_the_environments_template() -> None:
    config = repo_config(environments=(env("dev", "develop", stack_name_template="acme-{project}-{env}"),),
                         projects=PROJECTS)

    [stack] = planned(config, modified("stacks/app/__main__.py"), branch="develop").stacks
    assert (stack.stack, stack.directory) == ("acme-app-dev", "stacks/app")


# --------------------------------------------------------------------------- changed files -> projects


def test_a_change_outside_every_project_and_watch_plans_nothing() -> None:
    assert planned(SAMPLE, modified("README.md", "docs/runbook.md"), branch="develop").stacks == ()


def test_the_reason_names_the_changed_files() -> None:
    one = planned(SAMPLE, modified("stacks/app/__main__.py"), branch="develop")
    many = planned(SAMPLE, modified(*(f"stacks/app/m{i}.py" for i in range(5))), branch="develop")

    assert by_id(one)["app/dev"] == ("changed stacks/app/__main__.py",)
    assert by_id(many)["app/dev"] == (
        "5 files changed in stacks/app/: stacks/app/m0.py, stacks/app/m1.py, stacks/app/m2.py and 2 more",
    )


def test_a_file_moved_from_one_project_to_another_plans_both() -> None:
    moved = (FileChange(path="stacks/data/shared.py", kind="renamed", old_path="stacks/app/shared.py"),)

    assert ids(planned(SAMPLE, moved, branch="develop")) == ["data/dev", "app/dev"]


def test_the_deepest_project_owns_a_file() -> None:
    config = repo_config(
        environments=ENVIRONMENTS,
        projects=(project("platform"), project("edge", directory="stacks/platform/edge")),
    )

    assert ids(planned(config, modified("stacks/platform/edge/main.py"), branch="develop")) == ["edge/dev"]
    assert ids(planned(config, modified("stacks/platform/main.py"), branch="develop")) == ["platform/dev"]


def test_a_stack_config_file_plans_that_stack_only() -> None:
    result = planned(SAMPLE, modified("stacks/network/Pulumi.uat.yaml"), branch="main")

    assert ids(result) == ["network/uat", "data/uat", "app/uat"]
    assert by_id(result)["network/uat"] == ("changed stacks/network/Pulumi.uat.yaml",)


def test_the_project_file_plans_every_stack_of_the_project() -> None:
    result = planned(SAMPLE, modified("stacks/network/Pulumi.yaml"), branch="main")

    assert [s.id for s in result.stacks if s.project == "network"] == ["network/qa", "network/uat", "network/prod"]


# --------------------------------------------------------------------------- watch globs


def test_a_project_watch_glob_plans_that_project_and_names_the_glob() -> None:
    config = repo_config(environments=ENVIRONMENTS, projects=(*PROJECTS[:2], project("app", watch=("lib/web/**",))))

    result = planned(config, modified("lib/web/handlers.py"), branch="develop")
    assert by_id(result) == {"app/dev": ("lib/web/handlers.py matches watch `lib/web/**` of project app",)}
    assert planned(config, modified("lib/db/pool.py"), branch="develop").stacks == ()


def test_a_repo_wide_watch_plans_every_project() -> None:
    config = repo_config(environments=ENVIRONMENTS, projects=PROJECTS, watch=("lib/**",))

    result = planned(config, modified("lib/tags.py"), branch="develop")
    assert ids(result) == ["network/dev", "data/dev", "app/dev"]
    assert set(by_id(result).values()) == {("lib/tags.py matches repo-wide watch `lib/**` in orchestrator.yaml",)}


def test_an_environment_file_plans_every_stack_of_that_environment_only() -> None:
    result = planned(SAMPLE, modified("environments/uat.yaml"), branch="main")

    assert result.environments == ("qa", "uat", "prod")  # the branch still feeds all three
    assert ids(result) == ["network/uat", "data/uat", "app/uat"]
    assert by_id(result)["app/uat"] == ("environments/uat.yaml changed",)


def test_projects_an_environment_does_not_deploy_are_never_planned_there() -> None:
    config = repo_config(
        environments=(env("dev", "develop", projects=("network", "data")),),
        projects=(*PROJECTS[:2], project("app", stack_references=("data",))),
    )
    only_qa = repo_config(environments=ENVIRONMENTS, projects=(*PROJECTS[:2], project("app", environments=("qa",))))

    assert ids(planned(config, modified("stacks/network/__main__.py"), branch="develop")) == ["network/dev", "data/dev"]
    assert ids(planned(only_qa, modified("stacks/app/__main__.py"), branch="main")) == ["app/qa"]


# --------------------------------------------------------------------------- dependents and waves


def test_a_changed_project_pulls_in_its_dependents_in_later_waves() -> None:
    result = planned(SAMPLE, modified("stacks/network/__main__.py"), branch="develop")
    stacks = {s.id: s for s in result.stacks}

    assert by_id(result) == {
        "network/dev": ("changed stacks/network/__main__.py",),
        "data/dev": ("depends on network",),
        "app/dev": ("depends on data",),
    }
    assert [stacks[i].wave for i in ("network/dev", "data/dev", "app/dev")] == [0, 1, 2]
    assert stacks["app/dev"].depends_on == ("data/dev",)
    assert stacks["network/dev"].depends_on == ()


def test_a_change_does_not_pull_in_what_the_project_depends_on() -> None:
    assert ids(planned(SAMPLE, modified("stacks/app/__main__.py"), branch="develop")) == ["app/dev"]


def test_independent_changed_projects_share_a_wave() -> None:
    config = repo_config(environments=ENVIRONMENTS, projects=(*PROJECTS, project("audit")))

    result = planned(config, modified("stacks/audit/x.py", "stacks/network/x.py"), branch="develop")
    assert result.waves == (("audit/dev", "network/dev"), ("data/dev",), ("app/dev",))


def test_explicit_depends_on_orders_the_waves_like_a_stack_reference() -> None:
    config = repo_config(environments=ENVIRONMENTS, projects=(project("dns"), project("web", depends_on=("dns",))))

    result = planned(config, modified("stacks/dns/zone.py"), branch="develop")
    assert result.waves == (("dns/dev",), ("web/dev",))
    assert by_id(result)["web/dev"] == ("depends on dns",)


def test_a_dependency_cycle_is_an_error_naming_the_cycle_and_where_to_break_it() -> None:
    config = repo_config(
        environments=ENVIRONMENTS,
        projects=(project("a", depends_on=("b",)), project("b", stack_references=("a",))),
    )

    with pytest.raises(ConfigError) as raised:
        planned(config, modified("stacks/a/x.py"), branch="develop")
    assert raised.value.file == "orchestrator.yaml"
    assert "a -> b -> a" in raised.value.message
    assert "a -> b: depends_on in orchestrator.yaml" in raised.value.message
    assert "b -> a: StackReference in stacks/b/" in raised.value.message


def test_a_cycle_of_stack_references_names_the_files_that_make_it() -> None:
    site = StackReferenceSite(file="stacks/b/__main__.py", line=3, language="python", name="org/a/dev", project="a")
    config = repo_config(
        environments=ENVIRONMENTS,
        projects=(
            project("a", stack_references=("b",)),
            project("b", stack_references=("a",), stack_reference_sites=(site,)),
        ),
    )

    with pytest.raises(ConfigError) as raised:
        project_graph(config)
    assert raised.value.file is None  # nothing in orchestrator.yaml to edit
    assert "b -> a: StackReference in stacks/b/__main__.py:3" in raised.value.message


# --------------------------------------------------------------------------- deleted projects


def _with_legacy() -> RepoConfig:
    """The base commit's configuration: the sample and a project the change deletes."""
    return repo_config(environments=ENVIRONMENTS, projects=(*PROJECTS, project("legacy")))


def test_a_deleted_project_directory_destroys_its_stacks_after_the_rest() -> None:
    loads: list[str] = []

    def base() -> RepoConfig:
        loads.append("base")
        return _with_legacy()

    result = planned(
        SAMPLE,
        (*deleted("stacks/legacy/Pulumi.yaml", "stacks/legacy/__main__.py"), *modified("stacks/app/__main__.py")),
        branch="main",
        base_config=base,
    )

    assert [(s.id, s.operation, s.wave) for s in result.stacks] == [
        ("app/qa", "preview", 0), ("app/uat", "preview", 0), ("app/prod", "preview", 0),
        ("legacy/qa", "destroy", 1), ("legacy/uat", "destroy", 1), ("legacy/prod", "destroy", 1),
    ]
    assert by_id(result)["legacy/prod"] == (
        "project directory stacks/legacy/ deleted; its stack prod will be destroyed",
    )
    assert loads == ["base"]  # read once, for every environment


def test_the_base_configuration_is_read_only_when_a_project_was_deleted() -> None:
    def base() -> RepoConfig:
        raise AssertionError("the base commit was read for a change that deleted no project")

    assert ids(planned(SAMPLE, modified("stacks/app/__main__.py"), branch="develop", base_config=base)) == ["app/dev"]


def test_deleted_projects_are_destroyed_dependents_first() -> None:
    base = repo_config(
        environments=ENVIRONMENTS,
        projects=(*PROJECTS, project("old-db"), project("old-app", stack_references=("old-db",))),
    )
    changes = deleted("stacks/old-db/Pulumi.yaml", "stacks/old-app/Pulumi.yaml")

    result = planned(SAMPLE, changes, branch="develop", base_config=lambda: base)
    stacks = {s.id: s for s in result.stacks}
    assert result.waves == (("old-app/dev",), ("old-db/dev",))
    assert stacks["old-db/dev"].depends_on == ("old-app/dev",)


def test_a_deleted_project_that_others_still_read_is_refused() -> None:
    site = StackReferenceSite(file="stacks/app/__main__.py", line=7, language="python", name="org/legacy/dev",
                              project="legacy")
    reader = project("app", stack_references=("data",), stack_reference_sites=(site,))
    head = repo_config(environments=ENVIRONMENTS, projects=(*PROJECTS[:2], reader))

    result = planned(head, deleted("stacks/legacy/Pulumi.yaml"), branch="develop", base_config=_with_legacy)
    [destroy] = result.stacks
    assert destroy.id == "legacy/dev" and destroy.refusal is not None
    assert "app (stacks/app/__main__.py:7) still reads its outputs" in destroy.refusal


def test_a_removed_project_file_whose_program_stays_is_an_error_not_a_destroy() -> None:
    with pytest.raises(ConfigError) as raised:
        planned(
            SAMPLE,
            deleted("stacks/legacy/Pulumi.yaml"),
            branch="develop",
            base_config=_with_legacy,
            left_behind={"stacks/legacy": ("stacks/legacy/__main__.py",)},
        )
    assert raised.value.file == "stacks/legacy/Pulumi.yaml"
    assert "still holds a program (stacks/legacy/__main__.py)" in raised.value.message


# --------------------------------------------------------------------------- every stack (drift, rollback)


def test_plan_all_runs_every_stack_of_the_environments_one_after_another() -> None:
    result = plan_all(SAMPLE, ["qa", "uat"], operation="drift", head="sha", reason="scheduled drift check")

    assert result.waves == (("network/qa",), ("data/qa",), ("app/qa",), ("network/uat",), ("data/uat",), ("app/uat",))
    assert {s.reasons for s in result.stacks} == {("scheduled drift check",)}
    assert {s.operation for s in result.stacks} == {"drift"}


def test_plan_all_can_be_narrowed_to_projects() -> None:
    result = plan_all(SAMPLE, ["prod"], operation="update", head="sha", projects=["data", "app"], reason="rollback")

    assert result.waves == (("data/prod",), ("app/prod",))
    assert {s.id: s.depends_on for s in result.stacks} == {"data/prod": (), "app/prod": ("data/prod",)}
