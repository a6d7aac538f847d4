"""The GitHub client against GitHub's documented answers for redirects, rate limits and errors.

A replay server on loopback answers with the responses in
tests/fixtures/github/documented-responses.json (see SOURCES.md there) and, for successes, the
examples of GitHub's API description. The clock and the sleep are fake: a wait of an hour
costs nothing, and every wait is asserted to the second.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from orchestrator.vcs._http import RetryPolicy
from orchestrator.vcs.base import VcsError
from orchestrator.vcs.github import GitHubClient
from tests.support.fixtures import GITHUB
from tests.support.github_standin import spec_document
from tests.support.http_replay import ReplayServer, replay  # noqa: F401  (the fixture)

DOCUMENTED: dict[str, Any] = json.loads((GITHUB / "documented-responses.json").read_text())
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
REPO = "/repos/acme/infra"
NOW = 1_700_000_000.0


class FakeClock:
    def __init__(self) -> None:
        self.now = NOW
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(replay: ReplayServer, clock: FakeClock) -> Iterator[GitHubClient]:  # noqa: F811
    gh = GitHubClient("acme/infra", "ghp_replay_token", api_url=replay.base_url, sleep=clock.sleep, clock=clock.time)
    yield gh
    gh.close()


def documented(name: str, **header_values: str) -> tuple[int, Any, dict[str, str]]:
    entry = DOCUMENTED[name]
    headers = {k: v.format(**header_values) if "{reset}" in v else v for k, v in entry["headers"].items()}
    return entry["status"], copy.deepcopy(entry["body"]), headers


def example(name: str) -> Any:
    return copy.deepcopy(spec_document()["components"]["examples"][name]["value"])


def pull(number: int = 7) -> dict[str, Any]:
    data = example("pull-request")
    data["number"] = number
    return data


# -- the replayed answers are what GitHub describes --------------------------------------------------


def test_documented_error_bodies_match_githubs_error_schemas() -> None:
    schemas = spec_document()["components"]["schemas"]
    for name, entry in DOCUMENTED.items():
        if name.startswith("_"):
            continue
        schema = schemas["validation-error" if entry["status"] == 422 else "basic-error"]
        jsonschema.validate(entry["body"], schema)
        assert entry["body"]["documentation_url"].startswith("https://docs.github.com/")


# -- redirects ----------------------------------------------------------------------------------------


def test_a_read_of_a_renamed_repository_follows_the_301(
    replay: ReplayServer, client: GitHubClient, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    status, body, headers = documented("moved_permanently")
    replay.expect("GET", f"{REPO}/pulls/7", status, body, headers=headers)
    replay.expect("GET", "/repositories/1296269/pulls/7", 200, pull(7))
    with caplog.at_level(logging.WARNING, logger="orchestrator.vcs"):
        pr = client.get_pr(7)
    assert (pr.number, pr.head_ref, pr.base_ref) == (7, "new-topic", "master")
    assert [s.path for s in replay.seen] == [f"{REPO}/pulls/7", "/repositories/1296269/pulls/7"]
    assert replay.seen[1].headers["Authorization"] == "Bearer ghp_replay_token"  # same host: token kept
    assert "moved permanently" in caplog.text and "update vcs.repo" in caplog.text


def test_the_permission_check_of_a_renamed_repository_reads_the_real_permission(
    replay: ReplayServer, client: GitHubClient  # noqa: F811
) -> None:
    # Before: the 301's body was read as the answer, so every author had "no permission".
    status, body, headers = documented("moved_permanently")
    headers["Location"] = "{api}/repositories/1296269/collaborators/octocat/permission"
    replay.expect("GET", f"{REPO}/collaborators/octocat/permission", status, body, headers=headers)
    permission = example("repository-collaborator-permission-response-if-user-has-admin-permissions")
    replay.expect("GET", "/repositories/1296269/collaborators/octocat/permission", 200, permission)
    assert client.author_permission("octocat") == "admin"


def test_listing_comments_follows_the_redirect_and_then_the_pages(
    replay: ReplayServer, client: GitHubClient  # noqa: F811
) -> None:
    status, body, headers = documented("moved_permanently")
    headers["Location"] = "{api}/repositories/1296269/issues/7/comments?per_page=100"
    replay.expect("GET", f"{REPO}/issues/7/comments", status, body, headers=headers)
    page_one = example("issue-comment-items")
    next_link = '<{api}/repositories/1296269/issues/7/comments?per_page=100&page=2>; rel="next"'
    replay.expect("GET", "/repositories/1296269/issues/7/comments", 200, page_one, headers={"Link": next_link})
    marked = example("issue-comment-items")
    marked[0].update(id=2, body="<!-- m -->\nold")
    replay.expect("GET", "/repositories/1296269/issues/7/comments", 200, marked)
    replay.expect("PATCH", f"{REPO}/issues/comments/2", 200, {**marked[0], "body": "<!-- m -->\nnew"})

    ref = client.upsert_comment(7, "<!-- m -->", "new")

    assert (ref.id, ref.created) == (2, False)
    assert replay.seen[1].query == {"per_page": "100"}
    assert replay.seen[2].query == {"per_page": "100", "page": "2"}


def test_a_redirected_write_is_an_error_naming_the_new_location(
    replay: ReplayServer, client: GitHubClient  # noqa: F811
) -> None:
    # Before: any answer under 400 counted as success, so the status was silently lost.
    replay.expect("GET", f"{REPO}/commits/{SHA}/status", 200, example("combined-commit-status"))
    status, body, headers = documented("moved_write")
    replay.expect("POST", f"{REPO}/statuses/{SHA}", status, body, headers=headers)
    with pytest.raises(VcsError) as caught:
        client.set_status(SHA, "orchestrator/preview", "success", "ok")
    error = caught.value
    assert error.status == 307
    assert f"POST {REPO}/statuses/{SHA} was redirected (HTTP 307) to /repositories/1296269/statuses/{SHA}" in str(
        error
    )
    assert error.hint is not None and "vcs.repo" in error.hint
    assert [s.method for s in replay.seen] == ["GET", "POST"]  # never re-sent to the new location


def test_a_redirect_to_another_host_never_gets_the_token(replay: ReplayServer, client: GitHubClient) -> None:  # noqa: F811
    status, body, _ = documented("moved_permanently")
    replay.expect("GET", f"{REPO}/pulls/7", status, body, headers={"Location": "https://elsewhere.example/pulls/7"})
    with pytest.raises(VcsError, match=r"another host \(elsewhere.example\); refusing to send the token"):
        client.get_pr(7)


# -- rate limits --------------------------------------------------------------------------------------


def test_a_secondary_limit_without_headers_waits_a_minute_then_exponentially_longer(
    replay: ReplayServer, client: GitHubClient, clock: FakeClock  # noqa: F811
) -> None:
    status, body, headers = documented("secondary_rate_limit")
    for _ in range(3):
        replay.expect("GET", f"{REPO}/pulls/7", status, body, headers=headers)
    replay.expect("GET", f"{REPO}/pulls/7", 200, pull(7))
    assert client.get_pr(7).number == 7
    assert clock.sleeps == [60.0, 120.0, 240.0]


def test_a_429_with_retry_after_waits_exactly_as_long_as_asked(
    replay: ReplayServer, client: GitHubClient, clock: FakeClock  # noqa: F811
) -> None:
    # Before: Retry-After: 120 was cut to 60 s, so the retry came too early and failed again.
    status, body, headers = documented("secondary_rate_limit_429")
    replay.expect("GET", f"{REPO}/pulls/7", status, body, headers=headers)
    replay.expect("GET", f"{REPO}/pulls/7", 200, pull(7))
    client.get_pr(7)
    assert clock.sleeps == [120.0]


def test_a_primary_limit_waits_until_the_reset(
    replay: ReplayServer, client: GitHubClient, clock: FakeClock  # noqa: F811
) -> None:
    status, body, headers = documented("primary_rate_limit", reset=str(int(NOW) + 95))
    replay.expect("GET", f"{REPO}/pulls/7", status, body, headers=headers)
    replay.expect("GET", f"{REPO}/pulls/7", 200, pull(7))
    client.get_pr(7)
    assert clock.sleeps == [96.0]  # until the reset second has passed


def test_a_primary_limit_an_hour_away_fails_at_once_saying_when_it_lifts(
    replay: ReplayServer, client: GitHubClient, clock: FakeClock  # noqa: F811
) -> None:
    # Before: four 60-s retries, all refused, then a failure that did not say why.
    reset = int(NOW) + 3540
    status, body, headers = documented("primary_rate_limit", reset=str(reset))
    replay.expect("GET", f"{REPO}/pulls/7", status, body, headers=headers)
    with pytest.raises(VcsError) as caught:
        client.get_pr(7)
    message = str(caught.value)
    assert "HTTP 403: API rate limit exceeded" in message
    assert "not retried: the token's rate limit resets at 23:12:20 UTC, 3541 s from now" in message
    assert "beyond the 600-s deadline" in message
    assert caught.value.hint is not None and "rate limiting this token" in caught.value.hint
    assert clock.sleeps == [] and len(replay.seen) == 1


def test_secondary_limits_stop_at_the_deadline(replay: ReplayServer, clock: FakeClock) -> None:  # noqa: F811
    gh = GitHubClient("acme/infra", "ghp_replay_token", api_url=replay.base_url, sleep=clock.sleep, clock=clock.time,
                      policy=RetryPolicy(max_attempts=10, deadline=600.0))
    status, body, headers = documented("secondary_rate_limit")
    for _ in range(4):
        replay.expect("GET", f"{REPO}/pulls/7", status, body, headers=headers)
    with pytest.raises(VcsError, match=r"after 4 attempts: HTTP 403: You have exceeded a secondary rate limit"):
        gh.get_pr(7)
    # 60 + 120 + 240 = 420 s spent; the next wait (480 s) would end past 600 s: no fifth try.
    assert clock.sleeps == [60.0, 120.0, 240.0]


# -- errors -------------------------------------------------------------------------------------------


def test_a_404_is_a_vcs_error_with_status_and_message(replay: ReplayServer, client: GitHubClient) -> None:  # noqa: F811
    status, body, headers = documented("not_found")
    replay.expect("GET", f"{REPO}/pulls/7", status, body, headers=headers)
    with pytest.raises(VcsError) as caught:
        client.get_pr(7)
    assert caught.value.status == 404
    assert str(caught.value).startswith(f"GitHub API GET {REPO}/pulls/7 failed: HTTP 404: Not Found")


def test_a_422_names_the_field_github_rejected(replay: ReplayServer, client: GitHubClient) -> None:  # noqa: F811
    status, body, headers = documented("validation_failed")
    replay.expect("POST", f"{REPO}/issues", status, body, headers=headers)
    with pytest.raises(VcsError) as caught:
        client.open_issue("Drift in prod", "body", "<!-- m -->")
    assert caught.value.status == 422
    assert "Validation Failed" in str(caught.value) and "missing_field" in str(caught.value)


def test_an_answer_without_the_fields_it_always_has_is_a_vcs_error_not_a_key_error(
    replay: ReplayServer, client: GitHubClient  # noqa: F811
) -> None:
    # Before: KeyError from get_pr and open_issue, which crashed the drift flow.
    replay.expect("GET", f"{REPO}/pulls/7", 200, {"message": "ok"})
    replay.expect("POST", f"{REPO}/issues", 201, {"id": 3})
    shape = r"GET /repos/acme/infra/pulls/7 answered in an unexpected shape \(no field 'head'\)"
    with pytest.raises(VcsError, match=shape):
        client.get_pr(7)
    with pytest.raises(VcsError, match=r"POST /repos/acme/infra/issues answered in an unexpected shape \(no field"):
        client.open_issue("t", "b", "<!-- m -->")


def test_a_proxy_page_instead_of_json_is_a_vcs_error(replay: ReplayServer, client: GitHubClient) -> None:  # noqa: F811
    replay.expect("GET", f"{REPO}/pulls/7", 200, raw=b"<html><body>Sign in to the corporate proxy</body></html>")
    with pytest.raises(VcsError, match=r"answered HTTP 200 with a body that is not JSON \(<html><body>Sign in"):
        client.get_pr(7)


def test_a_not_modified_or_other_3xx_without_location_is_an_error(
    replay: ReplayServer, client: GitHubClient  # noqa: F811
) -> None:
    replay.expect("GET", f"{REPO}/pulls/7", 304)
    with pytest.raises(VcsError) as caught:
        client.get_pr(7)
    assert caught.value.status == 304


# -- statuses are posted only when they change ---------------------------------------------------------


def test_a_status_the_commit_already_shows_is_not_posted_again(
    replay: ReplayServer, client: GitHubClient  # noqa: F811
) -> None:
    combined = example("combined-commit-status")
    shown = combined["statuses"][0]
    replay.expect("GET", f"{REPO}/commits/{SHA}/status", 200, combined)
    replay.expect("POST", f"{REPO}/statuses/{SHA}", 201, example("status"))

    # What the commit shows already (a rerun): nothing is posted.
    client.set_status(SHA, shown["context"], shown["state"], shown["description"], target_url=shown["target_url"])
    # A change is posted once; the same change again is remembered, not posted.
    client.set_status(SHA, shown["context"], "failure", "2 stacks failed", target_url=shown["target_url"])
    client.set_status(SHA, shown["context"], "failure", "2 stacks failed", target_url=shown["target_url"])

    assert [(s.method, s.path) for s in replay.seen] == [
        ("GET", f"{REPO}/commits/{SHA}/status"),
        ("POST", f"{REPO}/statuses/{SHA}"),
    ]
    assert replay.seen[1].body["state"] == "failure"
