"""Application data: a versioned bucket for uploads, a table for records, and the role the
app's pods assume, allowed to use both and to publish to the shared events queue."""

import json
import sys
from pathlib import Path

import pulumi
import pulumi_aws as aws

# lib/ lives at the repository root, two levels above this project directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from lib import naming, tags

project = pulumi.get_project()
env = pulumi.get_stack()
config = pulumi.Config()
is_prod = env == "prod"

network = pulumi.StackReference(f"organization/network/{env}")
queue_arn = network.require_output("queue_arn")
setting_name = network.require_output("setting_name")

uploads = aws.s3.Bucket(
    naming.resource_name(project, env, "uploads"),
    # Non-production buckets are disposable: let `destroy` empty them.
    force_destroy=not is_prod,
    tags=tags.standard_tags(project, env, Component="uploads"),
)

aws.s3.BucketVersioning(
    naming.resource_name(project, env, "uploads-versioning"),
    bucket=uploads.id,
    versioning_configuration={"status": "Enabled"},
)

records = aws.dynamodb.Table(
    naming.resource_name(project, env, "records"),
    billing_mode="PAY_PER_REQUEST",
    hash_key="pk",
    range_key="sk",
    attributes=[{"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}],
    point_in_time_recovery={"enabled": config.get_bool("point_in_time_recovery") or is_prod},
    tags=tags.standard_tags(project, env, Component="records"),
)

access_policy = pulumi.Output.json_dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                "Resource": [uploads.arn, pulumi.Output.concat(uploads.arn, "/*")],
            },
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                "Resource": [records.arn],
            },
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [queue_arn]},
            {
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": [pulumi.Output.concat("arn:aws:ssm:*:*:parameter", setting_name)],
            },
        ],
    }
)

app_role = aws.iam.Role(
    naming.resource_name(project, env, "app-role"),
    description=f"Role of the app's pods in {env} (EKS Pod Identity).",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
    ),
    inline_policies=[{"name": "app-data-access", "policy": access_policy}],
    max_session_duration=3600,
    tags=tags.standard_tags(project, env, Component="app-role"),
)

pulumi.export("bucket_name", uploads.bucket)
pulumi.export("table_name", records.name)
pulumi.export("role_arn", app_role.arn)
pulumi.export("queue_url", network.require_output("queue_url"))
