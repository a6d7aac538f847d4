"""The level-triggered deploy plan (orchestrator/converge.py) on plain values: every stack of the
environments a branch feeds is planned from the commit it applied to the pushed head; the
others are left alone, each saying why.

Where a stack stands (a StackPosition) is what flows/positions.py reads from its backend and
Git; here it is given directly, as are the files changed from each applied commit to the head
and the configuration of older commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pytest

from orchestrator.config.resolved import RepoConfig
from orchestrator.converge import LevelInput, StackPosition, Standing, plan_to_head
from orchestrator.engines.applied import AppliedCommit
from orchestrator.models import FileChange, Plan
from orchestrator.stackrefs.scan import StackReferenceSite
from tests.support.plain_config import deleted, env, modified, project, repo_config

HEAD = "c0ffee" + "0" * 34  # the pushed commit
OLD = "a1" * 20  # an ancestor of the head
OLDER = "b2" * 20  # an older ancestor
NEWER = "e5" * 20  # a descendant of the head on the branch (a later push already deployed)
PROJECTS = (
    project("network"),
    project("data", stack_references=("network",)),
    project("app", stack_references=("data",)),
)
CONFIG = repo_config(
    environments=(env("qa", "main", order=1), env("uat", "main", order=2, requires=("qa",))),
    projects=PROJECTS,
)


def at(stack: str, standing: Standing, commit: str | None = None, *, flow: str = "deploy",
       destroyed: bool = False, error: str | None = None) -> StackPosition:
    """`project/env` standing at `commit`, as its backend recorded it."""
    project_name, environment = stack.split("/")
    applied = None if commit is None else AppliedCommit(commit, flow, "destroy" if destroyed else "update")
    return StackPosition(project_name, environment, standing, applied, "backend" if applied else "none", error)


def no_older_config(commit: str) -> RepoConfig:
    raise AssertionError(f"commit {commit}'s configuration was read, though nothing needs it")


def converge(
    *positions: StackPosition,
    changes: Mapping[str, tuple[FileChange, ...]] | None = None,
    config: RepoConfig = CONFIG,
    environments: tuple[str, ...] = ("qa",),
    base_config: Callable[[str], RepoConfig] = no_older_config,
    **options: object,
) -> Plan:
    given = LevelInput(
        head_config=config, branch="main", head=HEAD, environments=environments,
        positions={p.id: p for p in positions}, changes=changes or {}, **options,  # type: ignore[arg-type]
    )
    return plan_to_head(given, base_config=base_config)


def everywhere(standing: Standing, commit: str | None, env_name: str = "qa",
               projects: Iterable[str] = ("network", "data", "app")) -> list[StackPosition]:
    return [at(f"{name}/{env_name}", standing, commit) for name in projects]


def reasons(result: Plan) -> dict[str, tuple[str, ...]]:
    return {s.id: s.reasons for s in result.stacks}


def left_alone(result: Plan) -> dict[str, tuple[str, str]]:
    """stack id -> (the commit it stays at, why)."""
    return {u.id: (u.commit, u.reason) for u in result.current}


# --------------------------------------------------------------------------- never deployed, at the head


def test_stacks_never_deployed_are_deployed_whole_environment_after_environment() -> None:
    result = converge(environments=("qa", "uat"))  # no position recorded: never deployed

    assert result.event == "push" and {s.operation for s in result.stacks} == {"update"}
    assert result.waves == (("network/qa",), ("data/qa",), ("app/qa",), ("network/uat",), ("data/uat",), ("app/uat",))
    assert reasons(result)["network/uat"] == ("never deployed in uat: all of it",)
    assert reasons(result)["data/qa"] == ("never deployed in qa: all of it",)
    assert (result.base, result.changed_files, result.current) == (HEAD, (), ())


def test_stacks_already_at_the_head_are_left_alone_and_say_so() -> None:
    result = converge(*everywhere("current", HEAD))

    assert result.stacks == ()
    assert left_alone(result) == {s: (HEAD, f"already at {HEAD[:12]}") for s in ("network/qa", "data/qa", "app/qa")}


def test_redeploy_runs_the_stacks_already_at_the_head_again() -> None:
    result = converge(*everywhere("current", HEAD), redeploy=True)

    assert result.waves == (("network/qa",), ("data/qa",), ("app/qa",))
    assert reasons(result)["network/qa"] == (f"already at {HEAD[:12]}; redeploy requested",)
    assert result.current == ()


# --------------------------------------------------------------------------- behind: from its own commit


def test_a_stack_behind_runs_for_what_changed_since_its_own_applied_commit() -> None:
    result = converge(*everywhere("behind", OLD), changes={OLD: modified("stacks/app/__main__.py")})

    assert reasons(result) == {"app/qa": (f"at {OLD[:12]}; since then: changed stacks/app/__main__.py",)}
    assert left_alone(result) == {
        "network/qa": (OLD, f"at {OLD[:12]}; nothing since affects it"),
        "data/qa": (OLD, f"at {OLD[:12]}; nothing since affects it"),
    }
    assert (result.base, result.changed_files) == (OLD, ("stacks/app/__main__.py",))


def test_a_cancelled_run_is_covered_by_the_next_one_from_each_stacks_commit() -> None:
    # The run for OLDER..OLD was cancelled: network still runs OLDER, the others got OLD.
    changes = {
        OLDER: modified("stacks/network/__main__.py", "stacks/app/__main__.py"),
        OLD: modified("stacks/app/__main__.py"),
    }
    result = converge(at("network/qa", "behind", OLDER), at("data/qa", "behind", OLD), at("app/qa", "behind", OLD),
                      changes=changes)

    assert reasons(result) == {
        "network/qa": (f"at {OLDER[:12]}; since then: changed stacks/network/__main__.py",),
        "data/qa": ("depends on network",),
        "app/qa": (f"at {OLD[:12]}; since then: changed stacks/app/__main__.py",),
    }
    assert result.waves == (("network/qa",), ("data/qa",), ("app/qa",))
    assert result.base == OLD  # the commit most stacks start from
    assert result.changed_files == ("stacks/app/__main__.py", "stacks/network/__main__.py")


def test_a_dependent_left_behind_by_a_failed_run_runs_once_its_upstream_is_at_the_head() -> None:
    # The run for OLD..HEAD updated network, then data failed (or the run was cancelled): data and
    # app still run OLD, and what changed since OLD (network) is what they read.
    result = converge(at("network/qa", "current", HEAD), at("data/qa", "behind", OLD), at("app/qa", "behind", OLD),
                      changes={OLD: modified("stacks/network/__main__.py")})

    assert reasons(result) == {"data/qa": ("depends on network",), "app/qa": ("depends on data",)}


def test_a_stack_config_file_changed_since_runs_that_stack_and_its_dependents_only() -> None:
    positions = [*everywhere("behind", OLD, "qa"), *everywhere("behind", OLD, "uat")]
    result = converge(*positions, changes={OLD: modified("stacks/network/Pulumi.uat.yaml")},
                      environments=("qa", "uat"))

    assert result.waves == (("network/uat",), ("data/uat",), ("app/uat",))
    assert reasons(result)["network/uat"] == (f"at {OLD[:12]}; since then: changed stacks/network/Pulumi.uat.yaml",)
    assert {s for s in left_alone(result) if s.endswith("/qa")} == {"network/qa", "data/qa", "app/qa"}


def test_settings_changed_in_orchestrator_yaml_since_are_read_from_the_applied_commit() -> None:
    before = repo_config(environments=CONFIG.environments.values(), projects=PROJECTS)
    head = repo_config(environments=CONFIG.environments.values(),
                       projects=(*PROJECTS[:2], project("app", stack_references=("data",), watch=("lib/web/**",))))
    read: list[str] = []

    def config_at(commit: str) -> RepoConfig:
        read.append(commit)
        return before

    result = converge(*everywhere("behind", OLD), config=head, changes={OLD: modified("orchestrator.yaml")},
                      base_config=config_at)

    assert reasons(result) == {"app/qa": (f"at {OLD[:12]}; since then: its settings in orchestrator.yaml changed",)}
    assert read == [OLD]


# --------------------------------------------------------------------------- never backwards


def test_a_stack_at_a_newer_commit_is_never_taken_back() -> None:
    # A later push's run finished first: data already runs NEWER; this run is for HEAD.
    result = converge(at("network/qa", "behind", OLD), at("data/qa", "ahead", NEWER), at("app/qa", "behind", OLD),
                      changes={OLD: modified("stacks/network/__main__.py")})

    assert reasons(result) == {"network/qa": (f"at {OLD[:12]}; since then: changed stacks/network/__main__.py",)}
    assert left_alone(result)["data/qa"] == (NEWER, f"already at {NEWER[:12]}, which includes {HEAD[:12]}")
    # app reads network only through data, which does not run: app has nothing to pick up.
    assert left_alone(result)["app/qa"] == (OLD, f"at {OLD[:12]}; nothing since affects it")


def test_a_rolled_back_stack_rolls_forward_and_says_from_where() -> None:
    result = converge(at("network/qa", "behind", OLD, flow="rollback"),
                      *everywhere("current", HEAD, "qa", ("data", "app")),
                      changes={OLD: modified("stacks/network/__main__.py")})

    assert reasons(result)["network/qa"] == (
        f"rolled back to {OLD[:12]}; since then: changed stacks/network/__main__.py",
    )
    assert reasons(result)["data/qa"] == ("depends on network",)


def test_a_stack_off_the_branch_is_planned_from_its_commit() -> None:
    result = converge(at("network/qa", "off-branch", OLD), *everywhere("current", HEAD, "qa", ("data", "app")),
                      changes={OLD: modified("stacks/network/__main__.py")})

    assert reasons(result)["network/qa"] == (
        f"off the branch at {OLD[:12]}; since then: changed stacks/network/__main__.py",
    )
    assert result.base == OLD


@pytest.mark.parametrize(("standing", "destroyed", "error", "reason"), [
    ("destroyed", True, None, f"destroyed at {OLD[:12]}: all of it again"),
    ("unknown", False, None, f"its applied commit {OLD[:12]} is not in this repository: all of it"),
    ("unreadable", False, "the backend answered 403", "its applied commit could not be read: the backend answered 403"),
])
def test_a_stack_whose_commit_cannot_be_compared_is_deployed_whole(
    standing: Standing, destroyed: bool, error: str | None, reason: str
) -> None:
    commit = None if standing == "unreadable" else OLD
    result = converge(at("audit/qa", standing, commit, destroyed=destroyed, error=error),
                      config=repo_config(environments=CONFIG.environments.values(), projects=(project("audit"),)))

    assert reasons(result) == {"audit/qa": (reason,)}
    assert result.base == HEAD  # nothing planned from an older commit


# --------------------------------------------------------------------------- deleted projects


def _with_legacy() -> RepoConfig:
    """The configuration of a commit that still had the project `legacy`."""
    return repo_config(environments=CONFIG.environments.values(), projects=(*PROJECTS, project("legacy")))


def test_a_project_deleted_since_is_destroyed_last_from_the_commit_that_still_had_it() -> None:
    read: list[str] = []

    def config_at(commit: str) -> RepoConfig:
        read.append(commit)
        return _with_legacy()

    changes = {OLD: (*deleted("stacks/legacy/Pulumi.yaml", "stacks/legacy/__main__.py"),
                     *modified("stacks/app/__main__.py"))}
    result = converge(*everywhere("behind", OLD), changes=changes, base_config=config_at)

    assert [(s.id, s.operation, s.wave, s.base) for s in result.stacks] == [
        ("app/qa", "update", 0, None),
        ("legacy/qa", "destroy", 1, OLD),
    ]
    assert reasons(result)["legacy/qa"] == ("project directory stacks/legacy/ deleted; its stack qa will be destroyed",)
    assert result.stacks[1].refusal is None
    assert read == [OLD]


def test_a_destroy_left_pending_is_found_again_from_the_pushs_before() -> None:
    # Every stack moved on to the head; the push's `before` still had the deleted project.
    result = converge(*everywhere("current", HEAD), changes={OLDER: deleted("stacks/legacy/Pulumi.yaml")},
                      destroy_bases=(OLDER,), base_config=lambda commit: _with_legacy())

    [destroy] = result.stacks
    assert (destroy.id, destroy.operation, destroy.base) == ("legacy/qa", "destroy", OLDER)


def test_a_deleted_project_the_head_still_reads_is_refused() -> None:
    site = StackReferenceSite(file="stacks/app/__main__.py", line=4, language="python", name="org/legacy/qa",
                              project="legacy")
    head = repo_config(environments=CONFIG.environments.values(),
                       projects=(*PROJECTS[:2],
                                 project("app", stack_references=("data",), stack_reference_sites=(site,))))

    result = converge(*everywhere("behind", OLD), config=head, changes={OLD: deleted("stacks/legacy/Pulumi.yaml")},
                      base_config=lambda commit: _with_legacy())

    [destroy] = result.stacks
    assert destroy.refusal is not None and "app (stacks/app/__main__.py:4) still reads its outputs" in destroy.refusal
