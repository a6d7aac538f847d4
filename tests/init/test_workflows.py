"""The CI files `orchestrator init` writes: structure, published schemas, the commands they run,
and their shell steps executed for real (the plan step against a real repository)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import warnings
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml
from click.testing import CliRunner

from orchestrator.cli import cli
from orchestrator.init import InitOptions, run_init
from orchestrator.init.actions import ACTIONS
from tests.support.gitrepo import git
from tests.support.init_repos import PIN, MakeRepo, commit_all, project, write

WORKFLOWS = ".github/workflows"
VENV_BIN = str(Path(sys.executable).parent)


def _load(root: Path, rel: str) -> dict[str, Any]:
    data = yaml.safe_load((root / rel).read_text())
    assert isinstance(data, dict)
    return data


def _vendored_schema(name: str) -> dict[str, Any]:
    # schemastore.org's schemas as vendored by check-jsonschema (a PyPI package).
    text = (resources.files("check_jsonschema.builtin_schemas.vendor") / name).read_text(encoding="utf-8")
    schema = json.loads(text)
    assert isinstance(schema, dict)
    return schema


@pytest.fixture
def repo(make_repo: MakeRepo) -> Path:
    files = {
        **project("infra/network", "network", "dev", "qa", "prod"),
        **project("infra/data", "data", "dev", "qa", "prod"),
        "infra/data/requirements.txt": "pulumi>=3\n",
        "lib/naming.py": "PREFIX = 'acme'\n",
    }
    return make_repo(files, branches=("develop",))


@pytest.fixture
def github(repo: Path) -> Path:
    run_init(repo, InitOptions(ci="github", matrix_threshold=3))
    return repo


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job["steps"]
    assert isinstance(steps, list)
    return steps


def _assert_setup(job: dict[str, Any], *, engine_step: str | None) -> None:
    steps = _steps(job)
    checkout = steps[0]
    assert checkout["uses"] == f"actions/checkout@{ACTIONS['checkout'].sha}"
    assert checkout["with"] == {"fetch-depth": 0, "persist-credentials": False}
    # The orchestrator's own action at the pinned commit sets up Python and installs it.
    assert steps[1]["uses"] == f"acme/gitops-orchestrator@{PIN}"
    assert steps[1]["with"]["python-version"] == "3.11"
    runs = [s.get("run", "") for s in steps]
    uses = [s.get("uses", "") for s in steps]
    if engine_step is not None:
        assert engine_step in runs or engine_step in uses


def _orchestrator_step(job: dict[str, Any]) -> dict[str, Any]:
    found = [s for s in _steps(job) if "orchestrator " in s.get("run", "") and "sandbox" not in s["run"]]
    assert len(found) == 1, found
    return found[0]


def _assert_secrets(step: dict[str, Any]) -> None:
    env = step["env"]
    assert env["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    assert env["GITHUB_TOKEN"] == "${{ github.token }}"


def _assert_environment(job: dict[str, Any], name: str) -> None:
    # Secrets only in a job bound to a GitHub environment (its protection rules apply); no deployment record.
    assert job["environment"] == {"name": name, "deployment": False}


# -- structure ----------------------------------------------------------------------------------


def test_preview_workflow_structure(github: Path) -> None:
    flow = _load(github, f"{WORKFLOWS}/orchestrator-preview.yml")
    assert flow["on"] == {
        "pull_request": {"branches": ["develop", "main"], "types": ["opened", "synchronize", "reopened", "edited"]}
    }
    assert flow["permissions"] == {}  # nothing at the workflow level: each job asks for its own
    assert flow["concurrency"]["cancel-in-progress"] is True
    assert "github.event.pull_request.number" in flow["concurrency"]["group"]
    assert flow["env"]["MATRIX_THRESHOLD"] == "3"

    plan, preview, fan_out = (flow["jobs"][name] for name in ("plan", "preview", "preview-stack"))
    assert plan["permissions"] == {"contents": "read"} and "environment" not in plan
    # An edit runs the previews again only when it changed the base branch.
    assert plan["if"] == "github.event.action != 'edited' || github.event.changes.base != null"
    _assert_setup(plan, engine_step=None)
    assert not any("sandbox" in s.get("run", "") for s in _steps(plan))  # planning runs no program
    plan_step = _orchestrator_step(plan)
    assert plan_step["id"] == "plan"
    assert "orchestrator plan --event pr" in plan_step["run"] and "--format matrix" in plan_step["run"]
    assert plan["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    assert plan["outputs"]["fan_out"] == "${{ steps.plan.outputs.fan_out }}"

    assert preview["needs"] == "plan" and preview["if"] == "needs.plan.outputs.fan_out != 'true'"
    assert preview["permissions"] == {"contents": "read", "pull-requests": "write", "statuses": "write"}
    _assert_environment(preview, "orchestrator-preview")
    _assert_setup(preview, engine_step="orchestrator sandbox start")
    step = _orchestrator_step(preview)
    assert step["run"] == "orchestrator preview --ci github"
    _assert_secrets(step)
    assert any(s.get("run") == "pip install -r infra/data/requirements.txt" for s in _steps(preview))

    assert fan_out["needs"] == "plan" and fan_out["if"] == "needs.plan.outputs.fan_out == 'true'"
    assert fan_out["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert fan_out["strategy"]["fail-fast"] is False
    assert fan_out["permissions"] == {"contents": "read", "statuses": "write"}
    _assert_environment(fan_out, "orchestrator-preview")
    step = _orchestrator_step(fan_out)
    assert 'orchestrator preview --ci github --stack "$STACK" --results-out' in step["run"]
    assert step["env"]["STACK"] == "${{ matrix.stack }}"
    _assert_secrets(step)
    upload = next(s for s in _steps(fan_out) if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "orchestrator-results/"

    # One report job merges the matrix results into the one consolidated comment.
    report = flow["jobs"]["report"]
    assert report["needs"] == ["plan", "preview-stack"]
    assert "always()" in report["if"] and "fan_out == 'true'" in report["if"]
    assert "environment" not in report and "secrets." not in str(report)  # the workflow's token only
    download = next(s for s in _steps(report) if "download-artifact" in s.get("uses", ""))
    assert download["with"]["merge-multiple"] is True
    assert _orchestrator_step(report)["run"] == "orchestrator preview --ci github --from-results orchestrator-results"


def test_deploy_workflow_structure(github: Path) -> None:
    flow = _load(github, f"{WORKFLOWS}/orchestrator-deploy.yml")
    assert flow["on"] == {"push": {"branches": ["develop", "main"]}}
    assert flow["permissions"] == {}
    # One deploy per branch at a time, and a running one is never cancelled.
    assert flow["concurrency"] == {"group": "orchestrator-deploy-${{ github.ref }}", "cancel-in-progress": False}
    (job,) = flow["jobs"].values()
    assert job["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "statuses": "write",
        "deployments": "write",
    }
    _assert_environment(job, "orchestrator-deploy")
    _assert_setup(job, engine_step="orchestrator sandbox start")
    step = _orchestrator_step(job)
    assert step["run"] == "orchestrator deploy --ci github"
    _assert_secrets(step)


def test_drift_workflow_structure(github: Path) -> None:
    flow = _load(github, f"{WORKFLOWS}/orchestrator-drift.yml")
    # dev/qa every 6 hours, prod hourly: a 15-minute cron and `--due` let each keep its own.
    assert flow["on"]["schedule"] == [{"cron": "*/15 * * * *"}]
    assert "workflow_dispatch" in flow["on"]
    assert flow["permissions"] == {}
    (job,) = flow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "issues": "write"}
    _assert_environment(job, "orchestrator-drift")
    step = _orchestrator_step(job)
    assert "orchestrator drift $DUE --format md,json,html --out drift-report --vcs github" in step["run"]
    assert "--due" in step["env"]["DUE"]
    upload = _steps(job)[-1]
    assert upload["uses"] == f"actions/upload-artifact@{ACTIONS['upload_artifact'].sha}" and upload["if"] == "always()"


def test_drift_cron_is_the_environments_own_when_they_share_one(make_repo: MakeRepo) -> None:
    root = make_repo(project("infra/a", "a", "dev", "qa"))
    run_init(root, InitOptions())
    assert _load(root, f"{WORKFLOWS}/orchestrator-drift.yml")["on"]["schedule"] == [{"cron": "0 */6 * * *"}]


def test_pulumi_engine_installs_the_cli_and_passes_its_credentials(repo: Path) -> None:
    run_init(repo, InitOptions(engine="pulumi"))
    flow = _load(repo, f"{WORKFLOWS}/orchestrator-deploy.yml")
    (job,) = flow["jobs"].values()
    _assert_setup(job, engine_step=f"pulumi/actions@{ACTIONS['pulumi'].sha}")
    assert not any("sandbox" in s.get("run", "") for s in _steps(job))
    assert _orchestrator_step(job)["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"


def _aws_step(job: dict[str, Any]) -> dict[str, Any] | None:
    found = [s for s in _steps(job) if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")]
    assert len(found) <= 1
    return found[0] if found else None


def test_pulumi_engine_gets_aws_credentials_from_github_oidc_not_stored_keys(repo: Path) -> None:
    """GitHub's OIDC token, exchanged by the official action for the role in the AWS_ROLE_ARN variable of
    the job's environment: every job that runs the programs has the step and `id-token: write`, before
    the orchestrator runs; no job reads AWS keys from secrets; jobs that run no program get no token."""
    run_init(repo, InitOptions(engine="pulumi", review=True))
    ran = 0
    for name in ("preview", "deploy", "drift", "comment", "review"):
        flow = _load(repo, f"{WORKFLOWS}/orchestrator-{name}.yml")
        assert "AWS_ACCESS_KEY_ID" not in json.dumps(flow) and "AWS_SECRET_ACCESS_KEY" not in json.dumps(flow)
        for job_name, job in flow["jobs"].items():
            step = _aws_step(job)
            runs_programs = any(str(s.get("uses", "")).startswith("pulumi/actions@") for s in _steps(job))
            assert (step is not None) == runs_programs, (name, job_name)
            if step is None:
                assert "id-token" not in job["permissions"], (name, job_name)
                continue
            ran += 1
            assert job["permissions"]["id-token"] == "write"
            assert step["uses"] == f"aws-actions/configure-aws-credentials@{ACTIONS['configure_aws_credentials'].sha}"
            assert step["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
            assert step["with"]["aws-region"] == "${{ vars.AWS_REGION || 'us-east-1' }}"
            assert "aws-access-key-id" not in step["with"]
            steps = _steps(job)
            assert steps.index(step) < steps.index(_orchestrator_step(job)), "credentials before the orchestrator runs"
    assert ran == 7, "preview, preview-stack, deploy, drift, the comment's preview, review up and down"


def test_static_aws_keys_remain_as_the_documented_fallback(repo: Path) -> None:
    run_init(repo, InitOptions(engine="pulumi", aws_credentials="keys"))
    flow = _load(repo, f"{WORKFLOWS}/orchestrator-deploy.yml")
    (job,) = flow["jobs"].values()
    assert _aws_step(job) is None and "id-token" not in job["permissions"]
    env = _orchestrator_step(job)["env"]
    assert env["AWS_ACCESS_KEY_ID"] == "${{ secrets.AWS_ACCESS_KEY_ID }}"
    assert env["AWS_SECRET_ACCESS_KEY"] == "${{ secrets.AWS_SECRET_ACCESS_KEY }}"


def test_gitlab_jobs_get_aws_credentials_from_gitlab_oidc(repo: Path) -> None:
    run_init(repo, InitOptions(ci="gitlab", engine="pulumi"))
    text = (repo / ".gitlab-ci.yml").read_text()
    ci = _load(repo, ".gitlab-ci.yml")
    assert "AWS_ACCESS_KEY_ID" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    for job in ("preview", "deploy", "drift"):
        assert ci[job]["id_tokens"] == {"AWS_OIDC_TOKEN": {"aud": "sts.amazonaws.com"}}
        # Bound to an environment (no deployment recorded), so AWS_ROLE_ARN can be scoped per job.
        assert ci[job]["environment"] == {"name": f"orchestrator-{job}", "action": "access"}
    write_token = next(line for line in ci["default"]["before_script"] if "AWS_WEB_IDENTITY_TOKEN_FILE" in line)
    # The line as the job's shell runs it: the token lands in a file named by AWS_WEB_IDENTITY_TOKEN_FILE.
    out = subprocess.run(["sh", "-c", f'{write_token}; cat "$AWS_WEB_IDENTITY_TOKEN_FILE"'],
                         env={"AWS_OIDC_TOKEN": "eyJ.token.sig", "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True)
    assert out.stdout == "eyJ.token.sig"
    run_init(repo, InitOptions(ci="gitlab", engine="pulumi", aws_credentials="keys", force=True))
    keys = _load(repo, ".gitlab-ci.yml")
    assert "id_tokens" not in keys["deploy"] and "AWS_WEB_IDENTITY_TOKEN_FILE" not in json.dumps(keys)


def test_gitlab_ci_structure(repo: Path) -> None:
    run_init(repo, InitOptions(ci="gitlab"))
    assert not (repo / ".github").exists()
    ci = _load(repo, ".gitlab-ci.yml")
    assert ci["stages"] == ["preview", "deploy", "drift"]
    assert ci["variables"]["GIT_DEPTH"] == "0"
    assert ci["default"]["before_script"][0] == (
        f"python -m pip install 'gitops-orchestrator @ git+https://github.com/acme/gitops-orchestrator@{PIN}'"
    )
    assert "orchestrator sandbox start" in ci["default"]["before_script"]
    rules = [r["if"] for r in ci["workflow"]["rules"]]
    assert '$CI_PIPELINE_SOURCE == "merge_request_event"' in rules
    assert '$CI_PIPELINE_SOURCE == "schedule"' in rules

    assert ci["preview"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert ci["preview"]["script"] == ["orchestrator preview --ci gitlab"]
    assert ci["deploy"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH =~ /^(develop|main)$/'}]
    assert ci["deploy"]["resource_group"] == "orchestrator-deploy-$CI_COMMIT_REF_SLUG"
    assert ci["deploy"]["script"] == ["orchestrator deploy --ci gitlab"]
    assert {"if": '$CI_PIPELINE_SOURCE == "schedule"'} in ci["drift"]["rules"]
    assert any(
        "orchestrator drift --due --format md,json,html --out drift-report --vcs gitlab" in line
        for line in ci["drift"]["script"]
    )
    assert ci["drift"]["artifacts"]["paths"] == ["drift-report/"]
    settings = _load(repo, "orchestrator.yaml")
    assert settings["vcs"] == {"provider": "gitlab", "token_env": "GITLAB_TOKEN"}


def test_gitlab_deploys_are_ordered_oldest_first_by_the_api_call_init_prints(repo: Path) -> None:
    """GitLab's resource groups start waiting jobs in any order by default; only the API sets
    process_mode (https://docs.gitlab.com/api/resource_groups/#edit-an-existing-resource-group)."""
    git(repo, "remote", "add", "origin", "https://bot:glpat-secret@gitlab.example.org/acme/platform/infra.git")
    result = run_init(repo, InitOptions(ci="gitlab"))
    text = (repo / ".gitlab-ci.yml").read_text()
    assert "process_mode: oldest_first" in text and '--data "process_mode=oldest_first"' in text
    calls = {n.split(": ", 1)[0]: n.split(": ", 1)[1] for n in result.notes if "process_mode" in n}
    api = "https://gitlab.example.org/api/v4/projects/acme%2Fplatform%2Finfra/resource_groups"
    assert set(calls) == {
        f"deploys of {b} run in push order once the first deploy pipeline created their resource group and this "
        "is run (GitLab's default starts them in any order)" for b in ("develop", "main")}
    assert sorted(calls.values()) == [
        f'curl --request PUT --header "PRIVATE-TOKEN: $GITLAB_TOKEN" --data "process_mode=oldest_first" '
        f'"{api}/orchestrator-deploy-{slug}"' for slug in ("develop", "main")]
    assert not any("glpat-secret" in n for n in result.notes), "the remote's credentials are not printed"
    shown = CliRunner().invoke(cli, ["init", "--repo", str(repo), "--ci", "gitlab", "--dry-run"])
    assert f'"{api}/orchestrator-deploy-main"' in shown.output


def test_gitlab_ref_slug_is_gitlabs() -> None:
    from orchestrator.init.resource_groups import ref_slug

    assert ref_slug("main") == "main"
    assert ref_slug("Release/2.4_hotfix") == "release-2-4-hotfix"
    assert ref_slug("-" + "x" * 70) == "x" * 62


# -- published schemas ----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["local", "pulumi"])
def test_workflows_validate_against_schemastore_github_workflow_schema(repo: Path, engine: str) -> None:
    run_init(repo, InitOptions(engine=engine, force=True))  # type: ignore[arg-type]
    validator = jsonschema.Draft7Validator(_vendored_schema("github-workflows.json"))
    for name in ("preview", "deploy", "drift", "comment"):
        errors = [e.message for e in validator.iter_errors(_load(repo, f"{WORKFLOWS}/orchestrator-{name}.yml"))]
        assert errors == [], (name, errors)


def test_schema_check_catches_a_broken_workflow(github: Path) -> None:
    # The validation above can fail: a misspelt key is rejected.
    flow = _load(github, f"{WORKFLOWS}/orchestrator-deploy.yml")
    flow["jobs"]["deploy"]["runs_on"] = flow["jobs"]["deploy"].pop("runs-on")
    validator = jsonschema.Draft7Validator(_vendored_schema("github-workflows.json"))
    assert list(validator.iter_errors(flow))


@pytest.mark.parametrize("engine", ["local", "pulumi"])
def test_gitlab_ci_validates_against_schemastore_gitlab_ci_schema(repo: Path, engine: str) -> None:
    run_init(repo, InitOptions(ci="gitlab", engine=engine, force=True))  # type: ignore[arg-type]
    validator = jsonschema.Draft7Validator(_vendored_schema("gitlab-ci.json"))
    errors = [e.message for e in validator.iter_errors(_load(repo, ".gitlab-ci.yml"))]
    assert errors == []


# -- the orchestrator commands they run exist, with those options --------------------------------


def _command_lines(root: Path) -> Iterator[tuple[str, list[str]]]:
    files = [*(root / WORKFLOWS).glob("*.yml")] if (root / WORKFLOWS).exists() else []
    if (root / ".gitlab-ci.yml").exists():
        files.append(root / ".gitlab-ci.yml")
    for path in files:
        text = path.read_text()
        scripts = re.findall(r"(?:run: \|?|- )(.*)", text)
        block_lines = re.findall(r"^\s{10}(.+)$", text, flags=re.MULTILINE)
        for line in [*scripts, *block_lines]:
            for part in re.split(r";|\|\||&&", line):
                part = part.strip()
                if part.startswith("orchestrator "):
                    words = shlex.split(part.split(" > ")[0], comments=True)
                    yield path.name, [_expand(w) for w in words[1:]]


def _expand(word: str) -> str:
    # `$DUE` is unquoted on purpose: it expands to `--due` or to nothing.
    if word == "$DUE":
        return "--due"
    return "X" if word.startswith("$") else word


def _parse(args: list[str]) -> None:
    """Parse like the console script would, without running anything."""
    command: click.Command = cli
    ctx = None
    while isinstance(command, click.Group):
        ctx = command.make_context(command.name or "orchestrator", list(args), parent=ctx)
        with warnings.catch_warnings():  # click 8.2 deprecates protected_args; 8.1 needs it
            warnings.simplefilter("ignore", DeprecationWarning)
            rest = [*ctx.protected_args, *ctx.args]
        if not rest and command.invoke_without_command:
            return  # a group that is also a command (`orchestrator drift`): parsed already
        name, sub, args = command.resolve_command(ctx, rest)
        assert sub is not None, name
        command = sub
    command.make_context(command.name or "", list(args), parent=ctx)


PENDING: set[tuple[str, str]] = set()  # options a generated file needs that the CLI lacks yet


def _pending(args: list[str]) -> bool:
    return any(args and args[0] == cmd and option in args for cmd, option in PENDING)


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_every_orchestrator_command_in_the_ci_files_parses(repo: Path, ci: str) -> None:
    run_init(repo, InitOptions(ci=ci))  # type: ignore[arg-type]
    seen = set()
    for source, args in _command_lines(repo):
        seen.add(args[0])
        if _pending(args):
            continue
        try:
            _parse(args)
        except click.UsageError as exc:
            pytest.fail(f"{source}: orchestrator {' '.join(args)}: {exc.format_message()}")
    expected = {"preview", "deploy", "drift", "sandbox"} | ({"plan", "trust"} if ci == "github" else set())
    assert seen == expected


def test_the_matrix_job_preview_options_exist(github: Path) -> None:
    matrix = [args for _source, args in _command_lines(github) if "--stack" in args or "--from-results" in args]
    assert len(matrix) == 2
    for args in matrix:
        _parse(args)


# -- the shell steps, executed -------------------------------------------------------------------


def _outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: `name=value` lines and `name<<DELIM` blocks."""
    values: dict[str, str] = {}
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        name, sep, rest = lines[i].partition("<<")
        if sep and "=" not in name:
            end = lines.index(rest, i + 1)
            values[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        name, _, value = lines[i].partition("=")
        values[name] = value
        i += 1
    return values


def _run_step(script: str, cwd: Path, env: dict[str, str], tmp: Path) -> tuple[int, dict[str, str], str]:
    output, summary = tmp / "output", tmp / "summary"
    output.write_text("")
    summary.write_text("")
    full_env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        **env,
    }
    full_env.pop("GITHUB_ACTIONS", None)
    # As GitHub runs `run:` scripts: bash --noprofile --norc -eo pipefail {0}
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, _outputs(output), proc.stdout + proc.stderr + summary.read_text()


@pytest.mark.parametrize(("threshold", "fan_out"), [(3, "true"), (10, "false")])
def test_plan_step_emits_the_matrix_and_decides_the_fan_out(
    repo: Path, tmp_path: Path, threshold: int, fan_out: str
) -> None:
    run_init(repo, InitOptions(matrix_threshold=threshold))
    commit_all(repo, "adopt the orchestrator")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "rename-things")
    write(repo, {"lib/naming.py": "PREFIX = 'acme-corp'\n"})  # watched: every project
    head = commit_all(repo, "naming")

    flow = _load(repo, f"{WORKFLOWS}/orchestrator-preview.yml")
    step = _orchestrator_step(flow["jobs"]["plan"])
    code, outputs, log = _run_step(
        step["run"],
        repo,
        {"BASE_SHA": base, "HEAD_SHA": head, "BASE_REF": "main", "MATRIX_THRESHOLD": flow["env"]["MATRIX_THRESHOLD"]},
        tmp_path,
    )
    assert code == 0, log
    matrix = json.loads(outputs["matrix"])  # what fromJSON() reads in the matrix job
    assert sorted(m["stack"] for m in matrix["include"]) == ["data/prod", "data/qa", "network/prod", "network/qa"]
    assert outputs["count"] == "4"
    assert outputs["fan_out"] == fan_out
    assert f"4 stack(s) affected; fan-out over a job matrix: {fan_out}" in log


@pytest.mark.parametrize(("exit_code", "job_passes"), [(0, True), (2, True), (1, False), (3, False)])
def test_drift_step_treats_found_drift_as_a_result_not_a_failure(
    github: Path, tmp_path: Path, exit_code: int, job_passes: bool
) -> None:
    # Only the step's shell logic is under test here: `orchestrator` is a stand-in that records
    # its arguments and exits as told (drift's documented codes: 0 none, 2 found, 1 failed).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in = bin_dir / "orchestrator"
    stand_in.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/args"\nexit {exit_code}\n')
    stand_in.chmod(0o755)
    step = _orchestrator_step(_load(github, f"{WORKFLOWS}/orchestrator-drift.yml")["jobs"]["drift"])
    code, _, log = _run_step(
        step["run"], github, {"DUE": "--due", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}, tmp_path
    )
    assert (code == 0) is job_passes, log
    assert (tmp_path / "args").read_text().split() == [
        "drift",
        "--due",
        "--format",
        "md,json,html",
        "--out",
        "drift-report",
        "--vcs",
        "github",
    ]
