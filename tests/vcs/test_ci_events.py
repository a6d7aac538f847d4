"""CI event adapters, fed GitHub's real webhook examples (validated against GitHub's webhook schemas)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.ci import gitlab_ci
from orchestrator.ci.events import ZERO_SHA, IssueCommentEvent, PullRequestEvent, PushEvent
from orchestrator.ci.github_actions import (
    annotation,
    parse_event,
    read_event,
    write_outputs,
    write_step_summary,
)
from orchestrator.errors import UserError
from tests.support.webhooks import (
    known_invalid_examples_still_fail,
    raw_example,
    schema_errors,
    webhook_examples,
)


def valid_examples(event: str) -> list[tuple[int, dict[str, Any]]]:
    return webhook_examples(event)


def _params(event: str) -> list[Any]:
    return [pytest.param(example, id=f"{event}-{index}") for index, example in valid_examples(event)]


def test_the_known_invalid_examples_are_exactly_the_ones_skipped() -> None:
    # SOURCES.md: one example each of pull_request, push and issue_comment fails its own schema;
    # tests.support.webhooks skips exactly those (by position and fingerprint), and they still fail.
    assert known_invalid_examples_still_fail() == []
    assert schema_errors("push", raw_example("push", 0)) != []
    assert len(webhook_examples("push")) == 6


@pytest.mark.parametrize("payload", _params("pull_request"))
def test_pull_request_examples(payload: dict[str, Any]) -> None:
    assert schema_errors("pull_request", payload) == []
    event = parse_event("pull_request", payload)
    pr = payload["pull_request"]
    assert event == PullRequestEvent(
        number=pr["number"],
        base_ref=pr["base"]["ref"],
        base_sha=pr["base"]["sha"],
        head_ref=pr["head"]["ref"],
        head_sha=pr["head"]["sha"],
        author=pr["user"]["login"],
        from_fork=False,  # every example's head is in the base repository
        action=payload["action"],
        repo_full_name="Codertocat/Hello-World",
    )


def test_pull_request_from_a_fork() -> None:
    payload = copy.deepcopy(valid_examples("pull_request")[0][1])
    head_repo = payload["pull_request"]["head"]["repo"]
    head_repo["full_name"] = "mallory/Hello-World"
    head_repo["owner"]["login"] = "mallory"
    head_repo["fork"] = True
    payload["pull_request"]["head"]["label"] = "mallory:changes"
    assert schema_errors("pull_request", payload) == []  # still a payload GitHub could send
    event = parse_event("pull_request", payload)
    assert isinstance(event, PullRequestEvent) and event.from_fork
    # pull_request_target carries the same payload shape: same answer.
    assert parse_event("pull_request_target", payload) == event


def test_pull_request_edited_to_another_base_says_which_base_it_left() -> None:
    payload = copy.deepcopy(next(p for _, p in valid_examples("pull_request") if p["action"] == "opened"))
    payload["action"] = "edited"
    payload["changes"] = {"base": {"ref": {"from": "develop"}, "sha": {"from": "b" * 40}}}
    assert schema_errors("pull_request", payload) == []
    event = parse_event("pull_request", payload)
    assert isinstance(event, PullRequestEvent) and event.base_changed_from == "develop"
    payload["changes"] = {"title": {"from": "old"}}
    retitled = parse_event("pull_request", payload)
    assert isinstance(retitled, PullRequestEvent) and retitled.base_changed_from is None


def test_pull_request_whose_fork_was_deleted_counts_as_a_fork() -> None:
    payload = copy.deepcopy(valid_examples("pull_request")[0][1])
    payload["pull_request"]["head"]["repo"] = None
    event = parse_event("pull_request", payload)
    assert isinstance(event, PullRequestEvent) and event.from_fork


@pytest.mark.parametrize("payload", _params("push"))
def test_push_examples(payload: dict[str, Any]) -> None:
    assert schema_errors("push", payload) == []
    event = parse_event("push", payload)
    assert isinstance(event, PushEvent)
    assert (event.ref, event.before, event.after) == (payload["ref"], payload["before"], payload["after"])
    assert event.repo_full_name == "Codertocat/Hello-World"
    assert event.pusher == payload["pusher"]["name"]
    assert event.deleted == payload["deleted"] and event.created == payload["created"]
    if payload["ref"].startswith("refs/heads/"):
        assert event.branch == payload["ref"].removeprefix("refs/heads/")
    else:
        assert event.branch is None  # a tag push deploys nothing


@pytest.mark.parametrize("payload", _params("issue_comment"))
def test_issue_comment_examples(payload: dict[str, Any]) -> None:
    assert schema_errors("issue_comment", payload) == []
    event = parse_event("issue_comment", payload)
    assert isinstance(event, IssueCommentEvent)
    assert event.number == payload["issue"]["number"]
    assert event.commenter == payload["comment"]["user"]["login"]
    assert event.body == payload["comment"]["body"]
    assert event.is_pull_request == ("pull_request" in payload["issue"])


@pytest.mark.parametrize("name", ["check_run", "ping", "pull_request_review"])
def test_unsupported_events_name_themselves(name: str) -> None:
    with pytest.raises(UserError, match=f"unsupported GitHub event '{name}'") as caught:
        parse_event(name, raw_example(name, 0))
    assert caught.value.hint is not None and "pull_request" in caught.value.hint


def test_read_event_from_the_actions_environment(tmp_path: Path) -> None:
    payload = valid_examples("pull_request")[0][1]
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(payload), encoding="utf-8")
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event_file)}
    event = read_event(env)
    assert isinstance(event, PullRequestEvent) and event.number == payload["pull_request"]["number"]
    with pytest.raises(UserError, match="not running in GitHub Actions"):
        read_event({})
    with pytest.raises(UserError, match="cannot read the event payload"):
        read_event({**env, "GITHUB_EVENT_PATH": str(tmp_path / "missing.json")})
    with pytest.raises(UserError, match="lacks 'pull_request'"):
        parse_event("pull_request", raw_example("push", 1))


# -- writing back to the workflow ----------------------------------------------------------------


def test_step_summary_appends(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    write_step_summary("# Preview", env)
    write_step_summary("second\n", env)
    assert summary.read_text() == "# Preview\nsecond\n"
    assert write_step_summary("x", {}) is None


def test_outputs_use_the_delimiter_form_for_multiline_values(tmp_path: Path) -> None:
    output = tmp_path / "output"
    output.write_text("earlier=1\n")
    write_outputs(
        {"result": "failed", "matrix": '{"include": [\n {"stack": "app/dev"}\n]}'}, {"GITHUB_OUTPUT": str(output)}
    )
    lines = output.read_text().splitlines()
    assert lines[:2] == ["earlier=1", "result=failed"]
    start = lines[2]
    assert start.startswith("matrix<<ghadelimiter_")
    delimiter = start.split("<<", 1)[1]
    assert lines[3:] == ['{"include": [', ' {"stack": "app/dev"}', "]}", delimiter]
    with pytest.raises(ValueError, match="invalid GitHub Actions output name"):
        write_outputs({"bad=name": "x"}, {"GITHUB_OUTPUT": str(output)})


def test_annotations_escape_as_github_requires() -> None:
    assert annotation("error", "50% failed\r\nsee log", title="Preview: app/dev, data") == (
        "::error title=Preview%3A app/dev%2C data::50%25 failed%0D%0Asee log"
    )
    assert annotation("warning", "plain") == "::warning::plain"
    assert annotation("notice", "x", file="stacks/app/__main__.py", line=3) == (
        "::notice file=stacks/app/__main__.py,line=3::x"
    )


# -- GitLab CI -----------------------------------------------------------------------------------

MR_ENV = {
    "GITLAB_CI": "true",
    "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_MERGE_REQUEST_IID": "42",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature/db",
    "CI_MERGE_REQUEST_DIFF_BASE_SHA": "b" * 40,
    "CI_COMMIT_SHA": "a" * 40,
    "CI_COMMIT_BEFORE_SHA": ZERO_SHA,
    "CI_MERGE_REQUEST_PROJECT_ID": "1001",
    "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "1001",
    "CI_MERGE_REQUEST_PROJECT_PATH": "acme/infra",
    "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
    "CI_PROJECT_PATH": "acme/infra",
    "GITLAB_USER_LOGIN": "alice",
}


def test_gitlab_merge_request_pipeline() -> None:
    assert gitlab_ci.read_event(MR_ENV) == PullRequestEvent(
        number=42,
        base_ref="main",
        base_sha="b" * 40,
        head_ref="feature/db",
        head_sha="a" * 40,
        author="alice",
        from_fork=False,
        action="detached",
        repo_full_name="acme/infra",
    )


def test_gitlab_merge_request_from_a_fork() -> None:
    event = gitlab_ci.read_event({**MR_ENV, "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "2002"})
    assert isinstance(event, PullRequestEvent) and event.from_fork


def test_gitlab_merged_results_pipeline_uses_the_source_head() -> None:
    env = {**MR_ENV, "CI_MERGE_REQUEST_EVENT_TYPE": "merged_result", "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "c" * 40}
    event = gitlab_ci.read_event(env)
    assert isinstance(event, PullRequestEvent) and event.head_sha == "c" * 40


def test_gitlab_branch_pipeline() -> None:
    env = {
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": "push",
        "CI_COMMIT_BRANCH": "main",
        "CI_COMMIT_SHA": "a" * 40,
        "CI_COMMIT_BEFORE_SHA": "b" * 40,
        "CI_PROJECT_PATH": "acme/infra",
        "GITLAB_USER_LOGIN": "bob",
    }
    assert gitlab_ci.read_event(env) == PushEvent(
        ref="refs/heads/main",
        branch="main",
        before="b" * 40,
        after="a" * 40,
        repo_full_name="acme/infra",
        pusher="bob",
    )
    created = gitlab_ci.read_event({**env, "CI_COMMIT_BEFORE_SHA": ZERO_SHA})
    assert isinstance(created, PushEvent) and created.created


def test_gitlab_unsupported_pipelines() -> None:
    with pytest.raises(UserError, match="not running in GitLab CI"):
        gitlab_ci.read_event({})
    with pytest.raises(UserError, match=r"unsupported GitLab pipeline \(tag v1.0\)"):
        gitlab_ci.read_event({"GITLAB_CI": "true", "CI_COMMIT_TAG": "v1.0", "CI_PIPELINE_SOURCE": "web"})


def test_a_gitlab_tag_pipeline_is_a_push_without_a_branch() -> None:
    event = gitlab_ci.read_event({"GITLAB_CI": "true", "CI_COMMIT_TAG": "v1.0", "CI_PIPELINE_SOURCE": "push",
                                  "CI_COMMIT_SHA": "a" * 40, "CI_PROJECT_PATH": "acme/infra"})
    assert isinstance(event, PushEvent)
    assert (event.ref, event.branch, event.after) == ("refs/tags/v1.0", None, "a" * 40)
    with pytest.raises(UserError, match="CI_MERGE_REQUEST_TARGET_BRANCH_NAME is unset"):
        gitlab_ci.read_event({k: v for k, v in MR_ENV.items() if k != "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"})
