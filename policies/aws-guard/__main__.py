"""Guard rails for every environment's AWS resources.

Each policy checks the inputs a program declares, so a violation shows up on the pull request
that introduces it, before anything is deployed.
"""

import json
from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

PUBLIC_ACLS = {"public-read", "public-read-write", "authenticated-read"}
PUBLIC_ACCESS_BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
TAGGABLE_TYPES = {
    "aws:s3/bucket:Bucket",
    "aws:sqs/queue:Queue",
    "aws:sns/topic:Topic",
    "aws:dynamodb/table:Table",
    "aws:iam/role:Role",
    "aws:ssm/parameter:Parameter",
}
STANDARD_TAGS = ["Organization", "Project", "Environment", "ManagedBy"]


def _statements(document):
    """The statements of an IAM policy document given as JSON text or as a mapping."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    statements = document.get("Statement", []) if isinstance(document, Mapping) else []
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _as_list(value):
    return [value] if isinstance(value, str) else list(value or [])


def _allows_public(statement):
    principal = statement.get("Principal")
    everyone = principal == "*" or (isinstance(principal, Mapping) and "*" in _as_list(principal.get("AWS")))
    return statement.get("Effect") == "Allow" and everyone


def _allows_everything(statement):
    return (
        statement.get("Effect") == "Allow"
        and "*" in _as_list(statement.get("Action"))
        and "*" in _as_list(statement.get("Resource"))
    )


def no_public_buckets(args: ResourceValidationArgs, report_violation: ReportViolation):
    props = args.props
    if args.resource_type == "aws:s3/bucket:Bucket":
        if props.get("acl") in PUBLIC_ACLS:
            report_violation(f"bucket {args.name} has the public ACL {props['acl']!r}")
        if any(_allows_public(s) for s in _statements(props.get("policy") or {})):
            report_violation(f"bucket {args.name} has a bucket policy that allows everyone (Principal \"*\")")
    elif args.resource_type in ("aws:s3/bucketAclV2:BucketAclV2", "aws:s3/bucketAcl:BucketAcl"):
        if props.get("acl") in PUBLIC_ACLS:
            report_violation(f"{args.name} grants the public ACL {props['acl']!r}")
    elif args.resource_type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        off = [flag for flag in PUBLIC_ACCESS_BLOCK_FLAGS if props.get(flag) is not True]
        if off:
            report_violation(f"{args.name} leaves public access open: set {', '.join(off)} to true")


def standard_tags(args: ResourceValidationArgs, report_violation: ReportViolation):
    if args.resource_type not in TAGGABLE_TYPES:
        return
    required = args.get_config().get("required_tags", STANDARD_TAGS)
    tags = args.props.get("tags") or {}
    missing = [key for key in required if key not in tags]
    if missing:
        report_violation(f"{args.name} lacks the tag{'s' if len(missing) > 1 else ''} {', '.join(missing)}")


def no_wildcard_admin(args: ResourceValidationArgs, report_violation: ReportViolation):
    documents = []
    if args.resource_type == "aws:iam/role:Role":
        documents = [(p.get("name"), p.get("policy")) for p in args.props.get("inlinePolicies") or []]
    elif args.resource_type in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"):
        documents = [(args.name, args.props.get("policy"))]
    for name, document in documents:
        if any(_allows_everything(s) for s in _statements(document or {})):
            report_violation(f"{args.name}: policy {name!r} allows every action on every resource (*:*)")


PolicyPack(
    name="aws-guard",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="s3-no-public-access",
            description="S3 buckets must block public access.",
            validate=no_public_buckets,
        ),
        ResourceValidationPolicy(
            name="standard-tags",
            description="AWS resources carry the standard tags (owner, project, environment, tooling).",
            enforcement_level=EnforcementLevel.ADVISORY,
            config_schema=PolicyConfigSchema(
                properties={"required_tags": {"type": "array", "items": {"type": "string"}, "default": STANDARD_TAGS}}
            ),
            validate=standard_tags,
        ),
        ResourceValidationPolicy(
            name="iam-no-wildcard-admin",
            description="IAM policies must not allow every action on every resource (*:*).",
            validate=no_wildcard_admin,
        ),
    ],
)
