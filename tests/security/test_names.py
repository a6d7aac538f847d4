"""Names that become paths: project names (Pulumi.yaml `name`) and stack names (`stack_name`)
follow Pulumi's rules and hold no `..`, so no state, lock, history or manifest file is written
outside the backend directory; a violation exits 1 naming the file and key. The engine checks
every path it writes again, for specs built without the configuration loader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.errors import UserError
from orchestrator.names import inside, project_name_problem, stack_name_problem
from tests.support.foundation_repo import CliResult, GitFixture

MakeRepo = Callable[..., GitFixture]
RunCli = Callable[..., CliResult]


def _fails(result: CliResult, *fragments: str) -> None:
    assert result.code == 1, (result.code, result.out, result.err)
    assert "Traceback" not in result.err and "internal error" not in result.err
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)


BAD_PROJECT_NAMES = {
    "dot-dot": ('".."', "stacks/data/Pulumi.yaml:1: name: project name '..' is not valid"),
    "dot": ('"."', "project name '.' is not valid"),
    "separator": ('"../../outside"', "project name '../../outside' is not valid"),
    "backslash": ('"a\\\\b"', "is not valid"),
    "space": ('"my project"', "is not valid"),
    "leading digit": ('"1data"', "is not valid"),
    "too long": ('"' + "d" * 101 + '"', "101 characters long; the limit is 100"),
}


@pytest.mark.parametrize("name", sorted(BAD_PROJECT_NAMES))
@pytest.mark.parametrize("command", ["projects", "plan"])
def test_bad_project_names_exit_1_naming_file_and_key(
    make_repo: MakeRepo, run_cli: RunCli, name: str, command: str
) -> None:
    value, message = BAD_PROJECT_NAMES[name]
    repo = make_repo({"stacks/data/Pulumi.yaml": f"name: {value}\nruntime: python\n"})
    _fails(run_cli(command, "--repo", repo.path), "stacks/data/Pulumi.yaml:1: name:", message)


@pytest.mark.parametrize(
    "stack_name", ["../../escape", "..", "{env}/../x", "a b", "{project}..{env}", "org/../{env}", "a/b"]
)
def test_bad_stack_names_exit_1_naming_file_and_key(make_repo: MakeRepo, run_cli: RunCli, stack_name: str) -> None:
    repo = make_repo({"environments/dev.yaml": f"branch: develop\norder: 1\nstack_name: '{stack_name}'\n"})
    _fails(run_cli("environments", "--repo", repo.path), "environments/dev.yaml:3: stack_name:", "is not valid")


def test_pulumi_names_that_are_valid_are_accepted(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo({
        "stacks/data/Pulumi.yaml": "name: _data.store-2\nruntime: python\n",
        "environments/dev.yaml": "branch: develop\norder: 1\nstack_name: '{project}.{env}_1'\n",
    })
    result = run_cli("projects", "--repo", repo.path, "--json")
    assert result.code == 0, result.err
    assert "_data.store-2" in result.out


@pytest.mark.parametrize(
    ("name", "project_ok", "stack_ok"),
    [("dev", True, True), ("9lives", False, True), ("-x", False, True), ("a..b", False, False),
     ("a/b", False, False), ("", False, False), ("x" * 100, True, True), ("é", False, False),
     ("acme/app/dev", False, True), ("acme/../dev", False, False), ("a/b/c/d", False, False)],
)
def test_pulumi_name_rules(name: str, project_ok: bool, stack_ok: bool) -> None:
    assert (project_name_problem(name) is None) == project_ok
    assert (stack_name_problem(name) is None) == stack_ok


def test_every_engine_path_stays_in_the_backend(tmp_path: Path) -> None:
    from orchestrator.engines.local.history import history_dir
    from orchestrator.engines.local.providers.kubernetes import render_path
    from orchestrator.engines.local.state import lock_path, manifests_dir, state_path

    backend = tmp_path / "backend"
    assert state_path(backend, "app", "dev") == backend / ".pulumi" / "stacks" / "app" / "dev.json"
    for build in (state_path, lock_path, history_dir, manifests_dir):
        with pytest.raises(UserError, match="outside the backend directory"):
            build(backend, "..", "../../escape")
    escape = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x/../../../../../escape"}}
    with pytest.raises(UserError, match="outside the backend directory"):
        render_path(manifests_dir(backend, "app", "dev"), escape)
    # A symbolic link inside the backend that points out of it is refused too.
    (backend / ".pulumi" / "stacks").mkdir(parents=True)
    (backend / ".pulumi" / "stacks" / "app").symlink_to(tmp_path)
    with pytest.raises(UserError):
        inside(backend, ".pulumi", "stacks", "app", "dev.json")


def test_the_engine_refuses_a_spec_whose_stack_name_escapes(tmp_path: Path) -> None:
    """A StackSpec built by hand (not through the loader): the update fails with exit-1 text and
    writes nothing outside the backend."""
    from orchestrator.engines.local.engine import LocalEngine
    from orchestrator.models import StackSpec

    project = tmp_path / "repo" / "app"
    project.mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: app\nruntime: python\n")
    (project / "__main__.py").write_text("import pulumi\npulumi.export('x', 1)\n")
    backend = tmp_path / "repo" / "backend"
    spec = StackSpec(project="app", environment="dev", stack_name="../../../../outside", directory=project,
                     backend=f"file://{backend}", config={})
    result = LocalEngine().update(spec)
    assert result.status == "failed"
    assert "outside the backend directory" in (result.error or "")
    assert not list(tmp_path.glob("outside*")) and not list((tmp_path / "repo").glob("outside*"))
