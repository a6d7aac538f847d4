"""What `orchestrator init` leaves a newcomer with: every project a kept project reads through a
StackReference kept too (or a note naming the reference), `.orchestrator/` ignored by Git, and
the next three commands to a first pull-request comment."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from orchestrator.cli.init import init as init_command
from orchestrator.init import InitOptions, run_init
from tests.support.init_repos import MakeRepo, project

READS = "import pulumi\n\nupstream = pulumi.StackReference(f\"acme/{name}/{{pulumi.get_stack()}}\")\n"


def _reader(directory: str, name: str, reads: str, *stacks: str) -> dict[str, str]:
    files = project(directory, name, *stacks)
    files[f"{directory}/__main__.py"] = READS.format(name=reads)
    return files


def _projects(root: Path, env: str) -> list[str] | None:
    data = yaml.safe_load((root / f"environments/{env}.yaml").read_text())
    projects = data.get("projects")
    return None if projects is None else list(projects)


def test_a_project_read_through_a_stack_reference_is_kept_without_its_stack_file(make_repo: MakeRepo) -> None:
    # The sample's shape: app (dev, prod) reads data (prod only), which reads network (dev only).
    root = make_repo({
        **project("stacks/network", "network", "dev"),
        **_reader("stacks/data", "data", "network", "prod"),
        **_reader("stacks/app", "app", "data", "dev", "prod"),
        **project("stacks/tools", "tools", "prod"),
    })

    result = run_init(root, InitOptions(ci="none"))

    assert _projects(root, "dev") == ["app", "data", "network"], "data for app, then network for data"
    assert _projects(root, "prod") is None, "network kept for data: every project"
    assert "environment dev: data kept without a Pulumi.dev.yaml: app reads it (StackReference at " \
        "stacks/app/__main__.py:3)" in result.notes
    assert "environment dev: tools left out (no Pulumi.dev.yaml)" in result.notes
    assert not any("network left out" in note for note in result.notes)


def test_a_reference_to_a_project_outside_the_repository_is_named(make_repo: MakeRepo) -> None:
    root = make_repo({**_reader("infra/app", "app", "shared-network", "dev"), **project("infra/db", "db", "dev")})

    result = run_init(root, InitOptions(ci="none"))

    assert any(
        note.startswith("environment dev: app reads project shared-network (StackReference at infra/app/__main__.py:3)")
        for note in result.notes
    ), result.notes


def test_the_runtime_directory_is_ignored_once(make_repo: MakeRepo) -> None:
    root = make_repo({**project("infra/app", "app", "dev"), ".gitignore": "*.pyc"})

    first = run_init(root, InitOptions(ci="none"))
    assert (root / ".gitignore").read_text() == "*.pyc\n.orchestrator/\n"
    assert {a.path: a.action for a in first.actions}[".gitignore"] == "appended"

    again = run_init(root, InitOptions(ci="none"))
    assert (root / ".gitignore").read_text() == "*.pyc\n.orchestrator/\n"
    assert {a.path: a.action for a in again.actions}[".gitignore"] == "skipped"
    assert again.next_steps == (), "nothing written, nothing new to do"


def test_a_dry_run_leaves_gitignore_alone(make_repo: MakeRepo) -> None:
    root = make_repo(project("infra/app", "app", "dev"))
    result = run_init(root, InitOptions(ci="none", dry_run=True))
    assert not (root / ".gitignore").exists()
    assert {a.path: a.action for a in result.actions}[".gitignore"] == "would write"


def test_init_prints_the_next_three_commands(make_repo: MakeRepo) -> None:
    root = make_repo({**project("infra/app", "app", "dev", "prod")}, branches=("develop",))

    result = CliRunner().invoke(init_command, ["--repo", str(root), "--ci", "github"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Next:"))
    steps = [line.strip() for line in lines[start + 1:]]
    assert steps[0] == (
        "git add .github .gitignore environments orchestrator.yaml && git commit -m 'Adopt the GitOps orchestrator'"
    )
    assert steps[1].startswith("orchestrator sandbox start")
    assert steps[2].startswith(
        "orchestrator preview --base HEAD~1 --head HEAD --branch develop --vcs files --out comments/"
    )
    assert len(steps) == 3


def test_a_plan_on_configuration_not_yet_committed_says_so(make_repo: MakeRepo) -> None:
    from orchestrator.cli import cli

    root = make_repo(project("infra/app", "app", "dev"))
    run_init(root, InitOptions(ci="none"))  # written, not committed

    result = CliRunner().invoke(cli, ["plan", "--repo", str(root), "--base", "HEAD", "--branch", "main"])

    assert result.exit_code == 0, result.output
    assert "no environment tracks branch main" in result.output
    assert "hint: environments/dev.yaml in your working tree track main, but commit" in result.output
    assert "commit the configuration (on main too)" in result.output
