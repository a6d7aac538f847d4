"""GitLab trust is decided on the merge request's author, found from the hook's
`object_attributes.author_id` through GitLab's API, never on the hook's `user` (whoever opened,
reopened, rebased or pushed). A hook that names no author is untrusted, on GitHub too.

Payloads: GitLab's documented examples (tests/fixtures/gitlab/webhooks; in the merge request
example the acting `user` is root, id 1, and the author is id 51). The API: the GitLab stand-in,
checked against GitLab's published API description."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.config.resolved import Settings
from orchestrator.flows.trust import check_trust
from orchestrator.server.dispatch import merge_request_author
from orchestrator.server.events import github_decision, gitlab_decision
from orchestrator.vcs.gitlab import GitLabClient
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
    assert trust.reason == "the pull request's author is not known (the hook names none)"


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
