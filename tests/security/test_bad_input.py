"""Bad input through the real CLI gets a clear answer, never exit 3: YAML with duplicate keys
or alias bombs (orchestrator.yaml, environments, Pulumi.yaml, Pulumi.<stack>.yaml,
PulumiPolicy.yaml, all through one loader), dependency cycles and self-dependencies, a
directory where a file is expected, an unreadable file, a commit holding a file name that is
not UTF-8, and numbers past any sane bound."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.errors import ConfigError, UserError
from tests.security.planted import GITHUB_TOKEN
from tests.support.foundation_repo import CliResult, GitFixture

MakeRepo = Callable[..., GitFixture]
RunCli = Callable[..., CliResult]
ORCHESTRATOR = Path(__file__).resolve().parents[2] / "orchestrator"


def _fails(result: CliResult, *fragments: str, code: int = 1) -> None:
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err and "internal error" not in result.err
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)


def bomb(levels: int = 9) -> str:
    lines = ['  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


YAML_ERRORS = {
    "alias bomb in an environment's config": (
        {"environments/dev.yaml": "branch: develop\norder: 1\nconfig:\n" + bomb()},
        ["environments/dev.yaml:5: aliases expand to more than 100,000 values"],
    ),
    "alias that contains itself": (
        {"environments/dev.yaml": "branch: develop\nconfig: &c\n  x: *c\n"},
        ["environments/dev.yaml:3: an alias refers to the value that contains it"],
    ),
    "duplicate key in an environment": (
        {"environments/prod.yaml": "branch: main\norder: 4\nprotected: true\nprotected: false\n"},
        ["environments/prod.yaml:4: duplicate key 'protected' (first at line 3)"],
    ),
    "duplicate key in orchestrator.yaml": (
        {"orchestrator.yaml": "watch: ['lib/**']\nprojects:\n  app: {}\n  app: {depends_on: [network]}\n"},
        ["orchestrator.yaml:4: duplicate key 'app' (first at line 3)"],
    ),
    "duplicate key in Pulumi.yaml": (
        {"stacks/app/Pulumi.yaml": "name: app\nruntime: python\nname: other\n"},
        ["stacks/app/Pulumi.yaml:3: duplicate key 'name' (first at line 1)"],
    ),
    "deeply nested YAML": (
        {"environments/dev.yaml": "branch: develop\nconfig: " + "[" * 20_000 + "]" * 20_000 + "\n"},
        ["environments/dev.yaml:2:", "nesting depth"],
    ),
    "project depending on itself": (
        {"orchestrator.yaml": "projects:\n  app:\n    depends_on: [network, app]\n"},
        ["orchestrator.yaml:3: projects.app.depends_on[1]: a project cannot depend on itself"],
    ),
    "requires cycle": (
        {"environments/qa.yaml": "branch: main\norder: 2\nrequires: [prod]\n"},
        ["environments/prod.yaml:3: requires: environments require each other in a cycle: prod -> uat -> qa -> prod"],
    ),
    "environment requiring itself": (
        {"environments/dev.yaml": "branch: develop\norder: 1\nrequires: [dev]\n"},
        ["environments/dev.yaml:3: requires: environments require each other in a cycle: dev -> dev"],
    ),
    "depends_on cycle": (
        {"orchestrator.yaml": "projects:\n  network:\n    depends_on: [app]\n"},
        ["projects depend on each other in a cycle", "network -> app: depends_on in orchestrator.yaml"],
    ),
}


@pytest.mark.parametrize("case", sorted(YAML_ERRORS))
@pytest.mark.parametrize("command", ["projects", "environments", "plan"])
def test_yaml_and_dependency_errors_in_every_command(
    make_repo: MakeRepo, run_cli: RunCli, case: str, command: str
) -> None:
    files, fragments = YAML_ERRORS[case]
    repo = make_repo(files)
    started = time.monotonic()
    args = ("--base", "main", "--branch", "main") if command == "plan" else ()
    _fails(run_cli(command, "--repo", repo.path, *args), *fragments)
    assert time.monotonic() - started < 20  # refused before anything expands the bomb


def test_stack_config_and_policy_files_go_through_the_same_loader(tmp_path: Path) -> None:
    from orchestrator.engines.local.secrets import load_stack_config
    from orchestrator.policy.analyzer import PackError
    from orchestrator.policy.launch import _runtime

    project = tmp_path / "app"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: app\nruntime: python\n")
    (project / "Pulumi.dev.yaml").write_text("config:\n  app:size: 1\n  app:size: 2\n")
    with pytest.raises(UserError, match=r"Pulumi.dev.yaml:3: duplicate key 'app:size'"):
        load_stack_config(project, "app", "dev", {}, None)
    (project / "Pulumi.dev.yaml").write_text("config:\n  app:list:\n" + bomb().replace("  ", "    ", 1))
    with pytest.raises(UserError, match="aliases expand"):
        load_stack_config(project, "app", "dev", {}, None)
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nruntime: nodejs\n")
    with pytest.raises(PackError, match="duplicate key 'runtime'"):
        _runtime(pack)


def test_one_yaml_loader() -> None:
    """Every YAML read in the package goes through orchestrator/yamlfile.py (the stack file's
    round-trip writer, which keeps comments, is the one other user of a YAML library)."""
    pattern = re.compile(r"yaml\.(safe_load|load|full_load|unsafe_load)\(|YAML\(\)")
    found = {
        str(path.relative_to(ORCHESTRATOR.parent))
        for path in ORCHESTRATOR.rglob("*.py")
        if pattern.search(path.read_text()) and path.name != "yamlfile.py"
    }
    assert found == {"orchestrator/engines/pulumi_config.py"}


def test_orchestrator_yaml_as_a_directory(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo({"orchestrator.yaml/notes.txt": "oops\n"})
    for command in (("projects",), ("plan", "--base", "main", "--branch", "main")):
        _fails(run_cli(*command, "--repo", repo.path), "orchestrator.yaml: is a directory, not a file")


def test_an_unreadable_environment_file(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo()
    loop = repo.path / "environments" / "loop.yaml"
    loop.symlink_to(loop.name)  # a link to itself: exists as a name, cannot be read (ELOOP), even as root
    _fails(run_cli("environments", "--repo", repo.path), "environments/loop.yaml: cannot be read")


def test_a_commit_with_a_file_name_that_is_not_utf8(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo()
    (repo.path / "stacks" / "app").joinpath(b"\xff\xfe-notes.txt".decode("utf-8", "surrogateescape")).write_text("x")
    subprocess.run(["git", "add", "-A"], cwd=repo.path, check=True)
    repo.commit(message="a Latin-1 file name")
    _fails(run_cli("plan", "--repo", repo.path, "--base", "HEAD~1", "--event", "push", "--branch", "main"),
           "holds a file whose name is not UTF-8: 'stacks/app/\\xff\\xfe-notes.txt'", "git mv")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("history", "--limit", "99999999999999999999"), "is not in the range 1<=x<=100000"),
        (("preview", "--base", "main", "--pr", "99999999999999999999"), "is not in the range 1<=x<=2147483647"),
        (("deploy", "--concurrency", "100000000"), "is not in the range 1<=x<=1024"),
        (("deploy", "--lock-wait", "1e308"), "is not in the range 0<=x<=604800"),
    ],
)
def test_numbers_past_their_bounds_are_usage_errors(make_repo: MakeRepo, run_cli: RunCli, args: tuple[str, ...],
                                                    fragment: str) -> None:
    repo = make_repo()
    _fails(run_cli(*args, "--repo", repo.path), fragment, code=2)


def test_yaml_errors_name_file_and_line() -> None:
    from orchestrator.yamlfile import parse

    with pytest.raises(ConfigError) as raised:
        parse(b"a: 1\nb:\n  c: 2\n  c: 3\n", file="x.yaml")
    assert raised.value.message == "x.yaml:4: duplicate key 'c' (first at line 3)"
    assert parse(b"base: &b {k: 1}\nother:\n  <<: *b\n  k: 2\n", file="x.yaml") == {
        "base": {"k": 1}, "other": {"k": 2}}  # a merge key overriding is not a duplicate


@pytest.mark.parametrize(
    ("files", "where"),
    [
        ({"environments/dev.yaml": "branch: develop\nnotify:\n  webhook_url_env: https://hooks.slack.com/services/"
          "T0AB12CD/B0EF34GH/Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2\n"}, "environments/dev.yaml:3: notify.webhook_url_env"),
        ({"orchestrator.yaml": f"vcs:\n  token_env: {GITHUB_TOKEN}\n"}, "orchestrator.yaml:2: vcs.token_env"),
        ({"environments/dev.yaml": "branch: develop\nconfig:\n  app:\n    api_token:\n"
          f"      secret_env: {GITHUB_TOKEN}\n"},
         "environments/dev.yaml:2: config: app.api_token: secret_env"),
    ],
)
def test_a_secret_written_where_a_variable_name_belongs(make_repo: MakeRepo, run_cli: RunCli,
                                                         files: dict[str, str], where: str) -> None:
    """The careless way: the webhook URL or the token itself in a `*_env` key (or in a config
    value's `secret_env`). Refused (it would
    be looked up as a variable's name, and echoed in every message naming the variable), and
    the value is not printed back."""
    repo = make_repo(files)
    for command in ("environments", "projects"):
        result = run_cli(command, "--repo", repo.path)
        _fails(result, where, "must be the name of an environment variable")
        assert "Zx9Yw8Vu7Ts6" not in result.err + result.out and GITHUB_TOKEN not in result.err + result.out


@pytest.mark.parametrize("since", ["99999999999999999999d", "99999999w"])
def test_a_time_span_past_any_calendar(make_repo: MakeRepo, run_cli: RunCli, since: str) -> None:
    """`insights --since` overflowed Python's dates (exit 3); now exit 1 saying the bound."""
    repo = make_repo()
    _fails(run_cli("insights", "--since", since, "--repo", repo.path), "--since:", "longer than 3660 days")


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"environments/dev.yaml": None, "environments/dev.yaml/notes.txt": "oops\n"},
         "environments/dev.yaml: is a directory, not a file"),
        ({**{f"environments/{env}.yaml": None for env in ("dev", "qa", "uat", "prod")}, "environments": "oops\n"},
         "environments: is a file, not a directory"),
    ],
    ids=["an environment file that is a directory", "the environments directory that is a file"],
)
def test_environments_in_the_wrong_shape(make_repo: MakeRepo, run_cli: RunCli, files: dict[str, str | None],
                                         fragment: str) -> None:
    """Both made an environment silently disappear (exit 0, nothing deployed there)."""
    repo = make_repo()
    repo.write({path: None for path, content in files.items() if content is None})  # removed first
    repo.commit({path: content for path, content in files.items() if content is not None}, message="reshaped")
    for command in (("projects",), ("plan", "--base", "HEAD~1", "--branch", "main", "--event", "push")):
        _fails(run_cli(*command, "--repo", repo.path), fragment)
