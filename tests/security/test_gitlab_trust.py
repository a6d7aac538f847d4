"""GitLab trust is decided on the merge request's author, found from the hook's
`object_attributes.author_id` through GitLab's API, never on the hook's `user` (whoever opened,
reopened, rebased or pushed). A hook that names no author is untrusted, on GitHub too.

Payloads: GitLab's documented examples (tests/fixtures/gitlab/webhooks; in the merge request
example the acting `user` is root, id 1, and the author is id 51). The API: the GitLab stand-in,
checked against GitLab's published API description."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config.resolved import Settings
from orchestrator.flows.trust import check_trust
from orchestrator.server.dispatch import merge_request_author
from orchestrator.server.events import github_decision, gitlab_decision
from orchestrator.vcs.gitlab import GitLabClient
from tests.support.foundation_repo import CliResult, GitFixture
from tests.support.gitlab_standin import PROJECT, GitLabStandIn
from tests.support.webhooks import gitlab_example, webhook_examples

MAINTAINER = "root"  # the documented example's acting user, trusted below
SETTINGS = Settings(trust_users=(MAINTAINER,))


@pytest.fixture
def client(gitlab: GitLabStandIn) -> GitLabClient:
    return GitLabClient(PROJECT, gitlab.token, api_url=f"{gitlab.base_url}/api/v4")


def merge_request_hook(action: str, **attributes: Any) -> dict[str, Any]:
    payload = gitlab_example("merge_request")
    payload["object_attributes"].update(action=action, **attributes)
    return payload


def preview_payload(payload: dict[str, Any]) -> dict[str, Any]:
    [job] = gitlab_decision("Merge Request Hook", payload).jobs
    assert job.kind == "preview"
    return dict(job.payload)


@pytest.mark.parametrize(
    "hook",
    [
        pytest.param(merge_request_hook("open"), id="opened"),
        pytest.param(merge_request_hook("reopen"), id="reopened by a maintainer"),
        pytest.param(merge_request_hook("update", oldrev="a" * 40), id="rebased by a maintainer"),
    ],
)
def test_an_outsiders_merge_request_stays_untrusted_whoever_acts(
    hook: dict[str, Any], gitlab: GitLabStandIn, client: GitLabClient
) -> None:
    assert hook["user"]["username"] == MAINTAINER  # the maintainer acted...
    gitlab.add_mr(1, author="outsider")  # ...on a merge request an outsider wrote
    job = preview_payload(hook)
    assert job["author_id"] == 51 and job["author"] == ""

    author = merge_request_author(job, client)
    trust = check_trust(SETTINGS, client, author=author, from_fork=False)

    assert author == "outsider"
    assert not trust.trusted and MAINTAINER not in (trust.reason or "")


def test_a_trusted_authors_merge_request_is_trusted_whoever_acts(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    hook = merge_request_hook("reopen")
    hook["user"] = {"id": 99, "name": "Someone", "username": "someone-else"}
    gitlab.add_mr(1, author=MAINTAINER)
    author = merge_request_author(preview_payload(hook), client)
    assert check_trust(SETTINGS, client, author=author, from_fork=False).trusted


def test_a_hook_without_an_author_is_untrusted(client: GitLabClient) -> None:
    hook = merge_request_hook("open")
    del hook["object_attributes"]["author_id"]
    job = preview_payload(hook)
    author = merge_request_author(job, client)
    trust = check_trust(SETTINGS, client, author=author, from_fork=False)
    assert author == "" and not trust.trusted
    assert trust.reason == "the pull request's author is not known (the hook names none, or no VCS API was given " \
                           "to read it)"


def test_a_github_pull_request_hook_without_a_user_is_untrusted() -> None:
    _, payload = webhook_examples("pull_request", "opened")[0]
    payload["pull_request"]["user"] = {"login": ""}
    [job] = github_decision("pull_request", payload).jobs
    author = merge_request_author(dict(job.payload), None)
    assert author == "" and not check_trust(SETTINGS, None, author=author, from_fork=False).trusted


def test_a_run_by_hand_has_no_author_and_is_trusted() -> None:
    """The other side of the rule: no author at all (None) is a run by hand or by CI on the
    repository's own branches, as docs/security.md says."""
    assert check_trust(SETTINGS, None, author=None, from_fork=False).trusted


@pytest.mark.parametrize("api", [True, False], ids=["with GitLab's API", "--vcs files"])
def test_a_merge_request_pipeline_started_by_a_maintainer_is_judged_on_the_author(
    make_repo: Callable[..., GitFixture], run_cli: Callable[..., CliResult], gitlab: GitLabStandIn,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, api: bool,
) -> None:
    """`orchestrator preview --ci gitlab` in a merge request pipeline that a trusted maintainer
    started (GITLAB_USER_LOGIN: a rebase, a re-run) on an outsider's merge request: the author
    is read from GitLab's API and is not trusted; without the API the author is unknown. Either
    way nothing from the merge request runs."""
    vcs = f"vcs: {{provider: gitlab, repo: {PROJECT}, api_url: '{gitlab.base_url}/api/v4', token_env: GL_TOKEN}}\n"
    repo = make_repo({"orchestrator.yaml": f"trust: {{users: [{MAINTAINER}]}}\n" + vcs})
    repo.branch("outsider-change")
    head = repo.commit({"stacks/app/__main__.py": "import pulumi\nraise SystemExit('the code ran')\n"})
    gitlab.add_mr(5, author="outsider", sha=head)
    monkeypatch.setenv("GL_TOKEN", gitlab.token)
    for name, value in {"GITLAB_CI": "true", "CI_MERGE_REQUEST_IID": "5", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
                        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "outsider-change", "CI_COMMIT_SHA": head,
                        "CI_MERGE_REQUEST_PROJECT_ID": "1001", "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "1001",
                        "CI_PROJECT_PATH": PROJECT, "GITLAB_USER_LOGIN": MAINTAINER}.items():
        monkeypatch.setenv(name, value)
    where = () if api else ("--vcs", "files", "--out", str(tmp_path / "out"))
    result = run_cli("preview", "--ci", "gitlab", "--repo", repo.path, *where)
    assert result.code == 0, (result.out, result.err)
    assert "0 stack(s) previewed" in result.err
    why = "outsider" if api else "the pull request's author is not known"
    assert "not previewed:" in result.err and why in result.err, result.err
    if api:
        [comment] = gitlab.notes[5]
        assert "Preview not run" in comment["body"] and "the code ran" not in comment["body"]
