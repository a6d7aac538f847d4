"""Rollback and roll-forward: deploy A, deploy B (a change visible in the cloud), roll back to
A by commit (the cloud matches A again, checked with boto3), forward to B by run id; what
`orchestrator history` shows about it, as text and as JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from orchestrator.sandbox import InProcessSandbox
from tests.support.cli import run_cli
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import make_infra_repo, results_by_stack
from tests.support.sandbox import aws_client

STACKS = ("network/qa", "data/qa")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, sandbox: InProcessSandbox) -> Iterator[InfraRepo]:
    infra = make_infra_repo(tmp_path_factory.mktemp("rollback") / "infra", environments=("qa",),
                            projects=("network", "data"))
    yield infra


def events_queue(sandbox: InProcessSandbox) -> tuple[str, dict[str, str]]:
    """(VisibilityTimeout, tags) of qa's events queue, read from the cloud."""
    client = aws_client("sqs", sandbox.endpoint)
    [url] = client.list_queues(QueueNamePrefix="qa-network-events")["QueueUrls"]
    attributes: dict[str, Any] = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    tags: dict[str, str] = client.list_queue_tags(QueueUrl=url).get("Tags", {})
    return attributes["VisibilityTimeout"], tags


def test_rollback_to_a_commit_restores_the_cloud_and_history_shows_it(
    repo: InfraRepo, sandbox: InProcessSandbox
) -> None:
    commit_a = repo.sha()
    deployed_a = run_cli(repo, "deploy", "--json")
    assert deployed_a.code == 0, deployed_a.text
    cloud_a = events_queue(sandbox)
    assert cloud_a[0] == "60"

    repo.replace("stacks/network/__main__.py", "or 60", "or 300")
    repo.replace("stacks/network/__main__.py", 'Component="events")', 'Component="events", Tier="batch")')
    commit_b = repo.commit("network: batch consumers")
    deployed_b = run_cli(repo, "deploy", "--json")
    assert deployed_b.code == 0, deployed_b.text
    run_b = deployed_b.json()["run_id"]
    cloud_b = events_queue(sandbox)
    assert cloud_b[0] == "300" and cloud_b[1]["Tier"] == "batch"

    back = run_cli(repo, "rollback", "--env", "qa", "--to", commit_a[:10], "--actor", "oncall", "--json")

    assert back.code == 0, back.text
    outcome = back.json()
    assert {r["stack"]: r["status"] for r in outcome["results"]} == dict.fromkeys(STACKS, "succeeded")
    network = results_by_stack(outcome)["network/qa"]
    assert network["counts"]["update"] == 1
    assert events_queue(sandbox) == cloud_a, "the cloud matches A again"
    assert "Tier" not in events_queue(sandbox)[1]

    history = run_cli(repo, "history", "--env", "qa", "--json")
    assert history.code == 0, history.text
    shown = history.json()
    assert shown["current"] == dict.fromkeys(STACKS, commit_a), "each stack runs A now"
    newest = shown["history"][0]
    assert newest["flow"] == "rollback" and newest["commit"] == commit_a and newest["run_id"] == outcome["run_id"]
    assert [r["flow"] for r in shown["history"] if r["stack"] == "network/qa"] == ["rollback", "deploy", "deploy"]
    text = run_cli(repo, "history", "--project", "network")
    assert text.code == 0, text.text
    assert f"network/qa  {commit_a[:12]}" in text.stdout
    assert "rollback" in text.stdout and outcome["run_id"] in text.stdout

    store = repo.open_store()
    try:
        chronological = sorted(store.audit_log(limit=100), key=lambda e: e.id)
        rollback = [e for e in chronological if e.actor == "oncall"]
        assert [e.action for e in rollback][:2] == ["rollback.requested", "rollback.started"]
        assert rollback[0].details["target"] == commit_a[:10] and rollback[0].commit == commit_a
        assert {e.stack for e in rollback if e.action == "stack.update"} == set(STACKS)
        assert rollback[-1].action == "rollback.finished" and rollback[-1].details["status"] == "succeeded"
    finally:
        store.close()

    # Roll forward again, naming B's deploy run instead of a commit.
    forward = run_cli(repo, "rollback", "--env", "qa", "--project", "network", "--to", run_b, "--json")

    assert forward.code == 0, forward.text
    assert [r["stack"] for r in forward.json()["results"]] == ["network/qa"], "--project limits the stacks"
    assert events_queue(sandbox) == cloud_b
    current = run_cli(repo, "history", "--json").json()["current"]
    assert current == {"network/qa": commit_b, "data/qa": commit_a}
