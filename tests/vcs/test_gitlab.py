"""GitLabClient against the GitLab stand-in (tests/support/gitlab_standin.py: NOT GitLab).

The stand-in validates what GitLab's published API description covers (commit statuses,
deployments) against it, the rest against GitLab's REST docs, and behaves as GitLab's
commit-status service does (pipelines, no second `pending`).
"""

from __future__ import annotations

import pytest

from orchestrator.vcs._http import RetryPolicy
from orchestrator.vcs.base import VcsError
from orchestrator.vcs.gitlab import GitLabClient
from tests.support.gitlab_standin import PROJECT, WEB, GitLabStandIn

MARKER = "<!-- orchestrator:preview -->"
SHA = "a" * 40


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(gitlab: GitLabStandIn, sleeps: list[float]) -> GitLabClient:
    return GitLabClient(
        PROJECT,
        gitlab.token,
        api_url=f"{gitlab.base_url}/api/v4",
        policy=RetryPolicy(max_attempts=3, base_delay=0.25),
        sleep=sleeps.append,
    )


def test_note_is_created_once_then_edited_past_the_first_page(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    gitlab.add_mr(5, author="alice")
    for i in range(120):
        gitlab.add_note(5, f"note {i}", system=i % 10 == 0)
    first = client.upsert_comment(5, MARKER, "preview one")
    second = client.upsert_comment(5, MARKER, "preview two")
    marked = [n for n in gitlab.notes[5] if MARKER in n["body"]]
    assert first.created and not second.created and first.id == second.id
    assert len(marked) == 1 and marked[0]["body"] == f"{MARKER}\npreview two"
    assert len(gitlab.notes[5]) == 121
    # The marked note is the 121st, oldest first: the second page had to be read.
    assert sum(1 for m, p, *_ in gitlab.requests if m == "GET" and p.endswith("/5/notes")) == 4
    # Notes carry no web URL: the link is the merge request's page with GitLab's anchor.
    assert second.url == f"{WEB}/{PROJECT}/-/merge_requests/5#note_{second.id}"


def test_system_notes_never_count_as_ours(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    gitlab.add_mr(5, author="alice")
    gitlab.add_note(5, f"mentioned in {MARKER}", system=True)
    assert client.upsert_comment(5, MARKER, "x").created


def test_commit_statuses_use_gitlab_names_and_states(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    gitlab.add_commit(SHA, "main")
    client.set_status(SHA, "orchestrator/preview: app/dev", "pending", "running", target_url="https://ci/1")
    client.set_status(SHA, "orchestrator/preview: app/dev", "failure", "1 failed")
    client.set_status(SHA, "orchestrator/preview", "error", "x" * 400)
    posted = [body for m, p, _, body in gitlab.requests if m == "POST"]
    assert [(b["name"], b["state"]) for b in posted] == [
        ("orchestrator/preview: app/dev", "pending"),
        ("orchestrator/preview: app/dev", "failed"),
        ("orchestrator/preview", "failed"),
    ]
    latest = gitlab.latest_statuses(SHA)
    assert latest["orchestrator/preview: app/dev"]["status"] == "failed"  # the pending one moved on
    assert latest["orchestrator/preview: app/dev"]["target_url"] is None
    assert len(latest["orchestrator/preview"]["description"]) == 255


def test_merge_requests_approvals_and_permissions(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    gitlab.add_mr(5, author="alice")
    gitlab.add_mr(6, author="mallory", sha="b" * 40, fork=True)
    gitlab.add_mr(7, author="bob", sha="c" * 40, state="merged")
    gitlab.approvals[5] = ["carol", "bob"]
    gitlab.users.update({"alice": 11, "bob": 12, "carol": 13})
    gitlab.members.update({11: 40, 12: 30, 13: 20})

    pr = client.get_pr(5)
    assert (pr.number, pr.author, pr.base_ref, pr.head_ref, pr.from_fork, pr.state) == (
        5, "alice", "main", "feature", False, "open"
    )  # fmt: skip
    assert client.get_pr(6).from_fork
    merged = client.get_pr(7)
    assert merged.merged and merged.state == "closed"
    found = client.find_pr_for_commit("b" * 40)
    assert found is not None and found.number == 6
    assert client.find_pr_for_commit("f" * 40) is None
    assert client.approvals(5) == ["bob", "carol"]
    assert [client.author_permission(u) for u in ("alice", "bob", "carol", "nobody")] == [
        "maintain",
        "write",
        "triage",
        "none",
    ]


def test_tracking_issue_lifecycle(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    marker = "<!-- orchestrator:drift:prod -->"
    for i in range(30):
        client.open_issue(f"noise {i}", "noise", "<!-- other -->")
    opened = client.open_issue("Drift in prod", "2 drifted", marker, labels=["drift", "prod"])
    assert opened.labels == ("drift", "prod") and opened.state == "open"
    found = client.find_issue(marker)
    assert found is not None and found.number == opened.number
    assert client.update_issue(opened.number, "3 drifted", marker=marker).body == f"{marker}\n3 drifted"
    closed = client.close_issue(opened.number, "resolved")
    assert closed.state == "closed" and gitlab.issues[opened.number]["notes"] == ["resolved"]
    assert client.find_issue(marker) is None
    assert client.find_issue(marker, include_closed=True) is not None


def test_deployments(gitlab: GitLabStandIn, client: GitLabClient) -> None:
    gitlab.add_commit(SHA, "main")
    deployment_id = client.create_deployment(SHA, "qa", "deploy", ref="main")
    client.set_deployment_status(deployment_id, "in_progress", "running")
    client.set_deployment_status(deployment_id, "success", "done")
    deployment = gitlab.deployments[deployment_id]
    assert (deployment["environment"], deployment["sha"], deployment["ref"]) == ("qa", SHA, "main")
    assert deployment["history"] == ["running", "running", "success"]


def test_retries_then_reports_without_the_token(
    gitlab: GitLabStandIn, client: GitLabClient, sleeps: list[float]
) -> None:
    gitlab.add_mr(5, author="alice")
    gitlab.fail = [502]
    assert client.get_pr(5).number == 5
    assert sleeps == [0.25]
    gitlab.fail = [502, 502, 502]
    with pytest.raises(VcsError) as caught:
        client.get_pr(5)
    message = str(caught.value)
    assert "GitLab API GET /projects/acme%2Finfra/merge_requests/5 failed after 3 attempts: HTTP 502" in message
    assert gitlab.token not in str(caught.value)


def test_bad_token(gitlab: GitLabStandIn) -> None:
    bad = GitLabClient(PROJECT, "glpat-wrong-secret", api_url=f"{gitlab.base_url}/api/v4", token_env="GITLAB_TOKEN")
    with pytest.raises(VcsError) as caught:
        bad.approvals(1)
    assert caught.value.status == 401 and "glpat-wrong-secret" not in str(caught.value)
    assert caught.value.hint is not None and "$GITLAB_TOKEN" in caught.value.hint
