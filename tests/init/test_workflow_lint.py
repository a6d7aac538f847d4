"""Every generated CI file under the linters: zizmor and actionlint for GitHub (and zizmor for the
repository's own action.yml), check-jsonschema for GitLab; plus the rules the linters cannot see
whole: SHA pins that match init/actions.py, no persisted checkout token, job-level permissions
only, secrets only in jobs bound to an environment, and the comment workflow's order (trust first,
the pull request's code after).

zizmor runs offline (no GitHub API here): its online audits (impostor commits, known
vulnerable action versions) do not run; the SHAs were taken from the actions' own repositories
(see init/actions.py)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.config.resolved import InstallSource
from orchestrator.init import InitOptions, run_init
from orchestrator.init.actions import ACTIONS
from tests.support.init_repos import PIN, MakeRepo, project

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKFLOWS = ".github/workflows"
WHEEL = "https://files.example.com/gitops_orchestrator-0.1.0-py3-none-any.whl"
SOURCES = {
    "action": InstallSource(git="https://github.com/acme/gitops-orchestrator", commit=PIN),
    "pip": InstallSource(wheel=WHEEL, sha256="ab" * 32),
    "unpinned": None,
}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", re.MULTILINE)


def tool(name: str) -> str:
    found = BIN / name
    if not found.exists():
        which = shutil.which(name)
        assert which, f"{name} is not installed: it comes with the dev extra (pip install -e '.[dev]')"
        return which
    return str(found)


# The pulumi engine's AWS credentials: GitHub's OIDC token for a role (the default), or static keys.
VARIANTS = [*((engine, source, "oidc") for engine in ("local", "pulumi") for source in SOURCES),
            ("pulumi", "action", "keys")]


@pytest.fixture(params=VARIANTS, ids=lambda p: "-".join(p))
def generated(request: pytest.FixtureRequest, make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> Path:
    engine, source, credentials = request.param
    monkeypatch.setattr("orchestrator.init.install.installed_from", lambda distribution="": (SOURCES[source], "t"))
    root = make_repo({**project("infra/network", "network", "dev", "prod"), **project("infra/data", "data", "dev"),
                      "infra/data/requirements.txt": "pulumi>=3\n"}, branches=("develop",))
    run_init(root, InitOptions(ci="github", engine=engine, review=True,  # type: ignore[arg-type]
                               aws_credentials=credentials))  # type: ignore[arg-type]
    return root


def workflows(root: Path) -> list[Path]:
    found = sorted((root / WORKFLOWS).glob("*.yml"))
    assert [p.name for p in found] == ["orchestrator-comment.yml", "orchestrator-deploy.yml",
                                       "orchestrator-drift.yml", "orchestrator-preview.yml", "orchestrator-review.yml"]
    return found


# -- the linters ----------------------------------------------------------------------------------


def zizmor(*paths: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # The auditor persona: every audit, including the pedantic ones (secrets outside environments).
    return subprocess.run([tool("zizmor"), "--offline", "--no-progress", "--persona=auditor", "--format=plain",
                           *map(str, paths)], cwd=cwd, capture_output=True, text=True, check=False)


def test_zizmor_finds_nothing_in_the_generated_workflows(generated: Path) -> None:
    done = zizmor(*workflows(generated), cwd=generated)
    assert done.returncode == 0, done.stdout + done.stderr
    # The one finding kept on purpose is ignored in place (docs/security.md says why): issue_comment.
    comment = (generated / WORKFLOWS / "orchestrator-comment.yml").read_text()
    assert comment.count("zizmor: ignore[") == 1 and "issue_comment:  # zizmor: ignore[dangerous-triggers]" in comment


def test_actionlint_finds_nothing_in_the_generated_workflows(generated: Path) -> None:
    done = subprocess.run([tool("actionlint"), "-no-color", *map(str, workflows(generated))], cwd=generated,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_linters_do_find_what_the_templates_avoid(generated: Path) -> None:
    # A tag pin, a persisted token and workflow-wide write permissions: both tools must object.
    flow = generated / WORKFLOWS / "orchestrator-deploy.yml"
    text = flow.read_text()
    text = re.sub(r"actions/checkout@\S+", "actions/checkout@v4", text)
    text = text.replace("persist-credentials: false", "persist-credentials: true")
    text = text.replace("permissions: {}", "permissions: write-all")
    flow.write_text(text)
    findings = zizmor(flow, cwd=generated).stdout
    for audit in ("unpinned-uses", "artipacked", "excessive-permissions"):
        assert audit in findings, findings
    broken = generated / WORKFLOWS / "orchestrator-drift.yml"
    broken.write_text(broken.read_text().replace("needs: ", "needz: ").replace("runs-on:", "runs_on:"))
    done = subprocess.run([tool("actionlint"), "-no-color", str(broken)], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "runs_on" in done.stdout


def test_the_repository_s_own_action_is_clean_and_pinned() -> None:
    done = zizmor(ROOT / "action.yml", cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    checked = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions",
                              str(ROOT / "action.yml")], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert f"uses: {ACTIONS['setup_python']}" in (ROOT / "action.yml").read_text()


@pytest.mark.parametrize("engine", ["local", "pulumi"])
def test_check_jsonschema_accepts_the_gitlab_ci_file(make_repo: MakeRepo, engine: str) -> None:
    root = make_repo(project("infra/a", "a", "dev", "prod"))
    run_init(root, InitOptions(ci="gitlab", engine=engine))  # type: ignore[arg-type]
    done = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci",
                           str(root / ".gitlab-ci.yml")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


# -- the rules, checked on the parsed files ---------------------------------------------------------


def test_every_action_is_pinned_by_sha_with_its_version(generated: Path) -> None:
    pins = {pin.repository: pin for pin in ACTIONS.values()}
    for path in workflows(generated):
        for target, rest in USES.findall(path.read_text()):
            repository, _, ref = target.partition("@")
            assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{path.name}: {target} is not pinned to a commit"
            if repository == "acme/gitops-orchestrator":
                assert ref == PIN  # the orchestrator's own action, at ci.install's commit
            else:
                assert ref == pins[repository].sha and rest.strip() == f"# {pins[repository].version}", target


def jobs(path: Path) -> dict[str, dict[str, Any]]:
    flow = yaml.safe_load(path.read_text())
    assert flow["permissions"] == {}, f"{path.name}: permissions belong to jobs"
    return dict(flow["jobs"])


def test_checkouts_keep_no_token_and_jobs_get_least_privilege(generated: Path) -> None:
    for path in workflows(generated):
        for name, job in jobs(path).items():
            assert "permissions" in job and job["permissions"].get("contents") == "read", (path.name, name)
            writes = {scope for scope, level in job["permissions"].items() if level == "write"}
            allowed = {"pull-requests", "statuses", "deployments", "issues", "id-token"}
            assert writes <= allowed, (path.name, name, writes)
            # An OIDC token only for a job that exchanges it for AWS credentials, in an environment.
            exchanges = any(str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")
                            for s in job["steps"])
            assert ("id-token" in writes) == exchanges, (path.name, name)
            if exchanges:
                assert job["environment"]["name"].startswith("orchestrator-"), (path.name, name)
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, (path.name, name)


def test_secrets_only_in_jobs_bound_to_an_environment(generated: Path) -> None:
    for path in workflows(generated):
        for name, job in jobs(path).items():
            if "secrets." in json.dumps(job):
                assert job.get("environment", {}).get("name", "").startswith("orchestrator-"), (path.name, name)
            assert "secrets.GITHUB_TOKEN" not in json.dumps(job)  # the workflow's own token is github.token


def test_the_comment_workflow_checks_trust_before_it_checks_out_the_pull_request(generated: Path) -> None:
    flow = yaml.safe_load((generated / WORKFLOWS / "orchestrator-comment.yml").read_text())
    assert flow["on"] == {"issue_comment": {"types": ["created"]}}
    trust, preview = flow["jobs"]["trust"], flow["jobs"]["preview"]
    assert "github.event.issue.pull_request" in trust["if"] and "/orchestrator preview" in trust["if"]
    assert trust["permissions"] == {"contents": "read", "pull-requests": "read"} and "environment" not in trust
    [checkout] = [s for s in trust["steps"] if "checkout@" in str(s.get("uses"))]
    assert "ref" not in checkout["with"]  # the repository's own code: the event's commit on the default branch
    assert any(s.get("run") == "orchestrator trust --ci github" for s in trust["steps"])
    assert not any("sandbox" in str(s.get("run")) or "requirements" in str(s.get("run")) for s in trust["steps"])

    assert preview["needs"] == "trust" and preview["if"] == "needs.trust.outputs.trusted == 'true'"
    assert preview["environment"] == {"name": "orchestrator-preview", "deployment": False}
    [checkout] = [s for s in preview["steps"] if "checkout@" in str(s.get("uses"))]
    assert checkout["with"]["ref"] == "${{ needs.trust.outputs.head_sha }}"  # exactly the commit judged
    run = next(s for s in preview["steps"] if str(s.get("run", "")).startswith("orchestrator preview"))
    assert run["env"]["HEAD_SHA"] == "${{ needs.trust.outputs.head_sha }}"  # through env, never inline
    assert "${{" not in run["run"]
    # Any other comment runs the workflow with both jobs skipped: only the preview job may cancel one.
    assert flow["concurrency"]["group"] == "orchestrator-comment-${{ github.event.comment.id }}"
    assert flow["concurrency"]["cancel-in-progress"] is False
    assert preview["concurrency"]["group"] == "orchestrator-preview-${{ github.event.issue.number }}"
