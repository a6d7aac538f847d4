"""The engine with the built-in AWS providers against moto on loopback: create, no-op,
update, drift after direct boto3 changes, and destroy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from orchestrator.engines.local.engine import LocalEngine
from orchestrator.engines.local.secrets import new_encryption_salt
from orchestrator.models import AwsSettings
from tests.engine.programs import write_project
from tests.support.engine_stack import PASSPHRASE, Stack

TOKEN = "ssm-token-very-secret"

AWS_PROGRAM = '''
import pulumi
import pulumi_aws as aws

cfg = pulumi.Config()
bucket = aws.s3.Bucket("data", force_destroy=True, tags={"team": cfg.get("team") or "core"})
aws.s3.BucketVersioning("data-versioning", bucket=bucket.id,
                        versioning_configuration={"status": "Enabled"})
queue = aws.sqs.Queue("jobs", visibility_timeout_seconds=45, tags={"team": "core"})
aws.ssm.Parameter("token", type="SecureString", value=cfg.require_secret("token"))
pulumi.export("bucket", bucket.bucket)
pulumi.export("queue_url", queue.url)
'''


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from orchestrator.sandbox import InProcessSandbox

    with InProcessSandbox() as sandbox:
        yield sandbox.endpoint


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)


def _client(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_aws_lifecycle_and_drift(make_stack: Callable[..., Stack], endpoint: str) -> None:
    st = make_stack("awsapp")
    salt, crypter = new_encryption_salt(PASSPHRASE)
    write_project(st.directory, "awsapp", AWS_PROGRAM,
                  stack_config={"awsapp:token": {"secure": crypter.encrypt(TOKEN)}}, encryption_salt=salt)
    aws = AwsSettings(region="us-east-1", endpoint=endpoint)
    engine = LocalEngine()

    created = engine.update(st.spec({}, aws=aws))
    assert created.ok, created.error
    assert {c.name: c.op for c in created.changes} == {
        "awsapp-dev": "create", "data": "create", "data-versioning": "create", "jobs": "create", "token": "create"}
    bucket = created.outputs["bucket"]
    s3, sqs, ssm = _client("s3", endpoint), _client("sqs", endpoint), _client("ssm", endpoint)
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]} == {"team": "core"}
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    queue_url = created.outputs["queue_url"]
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
    params = ssm.describe_parameters()["Parameters"]
    token_name = next(p["Name"] for p in params if p["Name"].startswith("token"))
    assert ssm.get_parameter(Name=token_name, WithDecryption=True)["Parameter"]["Value"] == TOKEN

    resources = st.resources()
    provider_urns = [u for u in resources if "pulumi:providers:aws::default_" in u]
    assert len(provider_urns) == 1
    bucket_rec = resources["urn:pulumi:dev::awsapp::aws:s3/bucket:Bucket::data"]
    assert bucket_rec["provider"].startswith(provider_urns[0] + "::")
    versioning = resources["urn:pulumi:dev::awsapp::aws:s3/bucketVersioning:BucketVersioning::data-versioning"]
    assert versioning["propertyDependencies"]["bucket"] == ["urn:pulumi:dev::awsapp::aws:s3/bucket:Bucket::data"]
    assert TOKEN not in st.state_file.read_text()

    same = engine.update(st.spec({}, aws=aws))
    assert same.ok and same.changes == (), same.changes

    retagged = engine.update(st.spec({"awsapp:team": "platform"}, aws=aws))
    assert retagged.ok, retagged.error
    assert {c.name: c.op for c in retagged.changes} == {"data": "update"}
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]} == {"team": "platform"}

    # Out-of-band changes: a tag edited, versioning suspended, the queue deleted.
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "someone-else"}]})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    sqs.delete_queue(QueueUrl=queue_url)
    before = st.state_file.read_text()
    drift = engine.drift(st.spec({"awsapp:team": "platform"}, aws=aws))
    assert drift.ok, drift.error
    found = {c.name: c for c in drift.changes}
    assert found["jobs"].op == "delete"
    assert found["data"].op == "update"
    assert any(d.path.startswith("tags") and d.new in ("someone-else", {"team": "someone-else"})
               for d in found["data"].diffs), found["data"].diffs
    assert found["data-versioning"].op == "update"
    assert "token" not in found
    assert st.state_file.read_text() == before
    assert TOKEN not in json.dumps(drift.to_json())

    gone = engine.destroy(st.spec({}, aws=aws), preview_only=False)
    assert gone.ok, gone.error
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


EXPLICIT_PROVIDER_PROGRAM = '''
import pulumi
import pulumi_aws as aws

west = aws.Provider("west", region="us-west-2")
queue = aws.sqs.Queue("west-jobs", opts=pulumi.ResourceOptions(provider=west))
pulumi.export("arn", queue.arn)
'''


def test_explicit_provider_sets_the_region(make_stack: Callable[..., Stack], endpoint: str) -> None:
    st = make_stack("multi")
    write_project(st.directory, "multi", EXPLICIT_PROVIDER_PROGRAM)
    result = LocalEngine().update(st.spec({}, aws=AwsSettings(region="us-east-1", endpoint=endpoint)))
    assert result.ok, result.error
    assert ":us-west-2:" in result.outputs["arn"]
    resources = st.resources()
    provider = resources["urn:pulumi:dev::multi::pulumi:providers:aws::west"]
    queue = resources["urn:pulumi:dev::multi::aws:sqs/queue:Queue::west-jobs"]
    assert queue["provider"] == f"{provider['urn']}::{provider['id']}"
    assert not any("default_" in u for u in resources), "no default provider for a stack that names its own"


TABLE_PROGRAM = '''
import pulumi
import pulumi_aws as aws

key = pulumi.Config().get("key") or "pk"
table = aws.dynamodb.Table("records", billing_mode="PAY_PER_REQUEST", hash_key=key,
                           attributes=[{"name": key, "type": "S"}])
pulumi.export("table", table.name)
'''


def test_replacing_an_autonamed_resource_gets_a_new_name(make_stack: Callable[..., Stack], endpoint: str) -> None:
    st = make_stack("tables")
    write_project(st.directory, "tables", TABLE_PROGRAM)
    aws = AwsSettings(region="us-east-1", endpoint=endpoint)
    engine = LocalEngine()
    first = engine.update(st.spec({}, aws=aws))
    assert first.ok, first.error
    # The hash key forces a replace: create-before-delete needs a fresh autoname, as in Pulumi.
    second = engine.update(st.spec({"tables:key": "id"}, aws=aws))
    assert second.ok, second.error
    assert {c.name: c.op for c in second.changes}["records"] == "replace"
    old_name, new_name = first.outputs["table"], second.outputs["table"]
    assert new_name != old_name and new_name.startswith("records-")
    names = _client("dynamodb", endpoint).list_tables()["TableNames"]
    assert new_name in names and old_name not in names


QUEUE_PROGRAM = '''
import pulumi
import pulumi_aws as aws

queue = aws.sqs.Queue("jobs", visibility_timeout_seconds=45, tags={"team": "core"})
pulumi.export("queue_url", queue.url)
'''


def test_refresh_then_update_puts_the_cloud_back(make_stack: Callable[..., Stack], endpoint: str) -> None:
    st = make_stack("refreshing")
    write_project(st.directory, "refreshing", QUEUE_PROGRAM)
    aws = AwsSettings(region="us-east-1", endpoint=endpoint)
    engine = LocalEngine()
    first = engine.update(st.spec({}, aws=aws))
    assert first.ok, first.error
    sqs = _client("sqs", endpoint)
    url = first.outputs["queue_url"]
    sqs.tag_queue(QueueUrl=url, Tags={"team": "someone-else"})

    # Without a refresh the recorded state still matches the code: nothing to do.
    assert engine.update(st.spec({}, aws=aws)).counts.changed == 0
    refreshed = engine.refresh(st.spec({}, aws=aws))
    assert refreshed.ok, refreshed.error
    assert [(c.name, c.op) for c in refreshed.changes] == [("jobs", "update")]
    fixed = engine.update(st.spec({}, aws=aws))
    assert fixed.ok and fixed.counts.update == 1
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "core"}

    sqs.delete_queue(QueueUrl=url)
    assert [(c.name, c.op) for c in engine.refresh(st.spec({}, aws=aws)).changes] == [("jobs", "delete")]
    recreated = engine.update(st.spec({}, aws=aws))
    assert recreated.ok and recreated.counts.create == 1
    assert engine.drift(st.spec({}, aws=aws)).counts.changed == 0
