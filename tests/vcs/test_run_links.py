"""Statuses link to the run that posted them, and trust.teams says what token it needs.

The GitHub side runs against the spec-validated stand-in; the CI variables are the ones
GitHub Actions and GitLab CI document for a job's environment.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from orchestrator.config.resolved import Settings
from orchestrator.flows.trust import is_trusted_user
from orchestrator.vcs import make_vcs
from orchestrator.vcs.github import GitHubClient
from orchestrator.vcs.run_link import ci_run_url
from tests.support.github_standin import GitHubStandIn

HEAD = "a" * 40
RUN = "https://github.com/acme/infra/actions/runs/4242"


def actions_env(standin: GitHubStandIn, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": standin.full_name,
        "GITHUB_RUN_ID": "4242",
        "GITHUB_API_URL": standin.base_url,
        "GITHUB_TOKEN": standin.token,
        **extra,
    }


def test_the_ci_run_page_from_each_ci_s_variables() -> None:
    github = {"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/infra",
              "GITHUB_RUN_ID": "4242"}
    assert ci_run_url(github) == RUN
    enterprise = {**github, "GITHUB_SERVER_URL": "https://ghe.example.com/"}
    assert ci_run_url(enterprise) == "https://ghe.example.com/acme/infra/actions/runs/4242"
    gitlab = {"GITLAB_CI": "true", "CI_JOB_URL": "https://gitlab.example.com/acme/infra/-/jobs/77"}
    assert ci_run_url(gitlab) == "https://gitlab.example.com/acme/infra/-/jobs/77"
    assert ci_run_url({"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/infra"}) is None  # no run id
    assert ci_run_url({"GITHUB_RUN_ID": "1", "GITHUB_REPOSITORY": "acme/infra"}) is None  # not in Actions
    assert ci_run_url({}) is None


def test_statuses_and_deployments_link_to_the_actions_run(github_standin: GitHubStandIn) -> None:
    github_standin.add_commit(HEAD)
    vcs = make_vcs(Settings(vcs_provider="github"), env=actions_env(github_standin))
    vcs.set_status(HEAD, "orchestrator/preview: app/dev", "success", "+1 ~0 -0 ±0")
    vcs.set_status(HEAD, "orchestrator/preview", "success", "1 stack", target_url="https://elsewhere.example/x")
    deployment = vcs.create_deployment(HEAD, "dev", "orchestrator: 1 stack(s)")
    vcs.set_deployment_status(deployment, "success", "1 of 1 stacks succeeded")

    latest = github_standin.latest_statuses(HEAD)
    assert latest["orchestrator/preview: app/dev"]["target_url"] == RUN
    assert latest["orchestrator/preview"]["target_url"] == "https://elsewhere.example/x"  # an explicit link wins
    [status_call] = github_standin.calls("POST", f"/deployments/{deployment}/statuses")
    assert status_call.body["log_url"] == RUN


def test_outside_ci_statuses_carry_no_link(github_standin: GitHubStandIn) -> None:
    github_standin.add_commit(HEAD)
    env = {"GITHUB_TOKEN": github_standin.token, "GITHUB_REPOSITORY": github_standin.full_name,
           "GITHUB_API_URL": github_standin.base_url}
    make_vcs(Settings(vcs_provider="github"), env=env).set_status(HEAD, "ctx", "success", "ok")
    assert github_standin.latest_statuses(HEAD)["ctx"]["target_url"] is None


def test_the_files_provider_records_the_link(tmp_path: Path) -> None:
    env = {"GITLAB_CI": "true", "CI_JOB_URL": "https://gitlab.example.com/acme/infra/-/jobs/77"}
    vcs = make_vcs(Settings(vcs_provider="files"), out_dir=tmp_path, env=env)
    vcs.set_status(HEAD, "ctx", "pending", "waiting")
    [status] = json.loads((tmp_path / "statuses.json").read_text())
    assert status["target_url"] == "https://gitlab.example.com/acme/infra/-/jobs/77"


# -- trust.teams ---------------------------------------------------------------------------------------


def test_trust_teams_under_the_actions_token_warns_at_startup(
    github_standin: GitHubStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(vcs_provider="github", trust_teams=("acme/platform",))
    with caplog.at_level(logging.WARNING, logger="orchestrator.vcs"):
        make_vcs(settings, env=actions_env(github_standin))
    [warning] = caplog.messages
    assert warning.startswith("trust.teams (acme/platform) needs a token")
    assert "GITHUB_TOKEN of GitHub Actions cannot" in warning and "docs/security.md#trusted-authors" in warning

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="orchestrator.vcs"):
        make_vcs(Settings(vcs_provider="github", trust_teams=("acme/platform",), vcs_token_env="ORG_TOKEN"),
                 env=actions_env(github_standin, ORG_TOKEN=github_standin.token))  # a token of its own
        make_vcs(Settings(vcs_provider="github"), env=actions_env(github_standin))  # no teams
    assert caplog.messages == []


def test_a_team_that_cannot_be_read_is_reported_not_swallowed(
    github_standin: GitHubStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    client = GitHubClient(github_standin.full_name, github_standin.token, api_url=github_standin.base_url)
    settings = Settings(trust_teams=("acme/platform",))
    github_standin.set_permission("outsider", "read")
    github_standin.set_permission("maintainer", "write")

    # As the Actions token answers a team members read: 403, twice (one per user checked).
    github_standin.fail_next(1, status=403, message="Resource not accessible by integration")
    with caplog.at_level(logging.WARNING, logger="orchestrator.flows"):
        trusted, why = is_trusted_user(settings, client, "outsider")
    assert not trusted
    assert why.startswith("outsider has read permission; write or above is required; trust.teams acme/platform "
                          "could not be read (GitHub API GET /orgs/acme/teams/platform/members failed: HTTP 403: "
                          "Resource not accessible by integration; see docs/security.md#trusted-authors)")
    assert "trust.teams acme/platform could not be read" in caplog.text

    # The unreadable team does not stop repository permission from vouching.
    github_standin.fail_next(1, status=403, message="Resource not accessible by integration")
    assert is_trusted_user(settings, client, "maintainer") == (True, "maintainer has write permission")
