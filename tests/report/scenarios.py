"""The comment scenarios rendered into golden files (plain data, realistic names)."""

from __future__ import annotations

import dataclasses

from orchestrator.engines.base import SECRET, UNKNOWN, Diagnostic, PolicyViolation, StackResult
from orchestrator.engines.canonical import canonical
from orchestrator.redact import Redactor
from orchestrator.report.comment import CommentModel
from tests.report.factory import add, big_stack, change, model, outcome, remove, result, update

DB_PASSWORD = "correct-horse-battery-staple"  # the plain value of a `secure:` config key


def typical_preview() -> CommentModel:
    """Three stacks in qa: creates, updates with nested property paths, a replace and a delete."""
    network = result(
        "network",
        "qa",
        [
            change(
                "network",
                "qa",
                "aws:ec2/subnet:Subnet",
                "private-c",
                "create",
                add("cidrBlock", "10.20.3.0/24"),
                add("availabilityZone", "us-east-1c"),
                add("tags.Name", "network-qa-private-c"),
                add("id", UNKNOWN),
            ),
            change(
                "network",
                "qa",
                "aws:ec2/securityGroup:SecurityGroup",
                "web",
                "update",
                update("ingress[0].cidrBlocks[1]", "10.0.0.0/8", "192.168.0.0/16"),
                add("ingress[1]", {"fromPort": 443, "toPort": 443.0, "protocol": "tcp"}),
                remove("tags.Legacy", "true"),
            ),
        ],
        same=7,
        duration_s=4.25,
    )
    data = result(
        "data",
        "qa",
        [
            change(
                "data",
                "qa",
                "aws:s3/bucket:Bucket",
                "exports",
                "replace",
                update("bucket", "data-qa-exports", "data-qa-exports-v2"),
                update("arn", "arn:aws:s3:::data-qa-exports", UNKNOWN),
            ),
            change("data", "qa", "aws:sqs/queue:Queue", "legacy-events", "delete"),
        ],
        same=3,
        duration_s=3.5,
    )
    app = result(
        "app",
        "qa",
        [
            change(
                "app",
                "qa",
                "aws:lambda/function:Function",
                "api",
                "update",
                update("environment.variables.DB_PASSWORD", SECRET, SECRET),
                update("environment.variables.LOG_LEVEL", "info", "debug"),
                update("memorySize", 256.0, 512.0),
                update("sourceCodeHash", "q2Xr...", UNKNOWN),
            ),
        ],
        same=12,
        duration_s=6.0,
        diagnostics=[
            Diagnostic(
                severity="warning",
                message=f"connection string postgres://app:{DB_PASSWORD}@db.qa.internal/app is deprecated",
                urn="urn:pulumi:qa::app::aws:lambda/function:Function::api",
            )
        ],
    )
    return model(
        [outcome(network), outcome(data, wave=1), outcome(app, wave=2)],
        environments=("qa",),
        redactor=Redactor([DB_PASSWORD]),
    )


def no_changes() -> CommentModel:
    stacks = [outcome(result(p, e, same=5, duration_s=1.2)) for p in ("network", "data") for e in ("qa", "uat", "prod")]
    return model(stacks)


def failed_stack() -> CommentModel:
    failed = result(
        "data",
        "qa",
        status="failed",
        duration_s=2.0,
        error=(
            "aws:rds/instance:Instance (main): error: creating RDS DB Instance: InvalidParameterValue:\n"
            "  The parameter MasterUserPassword is not a valid password.\n"
            f"  value: {DB_PASSWORD}"
        ),
        diagnostics=[
            Diagnostic(severity="info", message="Planning 4 resources"),
            Diagnostic(
                severity="error",
                message="preview failed: 1 error occurred:\n\t* creating RDS DB Instance",
                urn="urn:pulumi:qa::data::aws:rds/instance:Instance::main",
            ),
            Diagnostic(severity="warning", message="aws:rds/instance:Instance uses a deprecated engine version"),
            Diagnostic(severity="debug", message="engine chatter nobody needs"),
        ],
    )
    network = result("network", "qa", same=9, duration_s=1.5)
    skipped = result("app", "qa", status="skipped", error="skipped: depends on data/qa, which failed")
    return model(
        [outcome(network), outcome(failed, wave=1), outcome(skipped, wave=2)],
        environments=("qa",),
        redactor=Redactor([DB_PASSWORD]),
    )


def policy_violation() -> CommentModel:
    app = result(
        "app",
        "prod",
        [
            change(
                "app",
                "prod",
                "aws:s3/bucket:Bucket",
                "uploads",
                "create",
                add("acl", "public-read"),
            )
        ],
        violations=[
            PolicyViolation(
                policy_pack="aws-guardrails",
                policy="s3-no-public-read",
                enforcement="mandatory",
                message="Buckets must not be readable by everyone (acl `public-read`).",
                urn="urn:pulumi:prod::app::aws:s3/bucket:Bucket::uploads",
            ),
            PolicyViolation(
                policy_pack="aws-guardrails",
                policy="required-tags",
                enforcement="advisory",
                message="Missing tag: cost-center",
            ),
        ],
        duration_s=3.0,
    )
    return model([outcome(app)], environments=("prod",))


def identical_across_environments() -> CommentModel:
    """The same lib/ change in qa, uat and prod: one detail block, plus a prod-only difference in data."""
    outcomes = []
    for env in ("qa", "uat", "prod"):
        app = result(
            "app",
            env,
            [
                change(
                    "app",
                    env,
                    "aws:sqs/queue:Queue",
                    f"app-{env}-jobs",
                    "update",
                    update("visibilityTimeoutSeconds", 30, 60),
                    update("tags.Environment", env, env.upper()),
                ),
            ],
            same=4,
            duration_s=2.0,
        )
        retention = 7 if env != "prod" else 35
        data = result(
            "data",
            env,
            [
                change(
                    "data",
                    env,
                    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
                    "exports",
                    "update",
                    update("rules[0].expiration.days", retention, retention * 2),
                )
            ],
            same=2,
            duration_s=1.0,
        )
        outcomes += [outcome(app), outcome(data)]
    return model(outcomes)


def deployed() -> CommentModel:
    network = result(
        "network",
        "uat",
        [change("network", "uat", "aws:ec2/subnet:Subnet", "private-c", "create", add("cidrBlock", "10.30.3.0/24"))],
        same=7,
        duration_s=31.0,
    )
    app = result("app", "uat", same=12, duration_s=75.5)
    return model([outcome(network), outcome(app, wave=1)], kind="Deployed", environments=("uat",))


def over_budget() -> CommentModel:
    """Five stacks with changes of different sizes and two without, squeezed into 2,500 characters."""
    outcomes = [outcome(result("network", "qa", same=4)), outcome(result("dns", "qa", same=2))]
    for project, size in (("data", 12), ("app", 6), ("workers", 3), ("edge", 1), ("search", 2)):
        outcomes.append(outcome(big_stack(project, "qa", size)))
    built = model(outcomes, environments=("qa",), max_chars=2500)
    return dataclasses.replace(built, full_report_path="reports/preview-3f2a9c1.md")


def _data_change_of_the_demo(env: str, order: int, suffix: str) -> StackResult:
    """The demo's change to the data project in one environment, as the local engine handed it
    back before results were made canonical: resources in the order their steps finished, the
    tags of the new topic in the order the program built them, its autoname suffix random."""
    tags = {"Organization": "acme", "Project": "data", "Environment": env, "ManagedBy": "pulumi"}
    tags |= {"Stack": f"data/{env}", "Component": "upload-events", "CostCenter": "platform"}
    if order:
        tags = dict(reversed(tags.items()))
    changes = [
        change(
            "data", env, "aws:s3/bucket:Bucket", f"{env}-data-uploads", "update", add("tags.CostCenter", "platform")
        ),
        change(
            "data",
            env,
            "aws:iam/role:Role",
            f"{env}-data-app-role",
            "update",
            *[add("tags.CostCenter", "platform"), update("maxSessionDuration", 3600, 7200)][:: 1 if order else -1],
        ),
        change(
            "data",
            env,
            "aws:sns/topic:Topic",
            f"{env}-data-upload-events",
            "create",
            add("name", f"{env}-data-upload-events-{suffix}"),
            add("tags", tags),
        ),
        change(
            "data", env, "aws:dynamodb/table:Table", f"{env}-data-records", "update", add("tags.CostCenter", "platform")
        ),
    ]
    finished = changes[order:] + changes[:order]
    return canonical(result("data", env, finished, same=4, duration_s=11.0))


def demo_grouping() -> CommentModel:
    """`make demo`'s pull request: the same data change in qa, uat and prod, shown once although
    each engine run listed it in another order and autonamed the new topic differently."""
    suffixes = {"qa": "d8ad494", "uat": "0c41f7e", "prod": "9b3e2a7"}
    stacks = [outcome(_data_change_of_the_demo(env, i, suffixes[env])) for i, env in enumerate(("qa", "uat", "prod"))]
    return model(stacks)


def nothing_previewed() -> CommentModel:
    """Every stack failed or was skipped: the footer cannot say what a merge would do."""
    network = result("network", "qa", status="failed", error="RuntimeError: events queue misconfigured: no DLQ")
    data = result("data", "qa", status="skipped", error="skipped: depends on network/qa, which failed")
    return model([outcome(network), outcome(data, wave=1)], environments=("qa",))


SCENARIOS = {
    "typical_preview": typical_preview,
    "no_changes": no_changes,
    "failed_stack": failed_stack,
    "policy_violation": policy_violation,
    "identical_across_environments": identical_across_environments,
    "deployed": deployed,
    "over_budget": over_budget,
    "demo_grouping": demo_grouping,
    "nothing_previewed": nothing_previewed,
}
