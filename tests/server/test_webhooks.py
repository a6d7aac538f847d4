"""The receiver: signatures, replays, size and JSON checks, and what each event queues.

GitHub payloads are GitHub's own examples (fixtures/github/webhook-examples.json), validated
against GitHub's webhook schemas, edited only where a test needs a value (and re-validated).
GitLab payloads are the examples of GitLab's webhook documentation (fixtures/gitlab/webhooks).
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from orchestrator.server.app import Server
from orchestrator.server.webhooks import github_signature
from tests.support.deliveries import SECRET, github_headers, send_github, send_gitlab
from tests.support.webhooks import gitlab_example, schema_errors, webhook_examples


def first_example(event: str, action: str | None = None) -> dict[str, Any]:
    _, payload = webhook_examples(event, action)[0]
    assert schema_errors(event, payload) == []
    return payload


def branch_push() -> dict[str, Any]:
    """GitHub's example of a push to a branch (the others push or delete a tag)."""
    return next(p for _, p in webhook_examples("push") if p["ref"].startswith("refs/heads/"))


def queued(server: Server) -> list[Any]:
    return sorted(server.queue.jobs(), key=lambda j: j.id)


# --------------------------------------------------------------------------- signatures


def test_a_valid_signature_queues_the_preview_before_answering(client: TestClient, server: Server) -> None:
    payload = first_example("pull_request", "opened")
    answer = send_github(client, "pull_request", payload)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["status"] == "queued"
    [job] = queued(server)
    assert body["jobs"] == [job.id]
    assert (job.kind, job.key, job.status) == ("preview", f"pr:{payload['number']}", "queued")
    assert job.payload["head_sha"] == payload["pull_request"]["head"]["sha"]
    assert job.payload["base_ref"] == payload["pull_request"]["base"]["ref"]
    assert job.payload["author"] == payload["pull_request"]["user"]["login"]


@pytest.mark.parametrize("case", ["wrong secret", "missing", "tampered body", "not sha256", "empty"])
def test_a_bad_signature_is_refused_and_nothing_is_queued(client: TestClient, server: Server, case: str) -> None:
    payload = first_example("push")
    body = json.dumps(payload).encode()
    headers = github_headers("push", body)
    if case == "wrong secret":
        headers["X-Hub-Signature-256"] = github_signature(b"another-secret", body)
    elif case == "missing":
        del headers["X-Hub-Signature-256"]
    elif case == "tampered body":
        body = body.replace(b'"master"', b'"main"')
        assert b'"main"' in body
    elif case == "not sha256":
        headers["X-Hub-Signature-256"] = headers["X-Hub-Signature-256"].replace("sha256=", "sha1=")
    else:
        headers["X-Hub-Signature-256"] = ""
    answer = client.post("/webhooks/github", content=body, headers=headers)
    assert answer.status_code == 401, answer.text
    assert "X-Hub-Signature-256" in answer.json()["error"]
    assert queued(server) == []
    assert not server.queue.delivery_seen(f"github:{headers['X-GitHub-Delivery']}")


def test_a_replayed_delivery_is_acknowledged_and_not_queued_twice(client: TestClient, server: Server) -> None:
    payload = branch_push()
    first = send_github(client, "push", payload, delivery="d-1")
    again = send_github(client, "push", payload, delivery="d-1")
    assert first.status_code == again.status_code == 202
    assert again.json()["status"] == "duplicate"
    assert again.json()["jobs"] == first.json()["jobs"]
    assert len(queued(server)) == 1
    other = send_github(client, "push", payload, delivery="d-2")  # a new delivery of the same push is new
    assert other.json()["status"] == "queued"
    assert len(queued(server)) == 2


def test_an_oversized_body_is_refused(client: TestClient, server: Server) -> None:
    body = b'{"pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    answer = client.post("/webhooks/github", content=body, headers=github_headers("push", body))
    assert answer.status_code == 413
    assert queued(server) == []


def test_an_oversized_chunked_body_is_refused_without_a_length(client: TestClient, server: Server) -> None:
    chunk = b"x" * (1024 * 1024)

    def stream() -> Any:
        yield b'{"pad": "'
        for _ in range(6):
            yield chunk
        yield b'"}'

    headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "big", "X-Hub-Signature-256": "sha256=00"}
    answer = client.post("/webhooks/github", content=stream(), headers=headers)
    assert answer.status_code == 413
    assert queued(server) == []


def test_a_body_just_under_the_limit_is_read(client: TestClient, server: Server) -> None:
    payload = branch_push()
    payload["pad"] = "x" * (5 * 1024 * 1024 - len(json.dumps(payload)) - 20)
    body = json.dumps(payload).encode()
    assert len(body) <= 5 * 1024 * 1024
    answer = client.post("/webhooks/github", content=body, headers=github_headers("push", body))
    assert answer.status_code == 202, answer.text


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b""])
def test_malformed_json_is_a_400(client: TestClient, server: Server, body: bytes) -> None:
    answer = client.post("/webhooks/github", content=body, headers=github_headers("push", body))
    assert answer.status_code == 400
    assert queued(server) == []


def test_a_supported_event_missing_its_fields_is_a_400(client: TestClient, server: Server) -> None:
    payload = first_example("pull_request", "opened")
    del payload["pull_request"]
    answer = send_github(client, "pull_request", payload)
    assert answer.status_code == 400
    assert "pull_request" in answer.json()["error"]


def test_without_a_configured_secret_nothing_is_accepted(infra: Any) -> None:
    from orchestrator.server.app import ServerOptions, build_server, create_app

    server = build_server(ServerOptions(repo=infra.root, workers=0, scheduler=False), secret=None)
    with TestClient(create_app(server)) as client:
        answer = send_github(client, "push", first_example("push"))
    assert answer.status_code == 503
    assert "ORCHESTRATOR_WEBHOOK_SECRET" in answer.json()["error"]
    assert server.queue.jobs() == []


# --------------------------------------------------------------------------- GitHub events


@pytest.mark.parametrize("index,example", webhook_examples("pull_request"), ids=lambda v: str(v)[:3])
def test_every_pull_request_example(client: TestClient, server: Server, index: int, example: dict[str, Any]) -> None:
    assert schema_errors("pull_request", example) == []
    answer = send_github(client, "pull_request", example)
    assert answer.status_code == 202
    action = example["action"]
    jobs = queued(server)
    if action in ("opened", "synchronize", "reopened"):
        assert [(j.kind, j.key) for j in jobs] == [("preview", f"pr:{example['number']}")]
    elif action == "closed":
        assert [(j.kind, j.payload) for j in jobs] == [("unlock", {"pr": example["number"], "reason": "closed"})]
    else:
        assert jobs == []
        assert answer.json()["status"] == "ignored"
        assert action in answer.json()["reason"]


def test_a_newer_commit_supersedes_the_queued_preview(client: TestClient, server: Server) -> None:
    older = first_example("pull_request", "synchronize")
    newer = copy.deepcopy(older)
    newer["pull_request"]["head"]["sha"] = "f" * 40
    newer["after"] = "f" * 40 if "after" in newer else newer.get("after")
    assert schema_errors("pull_request", newer) == []
    first = send_github(client, "pull_request", older).json()
    second = send_github(client, "pull_request", newer).json()
    assert second["superseded"] == first["jobs"]
    by_id = {j.id: j for j in queued(server)}
    assert by_id[first["jobs"][0]].status == "superseded"
    assert by_id[first["jobs"][0]].superseded_by == second["jobs"][0]
    assert by_id[second["jobs"][0]].status == "queued"


def test_closing_the_pr_supersedes_its_queued_preview(client: TestClient, server: Server) -> None:
    opened = first_example("pull_request", "opened")
    closed = first_example("pull_request", "closed")
    closed["number"] = closed["pull_request"]["number"] = opened["number"]
    assert schema_errors("pull_request", closed) == []
    preview = send_github(client, "pull_request", opened).json()["jobs"][0]
    send_github(client, "pull_request", closed)
    assert server.queue.get(preview) is not None
    assert server.queue.get(preview).status == "superseded"  # type: ignore[union-attr]


@pytest.mark.parametrize("index,example", webhook_examples("push"), ids=lambda v: str(v)[:3])
def test_every_push_example(client: TestClient, server: Server, index: int, example: dict[str, Any]) -> None:
    answer = send_github(client, "push", example)
    assert answer.status_code == 202
    jobs = queued(server)
    if example["ref"].startswith("refs/tags/"):
        assert jobs == []
        assert "tag" in answer.json()["reason"]
    else:
        [job] = jobs
        assert (job.kind, job.key, job.commit) == ("deploy", "branch:master", example["after"])
        assert job.payload["before"] == example["before"]


def test_a_deleted_branch_deploys_nothing(client: TestClient, server: Server) -> None:
    payload = branch_push()
    payload.update(before=payload["after"], after="0" * 40, deleted=True, created=False)
    assert schema_errors("push", payload) == []
    answer = send_github(client, "push", payload)
    assert answer.json()["status"] == "ignored"
    assert "deleted" in answer.json()["reason"]
    assert queued(server) == []


def pr_comment(body: str, action: str = "created") -> dict[str, Any]:
    payload = first_example("issue_comment", action)
    issue = payload["issue"]
    base = payload["repository"]["url"]
    issue["pull_request"] = {
        "url": f"{base}/pulls/{issue['number']}",
        "html_url": f"{payload['repository']['html_url']}/pull/{issue['number']}",
        "diff_url": f"{payload['repository']['html_url']}/pull/{issue['number']}.diff",
        "patch_url": f"{payload['repository']['html_url']}/pull/{issue['number']}.patch",
    }
    payload["comment"]["body"] = body
    assert schema_errors("issue_comment", payload) == [], schema_errors("issue_comment", payload)
    return payload


def edited(changes: dict[str, Any]) -> dict[str, Any]:
    """GitHub's opened example as the `edited` delivery it becomes (validated against pull_request$edited)."""
    payload = first_example("pull_request", "opened")
    payload["action"] = "edited"
    payload["changes"] = changes
    assert schema_errors("pull_request", payload) == [], schema_errors("pull_request", payload)
    return payload


def test_a_pr_whose_base_branch_changed_is_previewed_again(client: TestClient, server: Server) -> None:
    payload = edited({"base": {"ref": {"from": "develop"}, "sha": {"from": "b" * 40}}})
    answer = send_github(client, "pull_request", payload).json()
    new_base = payload["pull_request"]["base"]["ref"]
    assert answer["status"] == "queued", answer
    assert answer["reason"].endswith(f"queued (retargeted to {new_base})")
    [job] = queued(server)
    assert (job.kind, job.key) == ("preview", f"pr:{payload['number']}")
    assert job.payload["base_ref"] == new_base


def test_a_pr_edit_of_title_or_body_previews_nothing(client: TestClient, server: Server) -> None:
    payload = edited({"title": {"from": "Old title"}, "body": {"from": "old"}})
    answer = send_github(client, "pull_request", payload).json()
    assert answer["status"] == "ignored" and "'edited' needs nothing" in answer["reason"]
    assert queued(server) == []


def test_a_form_encoded_delivery_gets_415_saying_to_choose_json(client: TestClient, server: Server) -> None:
    # What GitHub sends when the webhook's content type is application/x-www-form-urlencoded.
    body = urlencode({"payload": json.dumps(first_example("pull_request", "opened"))}).encode()
    headers = {**github_headers("pull_request", body), "Content-Type": "application/x-www-form-urlencoded"}
    answer = client.post("/webhooks/github", content=body, headers=headers)
    assert answer.status_code == 415
    error = answer.json()["error"]
    assert error.startswith("the delivery is application/x-www-form-urlencoded, not JSON: set the webhook's "
                            "content type to application/json")
    assert "Settings > Webhooks" in error
    assert queued(server) == []
    # An unsigned one is still refused for its signature first: the 415 tells nothing to strangers.
    headers["X-Hub-Signature-256"] = "sha256=" + "0" * 64
    assert client.post("/webhooks/github", content=body, headers=headers).status_code == 401


@pytest.mark.parametrize("command", ["preview", "deploy", "unlock"])
def test_a_command_comment_on_a_pr_queues_it(client: TestClient, server: Server, command: str) -> None:
    payload = pr_comment(f"/orchestrator {command}\nplease")
    answer = send_github(client, "issue_comment", payload)
    assert answer.status_code == 202
    [job] = queued(server)
    assert job.kind == "comment"
    assert job.key == f"pr:{payload['issue']['number']}"
    assert job.payload["command"] == command
    assert job.payload["commenter"] == payload["comment"]["user"]["login"]


@pytest.mark.parametrize(
    "payload_of,reason",
    [
        (lambda: pr_comment("looks good to me"), "without an /orchestrator command"),
        (lambda: pr_comment("/orchestrator destroy-everything"), "unknown command"),
        (lambda: first_example("issue_comment", "created"), "is an issue"),
        (lambda: pr_comment("/orchestrator preview", action="edited"), "only new comments"),
    ],
    ids=["no command", "unknown command", "on an issue", "edited"],
)
def test_comments_that_ask_nothing_are_ignored(client: TestClient, server: Server, payload_of: Any,
                                               reason: str) -> None:
    payload = payload_of()
    if payload["action"] == "created" and "pull_request" not in payload["issue"]:
        payload["comment"]["body"] = "/orchestrator preview"
    answer = send_github(client, "issue_comment", payload)
    assert answer.status_code == 202
    assert answer.json()["status"] == "ignored"
    assert reason in answer.json()["reason"]
    assert queued(server) == []


@pytest.mark.parametrize("event", ["ping", "check_run", "pull_request_review"])
def test_events_we_do_not_act_on_get_a_202_with_the_reason(client: TestClient, server: Server, event: str) -> None:
    _, payload = webhook_examples(event)[0]
    answer = send_github(client, event, payload)
    assert answer.status_code == 202
    assert answer.json()["status"] == "ignored"
    assert answer.json()["reason"]
    assert queued(server) == []


# --------------------------------------------------------------------------- GitLab
# Payloads are GitLab's own documented examples (fixtures/gitlab/webhooks), edited only where a
# test needs a value, with fields GitLab documents for that case (`oldrev`, `changes`, `action`).

MR_HEAD = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"  # last_commit of GitLab's merge request example


def gitlab_mr(action: str, *, oldrev: str | None = None, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    payload = gitlab_example("merge_request")
    payload["object_attributes"]["action"] = action
    payload["changes"] = changes if changes is not None else payload["changes"]  # the example's: labels, draft
    if oldrev:
        payload["object_attributes"]["oldrev"] = oldrev
    return payload


def gitlab_note(note: str, *, action: str = "create") -> dict[str, Any]:
    payload = gitlab_example("note_merge_request")
    payload["object_attributes"].update(note=note, action=action)
    return payload


def retarget(payload: dict[str, Any], new_target: str) -> dict[str, Any]:
    """What GitLab sends when a merge request's target branch is changed: an update with changes.target_branch."""
    previous = payload["object_attributes"]["target_branch"]
    payload["object_attributes"]["target_branch"] = new_target
    payload["changes"] = {"target_branch": {"previous": previous, "current": new_target}}
    return payload


def test_gitlab_token_is_checked(client: TestClient, server: Server) -> None:
    assert send_gitlab(client, "Merge Request Hook", gitlab_mr("open"), token="wrong").status_code == 401
    assert client.post("/webhooks/gitlab", content=b"{}", headers={"X-Gitlab-Event": "Push Hook"}).status_code == 401
    assert queued(server) == []
    assert send_gitlab(client, "Merge Request Hook", gitlab_mr("open")).status_code == 202
    assert len(queued(server)) == 1


def test_gitlab_documented_merge_request_opens_a_preview(client: TestClient, server: Server) -> None:
    answer = send_gitlab(client, "Merge Request Hook", gitlab_mr("open"))
    assert answer.json()["status"] == "queued", answer.text
    [job] = queued(server)
    assert (job.kind, job.key, job.commit) == ("preview", "pr:1", MR_HEAD)
    assert job.payload == {
        "pr": 1, "base_ref": "master", "base_sha": "", "head_ref": "ms-viewport", "head_sha": MR_HEAD,
        # Not the hook's `user` (root, id 1): the merge request's author, by id; the worker looks it up.
        "author": "", "author_id": 51, "from_fork": False, "repo": "gitlabhq/gitlab-test",
    }


def test_gitlab_documented_push_and_note_examples(client: TestClient, server: Server) -> None:
    push = send_gitlab(client, "Push Hook", gitlab_example("push")).json()
    assert push["status"] == "queued", push
    note = send_gitlab(client, "Note Hook", gitlab_note("/orchestrator preview")).json()
    assert note["status"] == "queued", note
    issue_note = gitlab_example("note_issue")
    issue_note["object_attributes"]["note"] = "/orchestrator preview"
    ignored = send_gitlab(client, "Note Hook", issue_note).json()
    assert (ignored["status"], ignored["reason"]) == ("ignored", "a note on a Issue, not a merge request")
    deploy, comment = queued(server)
    assert (deploy.kind, deploy.key, deploy.payload["after"]) == ("deploy", "branch:master", MR_HEAD)
    assert deploy.payload["pusher"] == "jsmith"
    assert (comment.kind, comment.key) == ("comment", "pr:1")
    assert comment.payload == {"pr": 1, "command": "preview", "commenter": "root", "repo": "gitlab-org/gitlab-test"}


@pytest.mark.parametrize(
    "payload,expected",
    [
        (gitlab_mr("open"), ("preview", "pr:1")),
        (gitlab_mr("reopen"), ("preview", "pr:1")),
        (gitlab_mr("update", oldrev="a" * 40), ("preview", "pr:1")),
        (gitlab_mr("update"), None),  # the example's changes: labels and draft only
        (retarget(gitlab_mr("update"), "develop"), ("preview", "pr:1")),
        (gitlab_mr("merge"), ("unlock", "pr:1")),
        (gitlab_mr("close"), ("unlock", "pr:1")),
        (gitlab_mr("approved"), None),
        ({**gitlab_example("push"), "after": "0" * 40}, None),
        (gitlab_note("/orchestrator preview"), ("comment", "pr:1")),
        (gitlab_note("/orchestrator preview", action="update"), None),
        (gitlab_note("This MR needs work."), None),
        ({"object_kind": "pipeline", "project": gitlab_example("push")["project"]}, None),
    ],
    ids=["mr open", "mr reopen", "mr update commits", "mr update labels", "mr retarget", "mr merge", "mr close",
         "mr approved", "branch deleted", "note command", "note edited", "note without command", "pipeline"],
)
def test_gitlab_hooks(client: TestClient, server: Server, payload: dict[str, Any],
                      expected: tuple[str, str] | None) -> None:
    answer = send_gitlab(client, "Some Hook", payload)
    assert answer.status_code == 202, answer.text
    jobs = queued(server)
    if expected is None:
        assert jobs == []
        assert answer.json()["status"] == "ignored"
    else:
        assert [(j.kind, j.key) for j in jobs] == [expected]


def test_a_gitlab_retarget_previews_against_the_new_target(client: TestClient, server: Server) -> None:
    answer = send_gitlab(client, "Merge Request Hook", retarget(gitlab_mr("update"), "develop")).json()
    assert answer["reason"] == f"preview of #1 at {MR_HEAD[:12]} queued (retargeted to develop)"
    [job] = queued(server)
    assert job.payload["base_ref"] == "develop"


def test_a_gitlab_note_edit_is_ignored_like_githubs_edited_comments(client: TestClient, server: Server) -> None:
    answer = send_gitlab(client, "Note Hook", gitlab_note("/orchestrator deploy", action="update")).json()
    assert (answer["status"], answer["reason"]) == ("ignored", "note update: only new notes carry commands")
    assert queued(server) == []


def test_gitlab_retries_are_recognised_by_idempotency_key(client: TestClient, server: Server) -> None:
    body = json.dumps(gitlab_mr("open")).encode()
    headers = {"X-Gitlab-Event": "Merge Request Hook", "X-Gitlab-Token": SECRET.decode(), "Idempotency-Key": "k-1"}
    assert client.post("/webhooks/gitlab", content=body, headers={**headers, "X-Gitlab-Event-UUID": "u-1"}).json()[
        "status"] == "queued"
    again = client.post("/webhooks/gitlab", content=body, headers={**headers, "X-Gitlab-Event-UUID": "u-2"})
    assert again.json()["status"] == "duplicate"
    assert len(queued(server)) == 1


def test_a_gitlab_hook_missing_fields_is_a_400(client: TestClient, server: Server) -> None:
    payload = gitlab_mr("open")
    del payload["object_attributes"]["last_commit"]
    assert send_gitlab(client, "Merge Request Hook", payload).status_code == 400


# --------------------------------------------------------------------------- health and metrics


def test_healthz_and_metrics(client: TestClient, server: Server) -> None:
    assert client.get("/healthz").json() == {"ok": True}
    send_github(client, "push", branch_push())
    send_github(client, "ping", webhook_examples("ping")[0][1])
    text = client.get("/metrics").text
    assert 'orchestrator_jobs{status="queued"} 1.0' in text
    assert 'orchestrator_webhook_deliveries_total{outcome="queued",reason="",source="github"} 1.0' in text
    assert 'orchestrator_webhook_deliveries_total{outcome="ignored",reason="",source="github"} 1.0' in text
    assert "orchestrator_job_duration_seconds" in text
    assert client.get("/status").json()["jobs"]["queued"] == 1


def test_dashboard_placeholders_answer(client: TestClient) -> None:
    for path in ("/", "/runs", "/locks"):
        assert client.get(path).status_code == 200
    assert client.get("/runs/nope").status_code == 404
