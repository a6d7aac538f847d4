"""Production data must survive a mistake: tables with point-in-time recovery, buckets that are
versioned and that a `destroy` cannot empty."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"


def point_in_time_recovery(args: ResourceValidationArgs, report_violation: ReportViolation):
    if args.resource_type != "aws:dynamodb/table:Table":
        return
    recovery = args.props.get("pointInTimeRecovery") or {}
    if recovery.get("enabled") is not True:
        report_violation(f"table {args.name} has no point-in-time recovery: set point_in_time_recovery.enabled")


def no_force_destroy(args: ResourceValidationArgs, report_violation: ReportViolation):
    if args.resource_type == BUCKET and args.props.get("forceDestroy") is True:
        report_violation(f"bucket {args.name} has force_destroy: a destroy would delete its objects")


def buckets_versioned(args: StackValidationArgs, report_violation: ReportViolation):
    """A stack policy: it looks at every resource together, to pair buckets with their versioning."""
    versioned = set()
    for resource in args.resources:
        if resource.resource_type != VERSIONING:
            continue
        status = (resource.props.get("versioningConfiguration") or {}).get("status")
        if status == "Enabled":
            versioned.update(r.urn for r in resource.property_dependencies.get("bucket", []))
    for resource in args.resources:
        if resource.resource_type == BUCKET and resource.urn not in versioned:
            report_violation(f"bucket {resource.name} has no enabled versioning", resource.urn)


PolicyPack(
    name="prod-guard",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="dynamodb-point-in-time-recovery",
            description="Production tables need point-in-time recovery.",
            validate=point_in_time_recovery,
        ),
        ResourceValidationPolicy(
            name="s3-no-force-destroy",
            description="Production buckets must not be emptied by a destroy.",
            validate=no_force_destroy,
        ),
        StackValidationPolicy(
            name="s3-buckets-versioned",
            description="Production buckets are versioned.",
            validate=buckets_versioned,
        ),
    ],
)
