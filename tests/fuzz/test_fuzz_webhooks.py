"""Fuzzing the webhook receiver with signed mutations of the real examples: GitHub's documented
`pull_request`, `push` and `issue_comment` payloads and GitLab's merge request, push and note
hooks (tests/fixtures), with values replaced, deleted or nested deep, or the body's bytes
mutated. Every delivery carries a valid signature or token, so each reaches the parser and the
event mapping. Property: never a 500; 202, 400 or 415 (the answers a sender can act on)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from orchestrator.server.app import create_app
from tests.fuzz.strategies import byte_mutated, mutated
from tests.support.deliveries import SECRET, github_headers, make_server
from tests.support.lean_infra import make_infra_repo
from tests.support.webhooks import gitlab_example, webhook_examples

GITHUB = [("pull_request", p) for _, p in webhook_examples("pull_request")[:6]]
GITHUB += [("push", p) for _, p in webhook_examples("push")]
GITHUB += [("issue_comment", p) for _, p in webhook_examples("issue_comment")]
GITLAB = [(event, gitlab_example(name)) for name, event in (
    ("merge_request", "Merge Request Hook"), ("push", "Push Hook"), ("note_merge_request", "Note Hook"),
    ("note_issue", "Note Hook"))]
ANSWERS = {202, 400, 415}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
        infra = make_infra_repo(tmp_path_factory.mktemp("fuzz-webhooks") / "infra", environments=("qa",),
                                projects=("network",))
        server = make_server(infra)
        with TestClient(create_app(server), raise_server_exceptions=False) as running:
            yield running
        server.store.close()


def _post(client: TestClient, source: str, event: str, body: bytes) -> Any:
    if source == "github":
        return client.post("/webhooks/github", content=body, headers=github_headers(event, body))
    return client.post("/webhooks/gitlab", content=body, headers={
        "Content-Type": "application/json", "X-Gitlab-Event": event, "X-Gitlab-Token": SECRET.decode(),
        "X-Gitlab-Event-UUID": str(uuid.uuid4())})


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[str, str, bytes]:
    source = draw(st.sampled_from(["github", "gitlab"]))
    event, example = draw(st.sampled_from(GITHUB if source == "github" else GITLAB))
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        body = draw(byte_mutated(json.dumps(example).encode()))
    else:
        body = json.dumps(draw(mutated(example))).encode()
    return source, event, body


@given(delivery=deliveries())
def test_signed_mutations_never_get_a_500(client: TestClient, delivery: tuple[str, str, bytes]) -> None:
    source, event, body = delivery
    answer = _post(client, source, event, body)
    assert answer.status_code in ANSWERS, (answer.status_code, answer.text, body[:500])
    if answer.status_code == 400:
        assert answer.json().get("error"), answer.text  # the reason is given
