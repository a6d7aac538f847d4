"""The dashboard tests' demo: a store holding the demo's kind of history, made by real flows.

The repository is the sample's (3 projects × 4 environments: dev on `develop`; qa, uat, prod on
`main`, prod protected). Real `run_deploy` pushes (develop, then main: qa and uat update, prod
is blocked by its approval gate) and a real `run_drift` fill the store; only the engine is a
stand-in (`DemoEngine`, results computed from the stack id), since the dashboard reads what
the flows record, not what an engine did. Locks and one hostile result are added with direct
store calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator.drift.findings import finding_key
from orchestrator.drift.model import Finding, UnmanagedScan
from orchestrator.engines.base import OpCounts, PropertyDiff, ResourceChange, StackResult
from orchestrator.models import StackSpec
from orchestrator.sandbox import ENDPOINT_ENV
from orchestrator.store.sql import SqlStore
from tests.support.gitrepo import git
from tests.support.sample import copy_sample

WEBHOOK_SECRET = b"dashboard-test-webhook-secret"
HOSTILE = '<script>alert("x")</script>'
LEAKED_PASSWORD = "hunter2-very-secret"


class DemoEngine:
    """Answers every stack the same way each time: an SQS queue whose visibility timeout changes
    (and, in app, a replaced bucket); drift: app/qa drifted, data/uat unreadable, the rest clean."""

    def _changes(self, stack: StackSpec) -> tuple[ResourceChange, ...]:
        urn = f"urn:pulumi:{stack.stack_name}::{stack.project}::aws:sqs/queue:Queue::{stack.project}-events"
        changes = [ResourceChange(urn=urn, type="aws:sqs/queue:Queue", name=f"{stack.project}-events", op="update",
                                  diffs=(PropertyDiff("visibilityTimeoutSeconds", "update", 30.0, 60.0),
                                         PropertyDiff("tags.CostCenter", "add", None, "platform")))]
        if stack.project == "app":
            changes.append(ResourceChange(
                urn=urn.replace("sqs/queue:Queue::app-events", "s3/bucket:Bucket::app-assets"),
                type="aws:s3/bucket:Bucket", name="app-assets", op="replace",
                diffs=(PropertyDiff("bucket", "update", "app-assets-old", "app-assets-new"),)))
        return tuple(changes)

    def _result(self, stack: StackSpec, operation: Any) -> StackResult:
        changes = self._changes(stack)
        return StackResult(stack=f"{stack.project}/{stack.environment}", operation=operation, status="succeeded",
                           counts=OpCounts.of(changes), changes=changes, duration_s=0.1)

    def preview(self, stack: StackSpec) -> StackResult:
        return self._result(stack, "preview")

    def update(self, stack: StackSpec) -> StackResult:
        return self._result(stack, "update")

    def destroy(self, stack: StackSpec, *, preview_only: bool) -> StackResult:
        return self._result(stack, "destroy-preview" if preview_only else "destroy")

    def drift(self, stack: StackSpec) -> StackResult:
        sid = f"{stack.project}/{stack.environment}"
        if sid == "data/uat":
            return StackResult(stack=sid, operation="drift", status="failed", error="AccessDenied: cannot read queue")
        if sid != "app/qa":
            return StackResult(stack=sid, operation="drift", status="succeeded")
        change = ResourceChange(
            urn="urn:pulumi:qa::app::aws:sqs/queue:Queue::app-events", type="aws:sqs/queue:Queue",
            name="app-events", op="update", diffs=(PropertyDiff("delaySeconds", "update", 0.0, 15.0),))
        return StackResult(stack=sid, operation="drift", status="succeeded", changes=(change,))

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        return {}


def _one_unmanaged(environment: str, *_: Any) -> tuple[list[Finding], UnmanagedScan]:
    """The account scan: one queue made by hand. The sample's environments share one account,
    so the flow scans it once, for the group's owner (`environment`)."""
    arn = "arn:aws:sqs:us-east-1:123456789012:made-by-hand"
    found = Finding(key=finding_key(environment, "unmanaged", arn), environment=environment, kind="unmanaged",
                    type="aws:sqs/queue:Queue", name="made-by-hand", resource_id=arn)
    return [found], UnmanagedScan(environment=environment, region="us-east-1", scanned=3, excluded=0)


@dataclass(frozen=True)
class DemoHistory:
    root: Path
    main_deploy: str  # run ids
    develop_deploy: str
    drift: str
    hostile: str
    main_commit: str


def make_demo_repo(root: Path) -> Path:
    """The sample's configuration and programs (no per-stack Pulumi.<env>.yaml: no secrets to decrypt)."""
    copy_sample(root, stacks="programs")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the infrastructure")
    git(root, "branch", "develop")
    return root


def fill_history(root: Path, store: SqlStore) -> DemoHistory:
    from orchestrator.flows.deploy import DeployRequest, run_deploy
    from orchestrator.flows.drift import DriftRequest, run_drift

    engine = DemoEngine()
    develop = run_deploy(DeployRequest(repo=root, after="develop", branch="develop", actor="dev-alice"), store, None,
                         engine_factory=lambda _name: engine)
    main = run_deploy(DeployRequest(repo=root, after="main", branch="main", actor="platform-lead"), store, None,
                      engine_factory=lambda _name: engine)
    with pytest.MonkeyPatch.context() as patch:
        # The environments' `endpoint: sandbox` must resolve for the account scan to be attempted;
        # nothing is sent there (the scanner and the engine are stand-ins).
        patch.setenv(ENDPOINT_ENV, "http://127.0.0.1:9")
        drift = run_drift(DriftRequest(repo=root, environments=("qa", "uat", "prod"), formats=("json",),
                                       out_dir=root / ".orchestrator" / "reports", actor="scheduler", environ={}),
                          store, None, engine_factory=lambda _name: engine, scanner=_one_unmanaged)
    assert drift.run_id is not None
    hostile = _hostile_run(store, git(root, "rev-parse", "main"))
    now = store.lease_clock()
    store.acquire_lock("network/prod", holder=f"deploy run {main.run_id} by platform-lead on ci-host pid 4242",
                       run_id=main.run_id, commit=git(root, "rev-parse", "main"), ttl_s=600)
    store.acquire_lock("app/dev", holder=f"preview by https://bot:{LEAKED_PASSWORD}@example.com",
                       run_id=develop.run_id, commit="0" * 40, ttl_s=-60, purpose="pr", pr=7)
    assert store.get_lock("app/dev") is None and now  # expired already
    return DemoHistory(root=root, main_deploy=main.run_id, develop_deploy=develop.run_id, drift=drift.run_id,
                       hostile=hostile, main_commit=git(root, "rev-parse", "main"))


def _hostile_run(store: SqlStore, commit: str) -> str:
    """A preview whose resource names, paths and values are hostile HTML (as a PR author could write)."""
    run = store.start_run(flow="preview", commit=commit, branch=f"feature/{HOSTILE}", actor=f"mallory{HOSTILE}",
                          pr=66, environments=("qa",))
    change = ResourceChange(urn=f"urn:pulumi:qa::network::aws:sqs/queue:Queue::{HOSTILE}", type="aws:sqs/queue:Queue",
                            name=HOSTILE, op="create",
                            diffs=(PropertyDiff(f"tags.{HOSTILE}", "add", None, f"</td></tr>{HOSTILE}"),))
    result = StackResult(stack="network/qa", operation="preview", status="failed", changes=(change,),
                         counts=OpCounts(create=1), error=f"boom {HOSTILE}")
    store.record_stack_result(run.id, commit=commit, result=result, started_at=datetime.now(UTC) - timedelta(seconds=2))
    store.audit(actor=f"mallory{HOSTILE}", action="preview.started", run_id=run.id, details={"note": HOSTILE})
    store.finish_run(run.id, "failed")
    return run.id
