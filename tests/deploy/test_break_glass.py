"""An emergency rollback of a gated environment: without --break-glass a rollback the gates stop
does nothing and says so (exit 1, naming the gate); with it, a trusted user rolls back through
`requires` and approvals, recorded as such in the audit log and the comment. Who may not is
told how to say who they are (--actor) and who is trusted (trust.users)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.sandbox import InProcessSandbox
from tests.support.cli import run_cli
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import make_infra_repo, results_by_stack
from tests.support.sandbox import aws_client

TRUSTED = "platform-lead"  # trust.users in the sample's orchestrator.yaml


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, sandbox: InProcessSandbox) -> Iterator[InfraRepo]:
    yield make_infra_repo(tmp_path_factory.mktemp("break-glass") / "infra", projects=("network",))


def prod_visibility(sandbox: InProcessSandbox) -> str:
    client = aws_client("sqs", sandbox.endpoint)
    [url] = client.list_queues(QueueNamePrefix="prod-network-events")["QueueUrls"]
    return str(client.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"][
        "VisibilityTimeout"])


def test_rollback_of_a_gated_environment(repo: InfraRepo, sandbox: InProcessSandbox, tmp_path: Path) -> None:
    good = repo.sha()
    assert run_cli(repo, "deploy").code == 0  # qa and uat at the good commit; prod waits for an approval
    repo.replace("stacks/network/__main__.py", "or 60", "or 300")
    bad = repo.commit("network: slow consumers")
    assert run_cli(repo, "deploy").code == 0
    assert run_cli(repo, "promote", "--env", "prod", "--commit", bad, "--actor", TRUSTED).code == 0
    assert prod_visibility(sandbox) == "300"
    # Back to the good commit: nobody approved it for prod, so the approval gate stops the rollback.

    stopped = run_cli(repo, "rollback", "--env", "prod", "--to", good, "--actor", TRUSTED)

    assert stopped.code == 1, stopped.text
    assert "rollback stopped by the gate of prod: nothing was rolled back" in stopped.stdout
    assert "--break-glass --reason" in stopped.stdout
    as_json = run_cli(repo, "rollback", "--env", "prod", "--to", good, "--actor", TRUSTED, "--json").json()
    assert as_json["exit_code"] == 1 and as_json["gates"][0]["passed"] is False
    assert prod_visibility(sandbox) == "300", "nothing changed"

    no_reason = run_cli(repo, "rollback", "--env", "prod", "--to", good, "--break-glass", "--actor", TRUSTED)
    assert no_reason.code == 1 and "--break-glass needs --reason" in no_reason.stderr

    untrusted = run_cli(repo, "rollback", "--env", "prod", "--to", good, "--break-glass", "--reason", "x",
                        "--actor", "mallory")
    assert untrusted.code == 1 and "mallory may not break glass" in untrusted.stderr
    assert "--actor" in untrusted.stderr and "trust.users" in untrusted.stderr

    out = tmp_path / "vcs"
    broke = run_cli(repo, "rollback", "--env", "prod", "--to", good, "--break-glass",
                    "--reason", "INC-7: consumers time out", "--actor", TRUSTED, "--vcs", "files", "--out", str(out),
                    "--json")

    assert broke.code == 0, broke.text
    outcome = broke.json()
    assert results_by_stack(outcome)["network/prod"]["status"] == "succeeded"
    [gate] = outcome["gates"]
    assert gate["passed"] and gate["reasons"][0] == (
        f"bypassed by a break-glass rollback (by {TRUSTED}: INC-7: consumers time out)")
    assert any(r.startswith("not met: needs 1 approving review(s)") for r in gate["reasons"])
    assert prod_visibility(sandbox) == "60"
    comment = (out / "comment.md").read_text()
    assert f"### ✅ Rolled back prod to `{good[:7]}`: " in comment, "titled as the rollback it was"
    assert f"Break-glass rollback by {TRUSTED}: INC-7: consumers time out" in comment
    assert any("no merged pull request found" in line for line in outcome["skipped"])
    store = repo.open_store()
    try:
        actions = [(e.action, e.environment) for e in store.audit_log(limit=200) if e.run_id == outcome["run_id"]
                   or e.action == "rollback.break_glass"]
        [broken] = [e for e in store.audit_log(limit=200) if e.action == "rollback.break_glass"]
        assert broken.actor == TRUSTED and broken.details["reason"] == "INC-7: consumers time out"
    finally:
        store.close()
    assert ("gate.bypassed", "prod") in actions


def test_promote_refusal_says_how_to_be_trusted(repo: InfraRepo) -> None:
    refused = run_cli(repo, "promote", "--env", "prod", "--commit", repo.sha(), "--actor", "someone")
    assert refused.code == 1
    assert "someone may not promote" in refused.stderr
    assert "--actor" in refused.stderr and "trust.users" in refused.stderr


def test_a_deploy_without_a_merged_pull_request_says_where_its_comment_went(repo: InfraRepo, tmp_path: Path) -> None:
    out = tmp_path / "vcs"
    deployed = run_cli(repo, "deploy", "--vcs", "files", "--out", str(out))
    assert deployed.code == 0, deployed.text
    assert f"no merged pull request found for {repo.sha()[:12]} (pass --pr N to name it): the \"Deployed\" " \
        f"comment went to {out / 'comment.md'} only" in deployed.stdout
