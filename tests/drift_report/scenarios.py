"""Drift reports built from plain data for the rendering tests."""

from __future__ import annotations

from datetime import UTC, datetime

from orchestrator.drift.model import DriftReport, Finding, StackDrift, UnmanagedScan
from orchestrator.engines.base import SECRET, PropertyDiff
from orchestrator.models import GitDrift

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def urn(env: str, project: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{env}::{project}::{type_}::{name}"


BUCKET = "aws:s3/bucket:Bucket"
QUEUE = "aws:sqs/queue:Queue"
ROLE = "aws:iam/role:Role"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"


def stack_finding(env: str, project: str, kind: str, type_: str, name: str, state: str, **extra: object) -> Finding:
    resource_urn = urn(env, project, type_, name)
    return Finding(
        key=f"{env}:{kind}:{resource_urn}",
        environment=env,
        kind=kind,  # type: ignore[arg-type]
        type=type_,
        name=name,
        stack=f"{project}/{env}",
        urn=resource_urn,
        state=state,  # type: ignore[arg-type]
        first_seen=T0,
        last_seen=T1,
        **extra,  # type: ignore[arg-type]
    )


def unmanaged(env: str, type_: str, name: str, arn: str, state: str, **extra: object) -> Finding:
    return Finding(
        key=f"{env}:unmanaged:{arn}",
        environment=env,
        kind="unmanaged",
        type=type_,
        name=name,
        resource_id=arn,
        state=state,  # type: ignore[arg-type]
        first_seen=T0,
        last_seen=T1,
        **extra,  # type: ignore[arg-type]
    )


def full_report(*, only_changes: bool = True) -> DriftReport:
    """Every kind and every state, ignored counts, a failed stack, a failed scan."""
    findings = (
        stack_finding(
            "dev",
            "storage",
            "drifted",
            BUCKET,
            "data",
            "new",
            resource_id="storage-data-1a2b",
            diffs=(
                PropertyDiff("tags.Owner", "update", "team-a", "someone-else"),
                PropertyDiff("tags.CostCenter", "add", None, "42"),
                PropertyDiff("tags.Temporary", "delete", "yes", None),
            ),
        ),
        stack_finding(
            "dev",
            "storage",
            "drifted",
            VERSIONING,
            "data-versioning",
            "ongoing",
            diffs=(PropertyDiff("versioningConfiguration.status", "update", "Enabled", "Suspended"),),
        ),
        stack_finding(
            "dev",
            "app",
            "deleted",
            QUEUE,
            "jobs",
            "new",
            resource_id="http://127.0.0.1:5000/123456789012/app-jobs",
        ),
        stack_finding(
            "dev",
            "app",
            "error",
            ROLE,
            "worker",
            "new",
            message="read failed: AccessDenied: not allowed to iam:GetRole",
        ),
        stack_finding(
            "dev",
            "app",
            "drifted",
            QUEUE,
            "events",
            "resolved",
            diffs=(PropertyDiff("visibilityTimeoutSeconds", "update", 30.0, 45.0),),
        ),
        stack_finding(
            "dev",
            "app",
            "drifted",
            BUCKET,
            "logs",
            "acknowledged",
            diffs=(PropertyDiff("tags.Backup", "update", "daily", "weekly"),),
            acknowledged_by="alice",
            acknowledged_reason="backup team is migrating",
            acknowledged_until=datetime(2026, 4, 1, tzinfo=UTC),
        ),
        unmanaged("dev", BUCKET, "made-by-hand", "arn:aws:s3:::made-by-hand", "new"),
        unmanaged("dev", ROLE, "old-ci-role", "arn:aws:iam::123456789012:role/old-ci-role", "ongoing"),
        unmanaged("dev", QUEUE, "scratch", "arn:aws:sqs:us-east-1:123456789012:scratch", "resolved"),
        unmanaged(
            "dev",
            "aws:ssm/parameter:Parameter",
            "/legacy/flag",
            "arn:aws:ssm:us-east-1:123456789012:parameter/legacy/flag",
            "acknowledged",
            acknowledged_by="bob",
            acknowledged_reason="owned by the legacy team",
        ),
    )
    stacks = (
        StackDrift("app/dev", "app", "dev", "drifted", resources_checked=6, findings=2, ignored=0, duration_s=1.25),
        StackDrift(
            "network/dev", "network", "dev", "clean", resources_checked=4, findings=0, ignored=1, duration_s=0.5
        ),
        StackDrift(
            "storage/dev", "storage", "dev", "drifted", resources_checked=3, findings=2, ignored=2, duration_s=0.75
        ),
        StackDrift("app/prod", "app", "prod", "clean", resources_checked=6, findings=0, ignored=0, duration_s=1.0),
        StackDrift(
            "storage/prod",
            "storage",
            "prod",
            "error",
            error="the AWS endpoint http://127.0.0.1:1 cannot be reached (Connection refused)",
            duration_s=0.1,
        ),
    )
    scans = (
        UnmanagedScan("dev", "us-east-1", scanned=40, excluded=3, duration_s=0.4),
        UnmanagedScan(
            "prod",
            "eu-west-1",
            scanned=0,
            excluded=0,
            error="listing resources at http://127.0.0.1:1 failed: EndpointConnectionError: refused",
        ),
    )
    return DriftReport(
        generated_at=T1,
        run_id="run-42",
        environments=("dev", "prod"),
        stacks=stacks,
        findings=findings,
        scans=scans,
        ignored=3,
        only_changes=only_changes,
        git_drift=(
            GitDrift(stack="network/dev", environment="dev", operation="update", applied="5a56daa22a92" + "0" * 28,
                     flow="rollback", standing="behind", commits_behind=3,
                     reasons=("rolled back to 5a56daa22a92; since then: changed stacks/network/__main__.py",),
                     branch="develop", head="9f8e7d6c5b4a" + "1" * 28),
        ),
    )


def clean_report() -> DriftReport:
    return DriftReport(
        generated_at=T1,
        run_id=None,
        environments=("dev",),
        stacks=(StackDrift("app/dev", "app", "dev", "clean", resources_checked=5, duration_s=0.5),),
        findings=(),
        scans=(UnmanagedScan("dev", "us-east-1", scanned=12, excluded=0),),
    )


HOSTILE = "x | y ` </details> <script>alert(1)</script> **bold** [link](http://evil) # <!--"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"


def hostile_report() -> DriftReport:
    """Values from the cloud and the programs trying to break out of their context or leak."""
    findings = (
        stack_finding(
            "dev",
            "app",
            "drifted",
            BUCKET,
            f"name {HOSTILE}",
            "new",
            diffs=(
                PropertyDiff(f"tags.{HOSTILE}", "update", f"```\n{HOSTILE}", f"key {AWS_KEY}"),
                PropertyDiff("tags.Password", "update", SECRET, "password=hunter2-is-long"),
            ),
        ),
        stack_finding("dev", "app", "error", ROLE, "r", "new", message=f"failed\n```\n</details>{HOSTILE} {AWS_KEY}"),
        unmanaged("dev", BUCKET, HOSTILE, f"arn:aws:s3:::{HOSTILE}", "new"),
    )
    return DriftReport(
        generated_at=T1,
        run_id=HOSTILE,
        environments=("dev",),
        stacks=(
            StackDrift("app/dev", "app", "dev", "error", error=f"boom {HOSTILE} {AWS_KEY}"),
            StackDrift(f"{HOSTILE}/dev", HOSTILE, "dev", "clean", resources_checked=1),
        ),
        findings=findings,
        scans=(UnmanagedScan("dev", "us-east-1", scanned=1, excluded=0),),
        git_drift=(
            GitDrift(stack=f"{HOSTILE}/dev", environment="dev", operation="update", applied="a" * 40, flow="deploy",
                     standing="behind", commits_behind=1, reasons=(f"at aaaaaaaaaaaa; since then: changed {HOSTILE}",),
                     branch=HOSTILE, head="b" * 40),
        ),
    )
