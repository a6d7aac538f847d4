"""Remediation: dev (`drift.remediate: true` in the sample) is put back; protected prod never is.

The sample stacks are deployed to dev and prod in moto; versioning of both uploads buckets
is suspended by hand; one drift run over both environments reports through the GitHub
stand-in (one tracking issue per environment).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from orchestrator.config.load import load_repository
from orchestrator.drift.issues import issue_marker
from orchestrator.engines.local.engine import LocalEngine
from orchestrator.flows.drift import DriftOutcome, DriftRequest, run_drift
from orchestrator.sandbox import InProcessSandbox
from orchestrator.store import open_store
from orchestrator.store.sql import SqlStore
from orchestrator.vcs.github import GitHubClient
from tests.support.drift_repo import make_repo
from tests.support.github_standin import GitHubStandIn
from tests.support.gitrepo import InfraRepo
from tests.support.sample import deploy_stacks
from tests.support.sandbox import Aws


@dataclass
class Remediated:
    repo: InfraRepo
    aws: Aws
    store: SqlStore
    github: GitHubStandIn
    buckets: dict[str, str]
    outcome: DriftOutcome


def versioning(aws: Aws, bucket: str) -> Any:
    return aws.s3.get_bucket_versioning(Bucket=bucket).get("Status")


@pytest.fixture(scope="module")
def remediated(sandbox: InProcessSandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remediated]:
    base = tmp_path_factory.mktemp("drift-remediate")
    repo = make_repo(base / "infra", ("dev", "qa", "uat", "prod"))
    head = repo.commit("the sample infrastructure: dev and prod")
    for env in ("dev", "prod"):
        deploy_stacks(repo.root, env, ("network", "data"))  # app (Kubernetes files) has nothing to remediate
    config = load_repository(repo.root)
    aws = Aws(sandbox.endpoint)
    buckets = {env: LocalEngine().outputs(config.stack_spec("data", env))["bucket_name"] for env in ("dev", "prod")}
    for bucket in buckets.values():
        aws.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    github = GitHubStandIn().start()
    github.add_commit(head)
    store = open_store(None, repo.root)
    try:
        client = GitHubClient(github.full_name, github.token, api_url=github.base_url)
        request = DriftRequest(repo=repo.root, environments=("dev", "prod"), out_dir=base / "reports",
                               actor="drift-bot", now=datetime(2100, 1, 1, tzinfo=UTC), concurrency=3,
                               remediate=True)  # --remediate: asked for prod too
        outcome = run_drift(request, store, client)
        yield Remediated(repo, aws, store, github, buckets, outcome)
    finally:
        store.close()
        github.stop()
    github.assert_valid()


def test_drift_found_in_both_and_tracked_per_environment(remediated: Remediated) -> None:
    outcome = remediated.outcome
    assert outcome.exit_code == 2, "drift found, and dev's remediation succeeded: " + str(outcome.failures)
    drifted = {(f.environment, f.type) for f in outcome.report.findings if f.kind == "drifted"}
    assert drifted == {
        ("dev", "aws:s3/bucketVersioning:BucketVersioning"), ("prod", "aws:s3/bucketVersioning:BucketVersioning")
    }
    issues = {i["title"]: i for i in remediated.github.issues()}
    assert set(issues) == {"Drift in dev", "Drift in prod"}
    assert all(i["state"] == "open" for i in issues.values())
    assert issue_marker("prod") in (issues["Drift in prod"]["body"] or "")
    assert any("share one account" in note for note in outcome.notes), "dev and prod both use the sandbox"


def test_remediation_is_refused_in_protected_prod(remediated: Remediated) -> None:
    prod = next(r for r in remediated.outcome.remediations if r.environment == "prod")
    assert prod.status == "refused" and prod.stacks == ("data/prod",)
    assert prod.reason and "protected" in prod.reason
    assert versioning(remediated.aws, remediated.buckets["prod"]) == "Suspended", "prod's cloud left alone"
    refused = [e for e in remediated.store.audit_log(limit=200) if e.action == "drift.remediation_refused"]
    assert [e.environment for e in refused] == ["prod"]


def test_remediation_puts_dev_back(remediated: Remediated) -> None:
    dev = next(r for r in remediated.outcome.remediations if r.environment == "dev")
    assert dev.status == "succeeded", dev.reason
    assert dev.stacks == ("data/dev",) and dev.results["data/dev"].ok
    assert versioning(remediated.aws, remediated.buckets["dev"]) == "Enabled"


def test_remediation_of_dev_ran_as_a_deploy(remediated: Remediated) -> None:
    dev = next(r for r in remediated.outcome.remediations if r.environment == "dev")
    assert dev.run_id is not None and dev.stacks == ("data/dev",)
    run = remediated.store.get_run(dev.run_id)
    assert run is not None and run.flow == "remediate"
    assert dev.status == "succeeded"
