"""The whole path with nothing stubbed: a signed GitHub `pull_request` delivery (GitHub's own
example, edited for our repository and validated against the schema) → the receiver → the
queue → a worker → the real preview flow (local engine on moto, loopback) → the comment and
statuses on the GitHub stand-in (every call validated against GitHub's API description).
Then an untrusted PR waits, and a trusted maintainer's `/orchestrator preview` comment runs it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from orchestrator.server.app import create_app
from tests.deploy.conftest import sandbox as sandbox
from tests.support.deliveries import make_server, send_github
from tests.support.github_standin import GitHubStandIn
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import TRUSTED, make_infra_repo
from tests.support.webhooks import schema_errors, webhook_examples

MARKER = "<!-- orchestrator:preview -->"
AGGREGATE = "orchestrator/preview"


def wait_for(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def pull_request_event(gh: GitHubStandIn, *, number: int, author: str, head: str, base: str) -> dict[str, Any]:
    _, payload = webhook_examples("pull_request", "opened")[0]
    pr = payload["pull_request"]
    payload["number"] = pr["number"] = number
    for side, ref, sha in (("head", f"change-{number}", head), ("base", "main", base)):
        pr[side].update(ref=ref, sha=sha, label=f"{gh.owner}:{ref}")
        pr[side]["repo"].update(full_name=gh.full_name, name=gh.repo)
        pr[side]["repo"]["owner"]["login"] = gh.owner
    payload["repository"].update(full_name=gh.full_name, name=gh.repo)
    pr["user"]["login"] = payload["sender"]["login"] = author
    assert schema_errors("pull_request", payload) == []
    return payload


def comment_event(gh: GitHubStandIn, *, number: int, commenter: str, body: str) -> dict[str, Any]:
    _, payload = webhook_examples("issue_comment", "created")[0]
    payload["issue"]["number"] = number
    html = f"https://github.com/{gh.full_name}/pull/{number}"
    payload["issue"]["pull_request"] = {"url": f"https://api.github.com/repos/{gh.full_name}/pulls/{number}",
                                        "html_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch"}
    payload["comment"]["body"] = body
    payload["comment"]["user"]["login"] = payload["sender"]["login"] = commenter
    payload["repository"].update(full_name=gh.full_name, name=gh.repo)
    assert schema_errors("issue_comment", payload) == []
    return payload


@pytest.fixture
def repo(tmp_path: Any, github_standin: GitHubStandIn, monkeypatch: pytest.MonkeyPatch, sandbox: Any) -> InfraRepo:
    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", github_standin.token)
    infra = make_infra_repo(tmp_path / "infra", environments=("qa",), projects=("network",))
    infra.write("orchestrator.yaml", infra.read("orchestrator.yaml") + (
        f"vcs:\n  provider: github\n  repo: {github_standin.full_name}\n  api_url: {github_standin.base_url}\n"))
    infra.commit("report to the GitHub stand-in")
    return infra


def change(repo: InfraRepo, number: int) -> tuple[str, str]:
    base = repo.sha("main")
    repo.git("checkout", "-q", "-b", f"change-{number}", "main")
    repo.replace("stacks/network/__main__.py", "or 60", f"or {60 + number}")
    head = repo.commit(f"network: visibility timeout {60 + number}")
    repo.git("checkout", "-q", "main")
    return base, head


def test_a_delivery_becomes_a_preview_comment_and_a_trusted_comment_approves_an_untrusted_pr(
    repo: InfraRepo, github_standin: GitHubStandIn
) -> None:
    gh = github_standin
    base, head = change(repo, 11)
    gh.add_pull(number=11, author=TRUSTED, head_sha=head, base_sha=base, head_ref="change-11", base_ref="main")
    other_base, other_head = change(repo, 12)
    gh.add_pull(number=12, author="drive-by", head_sha=other_head, base_sha=other_base, head_ref="change-12",
                base_ref="main")
    gh.set_permission("drive-by", "read")

    server = make_server(repo, workers=1, idle_s=0.2)  # the real FlowRunner
    with TestClient(create_app(server)) as client:
        answer = send_github(client, "pull_request",
                             pull_request_event(gh, number=11, author=TRUSTED, head=head, base=base))
        assert answer.status_code == 202 and answer.json()["status"] == "queued", answer.text
        [job_id] = answer.json()["jobs"]
        wait_for(lambda: server.queue.get(job_id).status not in ("queued", "running"), 180)  # type: ignore[union-attr]
        job = server.queue.get(job_id)
        assert job is not None and job.status == "succeeded", job and (job.error, job.result)
        assert job.result is not None and job.result["stacks"] == 1 and job.result["published"] is True

        [comment] = [c for c in gh.comments(11) if MARKER in c["body"]]
        assert "network/qa" in comment["body"]
        assert "aws:sqs/queue:Queue" in comment["body"] or "sqs" in comment["body"].lower()
        latest = gh.latest_statuses(head)
        assert latest[f"{AGGREGATE}: network/qa"]["state"] == "success"

        # An untrusted author's PR is not run; a trusted maintainer's comment approves it.
        untrusted = send_github(client, "pull_request",
                                pull_request_event(gh, number=12, author="drive-by", head=other_head, base=other_base))
        [waiting_id] = untrusted.json()["jobs"]
        wait_for(lambda: server.queue.get(waiting_id).status == "succeeded", 60)  # type: ignore[union-attr]
        waiting = server.queue.get(waiting_id)
        assert waiting is not None and waiting.result is not None and waiting.result["trusted"] is False
        [note] = [c for c in gh.comments(12) if MARKER in c["body"]]
        assert "/orchestrator preview" in note["body"]

        approval = send_github(client, "issue_comment",
                               comment_event(gh, number=12, commenter=TRUSTED, body="/orchestrator preview"))
        [approved_id] = approval.json()["jobs"]
        wait_for(lambda: server.queue.get(approved_id).status not in ("queued", "running"), 180)  # type: ignore[union-attr]
        approved = server.queue.get(approved_id)
        assert approved is not None and approved.status == "succeeded", (approved and approved.error)
        assert approved.result is not None and approved.result["trusted"] is True
        assert f"approved by {TRUSTED}" in (approved.result["trust_reason"] or "")
        [edited] = [c for c in gh.comments(12) if MARKER in c["body"]]
        assert edited["id"] == note["id"] and "network/qa" in edited["body"]
        assert gh.latest_statuses(other_head)[f"{AGGREGATE}: network/qa"]["state"] == "success"
