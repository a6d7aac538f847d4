"""Each built-in AWS type against moto on loopback: create, read, update, replace, delete, drift."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from orchestrator.engines.base import SECRET, UNKNOWN
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop
from orchestrator.engines.local.providers.base import UNKNOWN_MARKER, ProviderContext, ProviderError
from orchestrator.engines.local.providers.inputs import diff_values
from tests.support.providers import DEFAULT_TAGS, provider

URN = "urn:pulumi:dev::proj::{type}::{name}"


Created = tuple[str, dict[str, Any], dict[str, Any]]


def _create(provider: DeclaredResource, name: str, inputs: dict[str, Any]) -> Created:
    """check + create, and the read-after-create must show no drift."""
    urn = URN.format(type=provider.type_token, name=name)
    checked = provider.check(urn, name, None, inputs)
    id_, outputs = provider.create(urn, checked)
    live = provider.read(urn, id_, checked, outputs)
    assert live is not None
    assert live.id == id_
    assert diff_values(outputs, live.outputs) == [], "an untouched resource must read back without drift"
    return id_, checked, outputs


def _drift(provider: DeclaredResource, id_: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    live = provider.read("urn", id_, inputs, outputs)
    assert live is not None
    return {d.path: (d.kind, d.old, d.new) for d in diff_values(outputs, live.outputs)}


def _assume_policy(service: str = "ec2.amazonaws.com") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


# --------------------------------------------------------------------------------------
# S3 bucket
# --------------------------------------------------------------------------------------
def test_bucket_autoname_outputs_and_default_tags(ctx: ProviderContext, boto: Any) -> None:
    bucket = provider("aws:s3/bucket:Bucket", ctx)
    id_, inputs, outputs = _create(bucket, "Uploads_Bucket", {"forceDestroy": True, "tags": {"env": "dev"}})
    assert re.fullmatch(r"uploads-bucket-[0-9a-f]{7}", id_)
    assert outputs["bucket"] == id_
    assert outputs["arn"] == f"arn:aws:s3:::{id_}"
    assert outputs["bucketDomainName"] == f"{id_}.s3.amazonaws.com"
    assert outputs["region"] == "us-east-1"
    assert outputs["tags"] == {"env": "dev"}
    assert outputs["tagsAll"] == {"env": "dev", **DEFAULT_TAGS}
    live_tags = boto("s3").get_bucket_tagging(Bucket=id_)["TagSet"]
    assert {t["Key"]: t["Value"] for t in live_tags} == {"env": "dev", **DEFAULT_TAGS}
    # A later run keeps the recorded autoname.
    again = bucket.check("urn", "Uploads_Bucket", inputs, {"forceDestroy": True, "tags": {"env": "dev"}})
    assert again["bucket"] == id_
    assert not bucket.diff("urn", id_, inputs, outputs, again).changed


def test_bucket_update_tags_in_place_and_drift(ctx: ProviderContext, boto: Any) -> None:
    bucket = provider("aws:s3/bucket:Bucket", ctx)
    id_, inputs, outputs = _create(bucket, "tagged", {"tags": {"env": "dev", "team": "a"}})
    news = bucket.check("urn", "tagged", inputs, {"tags": {"env": "prod"}})
    diff = bucket.diff("urn", id_, inputs, outputs, news)
    assert diff.changed and not diff.replace
    assert {(d.path, d.kind) for d in diff.diffs} == {("tags.env", "update"), ("tags.team", "delete")}
    outputs = bucket.update("urn", id_, inputs, outputs, news)
    assert outputs["tagsAll"] == {"env": "prod", **DEFAULT_TAGS}
    # Someone edits a tag by hand: drift shows it.
    boto("s3").put_bucket_tagging(
        Bucket=id_, Tagging={"TagSet": [{"Key": "env", "Value": "hacked"}, {"Key": "ManagedBy", "Value": "x"}]}
    )
    drift = _drift(bucket, id_, news, outputs)
    assert drift["tags.env"] == ("update", "prod", "hacked")
    assert drift["tagsAll.ManagedBy"] == ("update", "orchestrator-tests", "x")


def test_bucket_name_change_forces_replace(ctx: ProviderContext) -> None:
    bucket = provider("aws:s3/bucket:Bucket", ctx)
    id_, inputs, outputs = _create(bucket, "named", {"bucket": "orchestrator-test-named-1"})
    assert id_ == "orchestrator-test-named-1"
    news = bucket.check("urn", "named", inputs, {"bucket": "orchestrator-test-named-2"})
    diff = bucket.diff("urn", id_, inputs, outputs, news)
    assert diff.replace_paths == ("bucket",)
    # During a preview an unknown name is a replace too, shown as "(known after update)".
    unknown = bucket.diff("urn", id_, inputs, outputs, {**inputs, "bucket": UNKNOWN_MARKER})
    assert unknown.replace and unknown.diffs[0].new == UNKNOWN
    bucket.delete("urn", id_, inputs, outputs)


def test_bucket_invalid_name_is_refused_at_check(ctx: ProviderContext) -> None:
    with pytest.raises(ProviderError, match=r"bucket name 'Bad_Name' is invalid"):
        provider("aws:s3/bucket:Bucket", ctx).check("urn", "b", None, {"bucket": "Bad_Name"})


def test_bucket_unknown_input_is_refused_not_ignored(ctx: ProviderContext) -> None:
    with pytest.raises(ProviderError, match=r"does not support the input\(s\) website"):
        provider("aws:s3/bucket:Bucket", ctx).check("urn", "b", None, {"website": {"indexDocument": "index.html"}})


def test_bucket_delete_needs_force_destroy_when_not_empty(ctx: ProviderContext, boto: Any) -> None:
    bucket = provider("aws:s3/bucket:Bucket", ctx)
    id_, inputs, outputs = _create(bucket, "keep", {})
    boto("s3").put_object(Bucket=id_, Key="a.txt", Body=b"x")
    with pytest.raises(ProviderError, match="forceDestroy"):
        bucket.delete("urn", id_, inputs, outputs)
    forced = {**inputs, "forceDestroy": True}
    bucket.delete("urn", id_, forced, outputs)
    assert bucket.read("urn", id_, forced, outputs) is None
    bucket.delete("urn", id_, forced, outputs)  # deleting what is gone is fine


# --------------------------------------------------------------------------------------
# S3 bucket versioning
# --------------------------------------------------------------------------------------
def test_bucket_versioning_lifecycle_and_suspended_drift(ctx: ProviderContext, boto: Any) -> None:
    bucket_id, _, _ = _create(provider("aws:s3/bucket:Bucket", ctx), "versioned", {"forceDestroy": True})
    versioning = provider("aws:s3/bucketVersioning:BucketVersioning", ctx)
    id_, inputs, outputs = _create(
        versioning, "versioned-v", {"bucket": bucket_id, "versioningConfiguration": {"status": "Enabled"}}
    )
    assert id_ == bucket_id
    assert outputs["versioningConfiguration"] == {"status": "Enabled"}
    assert boto("s3").get_bucket_versioning(Bucket=bucket_id)["Status"] == "Enabled"

    boto("s3").put_bucket_versioning(Bucket=bucket_id, VersioningConfiguration={"Status": "Suspended"})
    assert _drift(versioning, id_, inputs, outputs) == {
        "versioningConfiguration.status": ("update", "Enabled", "Suspended")
    }

    news = versioning.check("urn", "versioned-v", inputs, {**inputs, "versioningConfiguration": {"status": "Enabled"}})
    assert not versioning.diff("urn", id_, inputs, outputs, news).changed
    other = versioning.diff("urn", id_, inputs, outputs, {**inputs, "bucket": "another-bucket"})
    assert other.replace_paths == ("bucket",)

    suspended = {**inputs, "versioningConfiguration": {"status": "Suspended"}}
    outputs = versioning.update("urn", id_, inputs, outputs, suspended)
    assert outputs["versioningConfiguration"]["status"] == "Suspended"
    versioning.delete("urn", id_, suspended, outputs)
    assert boto("s3").get_bucket_versioning(Bucket=bucket_id)["Status"] == "Suspended"


def test_bucket_versioning_rejects_bad_status(ctx: ProviderContext) -> None:
    with pytest.raises(ProviderError, match="is not one of Enabled, Suspended, Disabled"):
        provider("aws:s3/bucketVersioning:BucketVersioning", ctx).check(
            "urn", "v", None, {"bucket": "b", "versioningConfiguration": {"status": "On"}})


# --------------------------------------------------------------------------------------
# SQS queue
# --------------------------------------------------------------------------------------
def test_queue_floats_become_ints_and_update_in_place(ctx: ProviderContext, boto: Any) -> None:
    queue = provider("aws:sqs/queue:Queue", ctx)
    id_, inputs, outputs = _create(
        queue,
        "events",
        {"visibilityTimeoutSeconds": 45.0, "messageRetentionSeconds": 3600.0, "tags": {"env": "dev"}},
    )
    assert re.fullmatch(r"events-[0-9a-f]{7}", outputs["name"])
    assert outputs["url"] == id_ and outputs["id"] == id_
    assert outputs["arn"].endswith(":" + outputs["name"])
    assert outputs["visibilityTimeoutSeconds"] == 45 and isinstance(outputs["visibilityTimeoutSeconds"], int)
    assert outputs["messageRetentionSeconds"] == 3600
    assert outputs["fifoQueue"] is False

    news = queue.check("urn", "events", inputs, {"visibilityTimeoutSeconds": 60.0, "messageRetentionSeconds": 3600.0})
    diff = queue.diff("urn", id_, inputs, outputs, news)
    assert not diff.replace
    assert {(d.path, d.kind) for d in diff.diffs} == {("visibilityTimeoutSeconds", "update"), ("tags", "delete")}
    outputs = queue.update("urn", id_, inputs, outputs, news)
    live = boto("sqs").get_queue_attributes(QueueUrl=id_, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert live["VisibilityTimeout"] == "60"
    assert outputs["tags"] == {}
    assert outputs["tagsAll"] == DEFAULT_TAGS


def test_queue_fifo_autoname_and_replace(ctx: ProviderContext) -> None:
    queue = provider("aws:sqs/queue:Queue", ctx)
    id_, inputs, outputs = _create(queue, "orders", {"fifoQueue": True, "contentBasedDeduplication": True})
    assert re.fullmatch(r"orders-[0-9a-f]{7}\.fifo", outputs["name"])
    assert outputs["fifoQueue"] is True and outputs["contentBasedDeduplication"] is True
    news = queue.check("urn", "orders", inputs, {"fifoQueue": False, "name": inputs["name"].removesuffix(".fifo")})
    assert set(queue.diff("urn", id_, inputs, outputs, news).replace_paths) == {"fifoQueue", "name"}
    with pytest.raises(ProviderError, match=r"must end in `\.fifo`"):
        queue.check("urn", "orders", None, {"fifoQueue": True, "name": "plain"})
    queue.delete("urn", id_, inputs, outputs)


def test_queue_deleted_out_of_band_reads_as_gone(ctx: ProviderContext, boto: Any) -> None:
    queue = provider("aws:sqs/queue:Queue", ctx)
    id_, inputs, outputs = _create(queue, "doomed", {"tags": {"a": "1"}})
    boto("sqs").tag_queue(QueueUrl=id_, Tags={"a": "2"})
    assert _drift(queue, id_, inputs, outputs)["tags.a"] == ("update", "1", "2")
    boto("sqs").delete_queue(QueueUrl=id_)
    assert queue.read("urn", id_, inputs, outputs) is None
    queue.delete("urn", id_, inputs, outputs)  # already gone: no error


# --------------------------------------------------------------------------------------
# SNS topic
# --------------------------------------------------------------------------------------
def test_topic_lifecycle(ctx: ProviderContext, boto: Any) -> None:
    topic = provider("aws:sns/topic:Topic", ctx)
    id_, inputs, outputs = _create(topic, "alerts", {"displayName": "Alerts", "tags": {"env": "dev"}})
    assert id_.startswith("arn:aws:sns:us-east-1:") and outputs["arn"] == id_
    assert re.fullmatch(r"alerts-[0-9a-f]{7}", outputs["name"])
    assert outputs["displayName"] == "Alerts"

    news = topic.check("urn", "alerts", inputs, {"displayName": "Paging", "tags": {"env": "dev"}})
    diff = topic.diff("urn", id_, inputs, outputs, news)
    assert [(d.path, d.old, d.new) for d in diff.diffs] == [("displayName", "Alerts", "Paging")]
    outputs = topic.update("urn", id_, inputs, outputs, news)
    assert boto("sns").get_topic_attributes(TopicArn=id_)["Attributes"]["DisplayName"] == "Paging"
    assert topic.diff("urn", id_, news, outputs, {**news, "fifoTopic": True}).replace_paths == ("fifoTopic",)
    topic.delete("urn", id_, news, outputs)
    assert topic.read("urn", id_, news, outputs) is None


# --------------------------------------------------------------------------------------
# DynamoDB table
# --------------------------------------------------------------------------------------
def test_table_lifecycle_pitr_and_replace(ctx: ProviderContext, boto: Any) -> None:
    table = provider("aws:dynamodb/table:Table", ctx)
    id_, inputs, outputs = _create(
        table,
        "records",
        {
            "billingMode": "PAY_PER_REQUEST",
            "hashKey": "pk",
            "rangeKey": "sk",
            "attributes": [{"name": "sk", "type": "S"}, {"name": "pk", "type": "S"}],
            "pointInTimeRecovery": {"enabled": True},
            "tags": {"env": "dev"},
        },
    )
    assert outputs["name"] == id_ and re.fullmatch(r"records-[0-9a-f]{7}", id_)
    assert outputs["hashKey"] == "pk" and outputs["rangeKey"] == "sk"
    assert outputs["attributes"] == [{"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}]
    assert outputs["pointInTimeRecovery"] == {"enabled": True}
    assert outputs["billingMode"] == "PAY_PER_REQUEST"

    news = table.check("urn", "records", inputs, {**inputs, "pointInTimeRecovery": {"enabled": False}})
    del news["name"]
    news = table.check("urn", "records", inputs, news)
    assert news["name"] == id_
    diff = table.diff("urn", id_, inputs, outputs, news)
    assert [(d.path, d.kind) for d in diff.diffs] == [("pointInTimeRecovery.enabled", "update")]
    assert not diff.replace
    outputs = table.update("urn", id_, inputs, outputs, news)
    assert outputs["pointInTimeRecovery"] == {"enabled": False}
    pitr = boto("dynamodb").describe_continuous_backups(TableName=id_)["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"

    replaced = table.diff("urn", id_, news, outputs, {**news, "hashKey": "id"})
    assert replaced.replace_paths == ("hashKey",)

    boto("dynamodb").tag_resource(ResourceArn=outputs["arn"], Tags=[{"Key": "env", "Value": "prod"}])
    assert _drift(table, id_, news, outputs)["tags.env"] == ("update", "dev", "prod")
    table.delete("urn", id_, news, outputs)
    assert table.read("urn", id_, news, outputs) is None


def test_table_provisioned_needs_capacity(ctx: ProviderContext) -> None:
    with pytest.raises(ProviderError, match="readCapacity` is required when billingMode is PROVISIONED"):
        provider("aws:dynamodb/table:Table", ctx).check(
            "urn", "t", None, {"hashKey": "pk", "attributes": [{"name": "pk", "type": "S"}]})
    checked = provider("aws:dynamodb/table:Table", ctx).check(
        "urn", "t", None, {"hashKey": "pk", "readCapacity": 5.0, "writeCapacity": 2.0, "attributes": []}
    )
    assert checked["readCapacity"] == 5 and isinstance(checked["readCapacity"], int)
    assert checked["billingMode"] == "PROVISIONED"


# --------------------------------------------------------------------------------------
# IAM role
# --------------------------------------------------------------------------------------
def test_role_lifecycle_with_inline_policy(ctx: ProviderContext, boto: Any) -> None:
    role = provider("aws:iam/role:Role", ctx)
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    )
    id_, inputs, outputs = _create(
        role,
        "app-role",
        {
            "assumeRolePolicy": _assume_policy(),
            "description": "the app",
            "maxSessionDuration": 3600.0,
            "inlinePolicies": [{"name": "data", "policy": policy}],
            "tags": {"env": "dev"},
        },
    )
    assert re.fullmatch(r"app-role-[0-9a-f]{7}", id_)
    assert outputs["arn"] == f"arn:aws:iam::123456789012:role/{id_}"
    assert outputs["uniqueId"] and outputs["createDate"].endswith("Z")
    assert outputs["assumeRolePolicy"] == _assume_policy()
    assert outputs["inlinePolicies"] == [{"name": "data", "policy": policy}]

    news = role.check(
        "urn",
        "app-role",
        inputs,
        {
            "assumeRolePolicy": _assume_policy("lambda.amazonaws.com"),
            "description": "changed",
            "maxSessionDuration": 3600.0,
            "tags": {"env": "dev"},
        },
    )
    # Leaving inlinePolicies out means "not managed here", as in pulumi-aws: no change.
    assert {d.path for d in role.diff("urn", id_, inputs, outputs, news).diffs} == {"assumeRolePolicy", "description"}
    news["inlinePolicies"] = []  # an empty list removes them
    diff = role.diff("urn", id_, inputs, outputs, news)
    assert not diff.replace
    assert {d.path for d in diff.diffs} == {"assumeRolePolicy", "description", "inlinePolicies[0]"}
    outputs = role.update("urn", id_, inputs, outputs, news)
    live = boto("iam").get_role(RoleName=id_)["Role"]
    assert live["Description"] == "changed"
    assert live["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == "lambda.amazonaws.com"
    assert boto("iam").list_role_policies(RoleName=id_)["PolicyNames"] == []

    boto("iam").tag_role(RoleName=id_, Tags=[{"Key": "env", "Value": "hand-edited"}])
    assert _drift(role, id_, news, outputs)["tags.env"] == ("update", "dev", "hand-edited")
    assert role.diff("urn", id_, news, outputs, {**news, "name": "other"}).replace_paths == ("name",)
    role.delete("urn", id_, news, outputs)
    assert role.read("urn", id_, news, outputs) is None


# --------------------------------------------------------------------------------------
# SSM parameter
# --------------------------------------------------------------------------------------
def test_parameter_secure_string_lifecycle(ctx: ProviderContext, boto: Any) -> None:
    parameter = provider("aws:ssm/parameter:Parameter", ctx)
    id_, inputs, outputs = _create(
        parameter,
        "db-password",
        {"name": "/dev/proj/db-password", "type": "SecureString", "value": "hunter2", "tags": {"env": "dev"}},
    )
    assert id_ == "/dev/proj/db-password"
    assert outputs["value"] == "hunter2" and outputs["version"] == 1
    assert outputs["keyId"] == "alias/aws/ssm"
    assert outputs["arn"].endswith(":parameter/dev/proj/db-password")

    news = parameter.check("urn", "db-password", inputs, {**inputs, "value": "correct horse"})
    diff = parameter.diff("urn", id_, inputs, outputs, news)
    assert [(d.path, d.old, d.new) for d in diff.diffs] == [("value", SECRET, SECRET)], "secret values never shown"
    outputs = parameter.update("urn", id_, inputs, outputs, news)
    assert outputs["value"] == "correct horse" and outputs["version"] == 2

    assert set(parameter.diff("urn", id_, news, outputs, {**news, "type": "String"}).replace_paths) == {"type"}

    boto("ssm").put_parameter(Name=id_, Value="changed by hand", Type="SecureString", Overwrite=True)
    drift = _drift(parameter, id_, news, outputs)
    assert drift["value"] == ("update", "correct horse", "changed by hand")
    assert drift["version"] == ("update", 2, 3)
    parameter.delete("urn", id_, news, outputs)
    assert parameter.read("urn", id_, news, outputs) is None


def test_parameter_autoname_and_validation(ctx: ProviderContext) -> None:
    parameter = provider("aws:ssm/parameter:Parameter", ctx)
    checked = parameter.check("urn", "setting", None, {"type": "String", "value": "v"})
    assert re.fullmatch(r"setting-[0-9a-f]{7}", checked["name"])
    with pytest.raises(ProviderError, match="type 'Int' is not one of"):
        parameter.check("urn", "setting", None, {"type": "Int", "value": "v"})


# --------------------------------------------------------------------------------------
# Preview and the endpoint
# --------------------------------------------------------------------------------------
def test_preview_outputs_mark_computed_values_unknown(ctx: ProviderContext) -> None:
    queue = provider("aws:sqs/queue:Queue", ctx)
    checked = queue.check("urn", "q", None, {"delaySeconds": 5.0})
    planned = queue.preview_outputs("urn", "q", checked)
    assert planned["url"] == UNKNOWN_MARKER and planned["arn"] == UNKNOWN_MARKER
    assert planned["name"] == checked["name"] and planned["delaySeconds"] == 5
    assert planned["tagsAll"] == DEFAULT_TAGS


def test_default_tags_change_shows_as_tags_all_diff(ctx: ProviderContext) -> None:
    bucket = provider("aws:s3/bucket:Bucket", ctx)
    id_, inputs, outputs = _create(bucket, "defaults", {"tags": {"env": "dev"}})
    other_ctx = ProviderContext(
        ctx.project, ctx.stack, ctx.aws, ctx.manifests_dir, {"aws:defaultTags": {"tags": {"ManagedBy": "new"}}}
    )
    diff = provider("aws:s3/bucket:Bucket", other_ctx).diff("urn", id_, inputs, outputs, inputs)
    assert diff.changed and [(d.path, d.new) for d in diff.diffs] == [("tagsAll.ManagedBy", "new")]
    outputs = provider("aws:s3/bucket:Bucket", other_ctx).update("urn", id_, inputs, outputs, inputs)
    assert outputs["tagsAll"] == {"env": "dev", "ManagedBy": "new"}
    assert outputs["tags"] == {"env": "dev"}


def test_refusals_never_echo_a_secret_value(ctx: ProviderContext) -> None:
    from botocore.exceptions import ClientError

    from orchestrator.engines.local.providers.aws.client import aws_errors

    refused = ClientError(
        {"Error": {"Code": "ValidationException", "Message": "Value 'hunter2' at 'value' failed"}}, "PutParameter"
    )
    with pytest.raises(ProviderError) as caught, aws_errors("aws:ssm/parameter:Parameter", "p", ctx, ("hunter2",)):
        raise refused
    assert "hunter2" not in str(caught.value) and "[secret]" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_failed_follow_up_call_leaves_no_orphan(ctx: ProviderContext, boto: Any) -> None:
    # The in-process sandbox does not load AWS-managed policies, so attaching one fails after
    # the role was created: the half-made role must not stay behind.
    role = provider("aws:iam/role:Role", ctx)
    inputs = role.check(
        "urn", "orphan", None, {"assumeRolePolicy": "{}", "managedPolicyArns": ["arn:aws:iam::aws:policy/Nope"]}
    )
    with pytest.raises(ProviderError, match="AttachRolePolicy: NoSuchEntity"):
        role.create("urn", inputs)
    assert inputs["name"] not in [r["RoleName"] for r in boto("iam").list_roles()["Roles"]]


def test_a_default_the_api_requires_is_sent(ctx: ProviderContext, boto: Any) -> None:
    """Defaults are left for AWS to apply, except where the API requires the parameter: a type
    whose required `Description` defaults to pulumi-aws's text gets it sent (botocore refused the
    create before: `Missing required parameter in input: "Description"`)."""
    group = AwsType(
        token="aws:ec2/securityGroup:SecurityGroup", client="ec2",
        props=(Prop("name", api="GroupName"), Prop("description", api="Description", default="Managed by Pulumi")),
        create=Call("create_security_group", id="GroupId"),
        read=(Call("describe_security_groups", {"GroupIds": ["{id}"]}, result="SecurityGroups[0]"),),
        delete=Call("delete_security_group", {"GroupId": "{id}"}),
    )
    found = DeclaredResource(group, ctx)
    id_, _ = found.create("urn", found.check("urn", "web", None, {"name": "web"}))
    live = boto("ec2").describe_security_groups(GroupIds=[id_])["SecurityGroups"][0]
    assert live["Description"] == "Managed by Pulumi"
    found.delete("urn", id_, {"name": "web"}, {})
