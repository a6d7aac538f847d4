"""GitHubClient against the GitHub stand-in (every call validated against GitHub's API description)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from orchestrator.config.resolved import Settings
from orchestrator.errors import UserError
from orchestrator.vcs import make_vcs
from orchestrator.vcs._http import RetryPolicy
from orchestrator.vcs.base import VcsError
from orchestrator.vcs.github import GitHubClient
from tests.support.github_standin import GitHubStandIn

MARKER = "<!-- orchestrator:preview -->"
HEAD = "a" * 40
OTHER = "c" * 40


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(github_standin: GitHubStandIn, sleeps: list[float]) -> Iterator[GitHubClient]:
    gh = GitHubClient(
        github_standin.full_name,
        github_standin.token,
        api_url=github_standin.base_url,
        policy=RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8.0),
        sleep=sleeps.append,
    )
    yield gh
    gh.close()


# -- comments ------------------------------------------------------------------------------------


def test_upsert_creates_once_then_edits_in_place_past_the_first_page(
    github_standin: GitHubStandIn, client: GitHubClient
) -> None:
    pr = github_standin.add_pull(author="alice", head_sha=HEAD)
    for i in range(130):
        github_standin.add_comment(pr, f"discussion {i}")

    first = client.upsert_comment(pr, MARKER, "## Preview\nfirst run")
    second = client.upsert_comment(pr, MARKER, "## Preview\nsecond run")

    comments = github_standin.comments(pr)
    marked = [c for c in comments if MARKER in c["body"]]
    assert first.created and not second.created
    assert first.id == second.id
    assert len(comments) == 131
    assert len(marked) == 1
    assert marked[0]["body"] == f"{MARKER}\n## Preview\nsecond run"
    assert marked[0]["user"] == "orchestrator-bot"
    # The marker lived on page 2 (comment 131 of 100 per page): both pages were read each time.
    pages = [r.query.get("page", "1") for r in github_standin.calls("GET", f"/issues/{pr}/comments")]
    assert pages == ["1", "2", "1", "2"]
    assert len(github_standin.calls("POST", "/comments")) == 1
    assert len(github_standin.calls("PATCH", "/issues/comments/")) == 1


def test_upsert_finds_an_existing_marked_comment_on_page_two(
    github_standin: GitHubStandIn, client: GitHubClient
) -> None:
    pr = github_standin.add_pull(author="alice", head_sha=HEAD)
    for i in range(120):
        github_standin.add_comment(pr, f"discussion {i}")
    existing = github_standin.add_comment(pr, f"{MARKER}\nold preview", user="orchestrator-bot")
    for i in range(5):
        github_standin.add_comment(pr, f"later {i}")

    ref = client.upsert_comment(pr, MARKER, "new preview")

    assert ref.id == existing and not ref.created
    assert ref.url.endswith(f"#issuecomment-{existing}")
    bodies = {c["id"]: c["body"] for c in github_standin.comments(pr)}
    assert bodies[existing] == f"{MARKER}\nnew preview"
    assert len(bodies) == 126
    assert not github_standin.calls("POST", "/comments")


def test_upsert_skips_the_edit_when_the_body_is_unchanged(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    pr = github_standin.add_pull(author="alice", head_sha=HEAD)
    client.upsert_comment(pr, MARKER, "same")
    client.upsert_comment(pr, MARKER, "same")
    assert not github_standin.calls("PATCH")
    assert len(github_standin.comments(pr)) == 1


def test_different_markers_keep_different_comments(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    pr = github_standin.add_pull(author="alice", head_sha=HEAD)
    client.upsert_comment(pr, MARKER, "preview")
    client.upsert_comment(pr, "<!-- orchestrator:deploy -->", "deployed")
    assert sorted(c["body"].splitlines()[0] for c in github_standin.comments(pr)) == [
        "<!-- orchestrator:deploy -->",
        MARKER,
    ]


# -- statuses ------------------------------------------------------------------------------------


def test_one_status_per_context_latest_wins(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    github_standin.add_commit(HEAD)
    client.set_status(HEAD, "orchestrator/preview: app/dev", "pending", "running")
    client.set_status(HEAD, "orchestrator/preview: data/dev", "pending", "running")
    client.set_status(HEAD, "orchestrator/preview: app/dev", "success", "2 to add", target_url="https://ci/1")
    client.set_status(HEAD, "orchestrator/preview", "failure", "x" * 300)

    latest = github_standin.latest_statuses(HEAD)
    assert {k: v["state"] for k, v in latest.items()} == {
        "orchestrator/preview: app/dev": "success",
        "orchestrator/preview: data/dev": "pending",
        "orchestrator/preview": "failure",
    }
    assert latest["orchestrator/preview: app/dev"]["target_url"] == "https://ci/1"
    # GitHub rejects descriptions over 140 characters; the client cuts them.
    assert len(latest["orchestrator/preview"]["description"]) == 140
    assert len(github_standin.statuses(HEAD)) == 4


def test_status_for_an_unknown_commit_is_a_clear_error(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    with pytest.raises(VcsError) as caught:
        client.set_status(OTHER, "ctx", "success", "ok")
    assert caught.value.status == 422
    assert f"POST /repos/acme/infra/statuses/{OTHER}" in str(caught.value)
    assert "No commit found" in str(caught.value)


def test_an_invalid_state_never_reaches_the_api(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    github_standin.add_commit(HEAD)
    with pytest.raises(ValueError, match="unknown commit status state 'failed'"):
        client.set_status(HEAD, "ctx", "failed", "no")  # type: ignore[arg-type]
    assert not github_standin.calls("POST")


# -- pull requests, reviews, people ---------------------------------------------------------------


def test_get_pr_and_find_pr_for_commit(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    own = github_standin.add_pull(author="alice", head_sha=HEAD, head_ref="feature/x", base_ref="develop")
    fork = github_standin.add_pull(author="mallory", head_sha=OTHER, from_fork=True)
    merged = github_standin.add_pull(author="bob", head_sha="d" * 40, merged=True, merge_commit_sha="e" * 40)
    github_standin.add_commit("f" * 40)

    pr = client.get_pr(own)
    assert (pr.number, pr.head_sha, pr.base_ref, pr.head_ref, pr.author) == (own, HEAD, "develop", "feature/x", "alice")
    assert (pr.from_fork, pr.merged, pr.state) == (False, False, "open")
    assert client.get_pr(fork).from_fork
    merged_pr = client.get_pr(merged)
    assert merged_pr.merged and merged_pr.state == "closed"

    found = client.find_pr_for_commit(OTHER)
    assert found is not None and found.number == fork and found.from_fork
    by_merge_commit = client.find_pr_for_commit("e" * 40)
    assert by_merge_commit is not None and by_merge_commit.number == merged and by_merge_commit.merged
    assert client.find_pr_for_commit("f" * 40) is None


def test_get_pr_that_does_not_exist(client: GitHubClient) -> None:
    with pytest.raises(VcsError) as caught:
        client.get_pr(999)
    assert caught.value.status == 404
    assert caught.value.hint is not None and "vcs.repo" in caught.value.hint


def test_approvals_take_each_users_latest_verdict(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    pr = github_standin.add_pull(author="alice", head_sha=HEAD)
    github_standin.add_review(pr, "bob", "CHANGES_REQUESTED")
    github_standin.add_review(pr, "bob", "APPROVED")
    github_standin.add_review(pr, "carol", "APPROVED")
    github_standin.add_review(pr, "carol", "CHANGES_REQUESTED")
    github_standin.add_review(pr, "dave", "APPROVED")
    github_standin.add_review(pr, "dave", "COMMENTED")  # a comment does not withdraw an approval
    github_standin.add_review(pr, "erin", "APPROVED")
    github_standin.add_review(pr, "erin", "DISMISSED")
    github_standin.add_review(pr, "frank", "COMMENTED")
    assert client.approvals(pr) == ["bob", "dave"]


def test_approvals_paginate(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    pr = github_standin.add_pull(author="alice", head_sha=HEAD)
    for i in range(105):
        github_standin.add_review(pr, f"user{i:03d}", "APPROVED")
    github_standin.add_review(pr, "user000", "CHANGES_REQUESTED")
    approvals = client.approvals(pr)
    assert len(approvals) == 104 and "user000" not in approvals and "user104" in approvals


def test_author_permission_uses_the_fine_role(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    for login, role in [("ann", "admin"), ("max", "maintain"), ("wes", "write"), ("tia", "triage"), ("rex", "read")]:
        github_standin.set_permission(login, role)
    assert [client.author_permission(u) for u in ("ann", "max", "wes", "tia", "rex", "nobody")] == [
        "admin",
        "maintain",
        "write",
        "triage",
        "read",
        "none",
    ]


def test_team_members(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    github_standin.add_team("acme", "platform", ["zoe", "alice"])
    assert client.team_members("acme", "platform") == ["alice", "zoe"]
    # Not in rest-api.subset.json: served unvalidated, and visibly so.
    assert github_standin.unvalidated_calls == ["GET /orgs/acme/teams/platform/members"]


# -- issues --------------------------------------------------------------------------------------


def test_tracking_issue_open_find_update_close(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    marker = "<!-- orchestrator:drift:prod -->"
    github_standin.add_pull(author="alice", head_sha=HEAD)  # the issues list includes PRs: skipped
    github_standin.add_issue("Unrelated", "no marker here")
    assert client.find_issue(marker) is None

    opened = client.open_issue("Drift in prod", "2 resources drifted", marker, labels=["drift", "prod"])
    assert opened.state == "open" and opened.labels == ("drift", "prod")
    assert opened.body == f"{marker}\n2 resources drifted"

    found = client.find_issue(marker)
    assert found is not None and found.number == opened.number

    updated = client.update_issue(opened.number, "3 resources drifted", marker=marker)
    assert updated.body == f"{marker}\n3 resources drifted"

    closed = client.close_issue(opened.number, "All drift resolved.")
    assert closed.state == "closed"
    assert [c["body"] for c in github_standin.comments(opened.number)] == ["All drift resolved."]
    assert client.find_issue(marker) is None
    again = client.find_issue(marker, include_closed=True)
    assert again is not None and again.state == "closed"
    stored = next(i for i in github_standin.issues() if i["number"] == opened.number)
    assert stored["state_reason"] == "completed"


def test_find_issue_paginates(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    marker = "<!-- orchestrator:drift:qa -->"
    github_standin.add_issue("old tracking", f"{marker}\nold")
    for i in range(110):
        github_standin.add_issue(f"noise {i}", "noise")
    found = client.find_issue(marker)
    assert found is not None and found.title == "old tracking"
    assert len(github_standin.calls("GET", "/issues")) == 2


# -- deployments ---------------------------------------------------------------------------------


def test_deployment_and_its_statuses(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    github_standin.add_commit(HEAD)
    # A pending status on the commit must not block the deployment (required_contexts: []).
    client.set_status(HEAD, "orchestrator/deploy: app/qa", "pending", "running")
    deployment_id = client.create_deployment(HEAD, "qa", "orchestrator deploy of app, data")
    client.set_deployment_status(deployment_id, "in_progress", "deploying")
    client.set_deployment_status(deployment_id, "success", "2 stacks updated", environment_url="https://qa.example")

    [deployment] = github_standin.deployments()
    assert (deployment["id"], deployment["sha"], deployment["environment"]) == (deployment_id, HEAD, "qa")
    assert [s["state"] for s in deployment["statuses"]] == ["in_progress", "success"]
    assert deployment["statuses"][1]["environment_url"] == "https://qa.example"


def test_deployment_of_an_unknown_commit_fails_clearly(client: GitHubClient) -> None:
    with pytest.raises(VcsError, match=r"POST /repos/acme/infra/deployments failed: HTTP 422: No ref found"):
        client.create_deployment(OTHER, "qa", "x")


# -- retries and failures ------------------------------------------------------------------------


def test_retries_502_with_exponential_backoff(
    github_standin: GitHubStandIn, client: GitHubClient, sleeps: list[float]
) -> None:
    pr = github_standin.add_pull(author="alice", head_sha=HEAD)
    github_standin.fail_next(2, status=502)
    ref = client.upsert_comment(pr, MARKER, "body")
    assert ref.created
    assert sleeps == [0.5, 1.0]
    assert len(github_standin.comments(pr)) == 1


def test_retries_secondary_rate_limit_honouring_retry_after(
    github_standin: GitHubStandIn, client: GitHubClient, sleeps: list[float]
) -> None:
    github_standin.add_commit(HEAD)
    github_standin.secondary_rate_limit_next(1, retry_after="0")
    github_standin.secondary_rate_limit_next(1, retry_after="3")
    client.set_status(HEAD, "ctx", "success", "ok")
    assert sleeps == [0.0, 3.0]
    assert len(github_standin.statuses(HEAD)) == 1


def test_retries_primary_rate_limit_until_reset(
    github_standin: GitHubStandIn, client: GitHubClient, sleeps: list[float]
) -> None:
    github_standin.set_permission("alice", "write")
    github_standin.primary_rate_limit_next(1, reset_in=5)
    assert client.author_permission("alice") == "write"
    assert len(sleeps) == 1 and 4.0 <= sleeps[0] <= 6.5


def test_final_failure_is_a_vcs_error_without_the_token(
    github_standin: GitHubStandIn, client: GitHubClient, sleeps: list[float]
) -> None:
    pr = github_standin.add_pull(author="alice", head_sha=HEAD)
    github_standin.fail_next(10, status=503)
    with pytest.raises(VcsError) as caught:
        client.upsert_comment(pr, MARKER, "body")
    error = caught.value
    assert error.status == 503
    assert error.endpoint == f"/repos/acme/infra/issues/{pr}/comments"
    assert f"GET /repos/acme/infra/issues/{pr}/comments failed after 4 attempts: HTTP 503" in str(error)
    assert github_standin.token not in str(error) and github_standin.token not in repr(error.args)
    assert len(sleeps) == 3


def test_a_permission_403_is_not_retried(
    github_standin: GitHubStandIn, client: GitHubClient, sleeps: list[float]
) -> None:
    # A 403 without rate-limit headers is a missing permission: retrying would only waste time.
    github_standin.add_commit(HEAD)
    client.set_status(HEAD, "earlier", "success", "ok")  # the commit's statuses are read once, here
    github_standin.fail_next(1, status=403, message="Resource not accessible by integration")
    with pytest.raises(VcsError, match="HTTP 403: Resource not accessible by integration") as caught:
        client.set_status(HEAD, "ctx", "success", "ok")
    assert sleeps == []
    assert caught.value.hint is not None and "GITHUB_TOKEN" in caught.value.hint


def test_bad_token_is_a_clear_error_without_the_token(github_standin: GitHubStandIn) -> None:
    secret = "ghp_wrong_token_that_must_not_leak"
    gh = GitHubClient(github_standin.full_name, secret, api_url=github_standin.base_url, token_env="MY_TOKEN")
    with pytest.raises(VcsError) as caught:
        gh.get_pr(1)
    assert caught.value.status == 401
    assert "Bad credentials" in str(caught.value)
    assert secret not in str(caught.value)
    assert caught.value.hint is not None and "$MY_TOKEN" in caught.value.hint


def test_connection_failure_is_retried_then_reported() -> None:
    sleeps: list[float] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    gh = GitHubClient(
        "acme/infra",
        "t0ken-value",
        policy=RetryPolicy(max_attempts=3, base_delay=1.0),
        sleep=sleeps.append,
        transport=httpx.MockTransport(refuse),
    )
    with pytest.raises(VcsError, match=r"GET /repos/acme/infra/pulls/1 failed after 3 attempts: ConnectError"):
        gh.get_pr(1)
    assert sleeps == [1.0, 2.0]


# -- GitHub Enterprise, headers, configuration ----------------------------------------------------


def test_github_enterprise_base_url_with_pagination() -> None:
    with GitHubStandIn(path_prefix="/api/v3", owner="platform", repo="infra") as ghe:
        pr = ghe.add_pull(author="alice", head_sha=HEAD)
        for i in range(101):
            ghe.add_comment(pr, f"c{i}")
        ghe.add_comment(pr, f"{MARKER}\nold")
        gh = GitHubClient(ghe.full_name, ghe.token, api_url=ghe.base_url)
        assert gh.upsert_comment(pr, MARKER, "new").created is False
        assert all(r.headers.get("Host", "").startswith("127.0.0.1") for r in ghe.requests)
        assert len(ghe.calls("GET", f"/issues/{pr}/comments")) == 2
    ghe.assert_valid()


def test_every_request_carries_the_api_headers(github_standin: GitHubStandIn, client: GitHubClient) -> None:
    github_standin.add_commit(HEAD)
    client.set_status(HEAD, "ctx", "success", "ok")
    read, post = github_standin.requests
    for request in (read, post):
        assert request.headers["Accept"] == "application/vnd.github+json"
        assert request.headers["X-Github-Api-Version"] == "2022-11-28"
        assert request.headers["Authorization"] == f"Bearer {github_standin.token}"
    assert (read.method, read.path) == ("GET", f"/repos/acme/infra/commits/{HEAD}/status")
    assert post.body == {"state": "success", "context": "ctx", "description": "ok"}


def test_make_vcs_reads_token_repo_and_api_url(github_standin: GitHubStandIn) -> None:
    settings = Settings(vcs_provider="github", vcs_repo=None, vcs_token_env="INFRA_TOKEN", vcs_api_url=None)
    env = {
        "INFRA_TOKEN": github_standin.token,
        "GITHUB_REPOSITORY": github_standin.full_name,
        "GITHUB_API_URL": github_standin.base_url,
    }
    vcs = make_vcs(settings, env=env)
    pr = github_standin.add_pull(author="alice", head_sha=HEAD)
    assert vcs.get_pr(pr).author == "alice"
    with pytest.raises(UserError, match="environment variable INFRA_TOKEN is empty or unset"):
        make_vcs(settings, env={"GITHUB_REPOSITORY": "acme/infra"})
    with pytest.raises(UserError, match="not `owner/name`"):
        GitHubClient("just-a-name", "t")


# -- the stand-in itself must reject what GitHub rejects ------------------------------------------


def test_standin_rejects_requests_github_would_reject(github_standin: GitHubStandIn) -> None:
    github_standin.add_commit(HEAD)
    headers = {"Authorization": f"Bearer {github_standin.token}"}
    with httpx.Client(base_url=github_standin.base_url, headers=headers) as raw:
        bad_state = raw.post(f"/repos/acme/infra/statuses/{HEAD}", json={"state": "failed", "context": "c"})
        unknown_field = raw.post(f"/repos/acme/infra/statuses/{HEAD}", json={"state": "success", "contxt": "c"})
        no_body = raw.post("/repos/acme/infra/issues/1/comments", json={"text": "hi"})
        not_json = raw.post("/repos/acme/infra/issues", content=b"{", headers={"Content-Type": "application/json"})
        bad_param = raw.get("/repos/acme/infra/issues", params={"state": "opened"})
        not_in_api = raw.get("/repos/acme/infra/pulls/1/comments-typo")
        no_auth = httpx.get(f"{github_standin.base_url}/repos/acme/infra/pulls/1")
    assert [r.status_code for r in (bad_state, unknown_field, no_body, not_json, bad_param, not_in_api)] == [
        422,
        422,
        422,
        400,
        422,
        404,
    ]
    assert no_auth.status_code == 401
    errors = "\n".join(github_standin.validation_errors)
    assert "'failed' is not one of" in errors
    assert "'contxt' is not in the API description" in errors
    assert "'body' is a required property" in errors
    assert "not valid JSON" in errors
    assert "state" in errors
    assert "no such operation" in errors
    assert len(github_standin.validation_errors) >= 6
    with pytest.raises(AssertionError, match="GitHub stand-in saw calls GitHub would reject"):
        github_standin.assert_valid()
    github_standin.validation_errors.clear()  # seen and asserted: let the fixture's teardown pass


def test_standin_check_runs_and_combined_status_answer_as_described(github_standin: GitHubStandIn) -> None:
    # Not used by the client today; served for other tests, and their responses validated too.
    github_standin.add_commit(HEAD)
    headers = {"Authorization": f"Bearer {github_standin.token}"}
    with httpx.Client(base_url=github_standin.base_url, headers=headers) as raw:
        created = raw.post("/repos/acme/infra/check-runs", json={"name": "orchestrator", "head_sha": HEAD})
        run_id = created.json()["id"]
        updated = raw.patch(
            f"/repos/acme/infra/check-runs/{run_id}",
            json={"status": "completed", "conclusion": "success", "output": {"title": "ok", "summary": "2 stacks"}},
        )
        fetched = raw.get(f"/repos/acme/infra/check-runs/{run_id}")
        raw.post(f"/repos/acme/infra/statuses/{HEAD}", json={"state": "success", "context": "a"})
        raw.post(f"/repos/acme/infra/statuses/{HEAD}", json={"state": "pending", "context": "b"})
        combined = raw.get(f"/repos/acme/infra/commits/{HEAD}/status")
    assert created.status_code == 201 and updated.status_code == 200
    assert fetched.json()["conclusion"] == "success" and fetched.json()["output"]["summary"] == "2 stacks"
    assert combined.json()["state"] == "pending" and combined.json()["total_count"] == 2
    assert github_standin.validation_errors == []


def test_the_token_never_follows_a_link_to_another_host() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        link = '<https://evil.example/repos/acme/infra/issues/1/comments?page=2>; rel="next"'
        return httpx.Response(200, json=[], headers={"Link": link})

    gh = GitHubClient("acme/infra", "t0ken-value", transport=httpx.MockTransport(answer))
    with pytest.raises(VcsError, match=r"pointed to another host \(evil.example\); refusing to send the token"):
        gh.upsert_comment(1, MARKER, "x")
    assert [urlsplit(url).netloc for url in seen] == ["api.github.com"]
