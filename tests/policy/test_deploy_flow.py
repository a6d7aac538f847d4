"""Policy packs on merge: a mandatory violation blocks that stack's update (nothing reaches the
cloud, checked with boto3), its dependents are skipped; the violations are in the JSON, the
Deployed comment, the stack's commit status, the audit log and the dashboard's run page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from orchestrator.sandbox import InProcessSandbox
from orchestrator.server.app import ServerOptions, build_server, create_app
from orchestrator.server.dashboard import TOKEN_ENV
from tests.deploy.conftest import sandbox  # noqa: F401 (fixture)
from tests.support.cli import run_cli
from tests.support.lean_infra import make_infra_repo, results_by_stack
from tests.support.sandbox import aws_client

ADMIN_ROLE = '''
import json

admin = aws.iam.Role(
    naming.resource_name(project, env, "admin"),
    assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    inline_policies=[{"name": "all", "policy": json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": "*"}]})}],
    tags=tags.standard_tags(project, env),
)
'''


def test_a_mandatory_violation_blocks_the_deploy_and_the_cloud_is_unchanged(
    tmp_path: Path, sandbox: InProcessSandbox, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    repo = make_infra_repo(tmp_path / "infra", environments=("qa",))
    assert (first := run_cli(repo, "deploy", "--json")).code == 0, first.text
    queues = aws_client("sqs", sandbox.endpoint)
    [queue_url] = queues.list_queues(QueueNamePrefix="qa-network-events")["QueueUrls"]

    # The merge: a longer visibility timeout (an update), and a role allowing *:* (mandatory).
    repo.replace("stacks/network/__main__.py", 'get_int("visibility_timeout_seconds") or 60',
                 'get_int("visibility_timeout_seconds") or 90')
    repo.write("stacks/network/__main__.py", repo.read("stacks/network/__main__.py") + ADMIN_ROLE)
    sha = repo.commit("network: longer visibility; an admin role")
    out = tmp_path / "vcs"
    run = run_cli(repo, "deploy", "--json", "--vcs", "files", "--out", str(out), "--actor", "platform-lead",
                  "--pr", "5")

    assert run.code == 1, run.text
    outcome = run.json()
    results = results_by_stack(outcome)
    network = results["network/qa"]
    assert network["status"] == "failed"
    assert network["error"] == ("1 mandatory policy violation: aws-guard/iam-no-wildcard-admin on qa-network-admin; "
                                "the update was blocked: nothing was applied")
    assert [(v["policy"], v["enforcement"]) for v in network["policy_violations"]] == [
        ("iam-no-wildcard-admin", "mandatory")]
    assert results["data/qa"]["error"] == "skipped: depends on network/qa, which failed"
    # Nothing of the merge reached the cloud: the queue is as it was, no role was made.
    timeout = queues.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])
    assert timeout["Attributes"]["VisibilityTimeout"] == "60"
    assert not [r for r in aws_client("iam", sandbox.endpoint).list_roles()["Roles"]
                if r["RoleName"].startswith("qa-network-admin")]

    statuses = {s["context"]: s for s in json.loads((out / "statuses.json").read_text()) if s["sha"] == sha}
    assert (statuses["orchestrator/deploy: network/qa"]["state"],
            statuses["orchestrator/deploy: network/qa"]["description"]) == (
        "failure", "mandatory policy violated: iam-no-wildcard-admin (aws-guard)")
    comment = (out / "comment.md").read_text()
    assert "| **mandatory** | aws-guard/iam-no-wildcard-admin | qa-network-admin |" in comment

    store = repo.open_store()
    try:
        [entry] = [e for e in store.audit_log(run_id=outcome["run_id"]) if e.action == "stack.update"
                   and e.stack == "network/qa"]
        assert [v["policy"] for v in entry.details["policy_violations"]] == ["iam-no-wildcard-admin"]
    finally:
        store.close()

    monkeypatch.delenv(TOKEN_ENV, raising=False)
    server = build_server(ServerOptions(repo=repo.root, workers=0, scheduler=False), secret=b"policy-tests")
    try:
        with TestClient(create_app(server, manage_services=False)) as dashboard:
            page = dashboard.get(f"/runs/{outcome['run_id']}").text
    finally:
        server.store.close()
    assert '<table class="policy" data-stack="network/qa">' in page
    assert 'data-policy="aws-guard/iam-no-wildcard-admin"' in page
    assert "qa-network-admin" in page
