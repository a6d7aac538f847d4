"""The unmanaged-resource scan against moto on loopback: resources made by hand are
reported, those a stack's state owns are not (state written by the local engine running a
real program), exclusions by name and tag, AWS service roles skipped, an endpoint that
fails gives a scan error (not an exception), and ~300 resources scan quickly."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config.resolved import UnmanagedSettings
from orchestrator.drift.cloud import BUCKET, PARAMETER, QUEUE, ROLE, TABLE, TOPIC, CloudResource, resource_from_arn
from orchestrator.drift.owned import OwnedIndex, owned_identifiers, owned_in_backend, typed_name
from orchestrator.drift.unmanaged import scan_unmanaged
from orchestrator.models import AwsSettings

PASSPHRASE = "unmanaged scan passphrase"
ACCOUNT = "123456789012"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)

PROGRAM = """
import json
import pulumi
import pulumi_aws as aws

aws.s3.Bucket("data", force_destroy=True)
aws.sqs.Queue("jobs")
aws.sns.Topic("events")
aws.dynamodb.Table("items", hash_key="id", attributes=[{"name": "id", "type": "S"}], billing_mode="PAY_PER_REQUEST")
aws.iam.Role("worker", assume_role_policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}))
aws.ssm.Parameter("flag", type="String", value="on")
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    from orchestrator.sandbox import InProcessSandbox

    with InProcessSandbox() as running:
        yield running


@pytest.fixture
def endpoint(sandbox: Any) -> str:
    sandbox.reset()  # moto's state is global to the process: each test starts from an empty account
    return str(sandbox.endpoint)


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)


def client(service: str, endpoint: str) -> Any:
    import boto3

    factory: Any = boto3  # typed per service by boto3-stubs; the tests use several through one helper
    return factory.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def make_by_hand(endpoint: str, prefix: str, *, tags: dict[str, str] | None = None) -> dict[str, str]:
    """One resource of each supported type, made with boto3; returns type → name."""
    tag_list = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket=f"{prefix}-bucket")
    if tag_list:
        s3.put_bucket_tagging(Bucket=f"{prefix}-bucket", Tagging={"TagSet": tag_list})
    client("sqs", endpoint).create_queue(QueueName=f"{prefix}-queue", **({"tags": tags} if tags else {}))
    client("sns", endpoint).create_topic(Name=f"{prefix}-topic", **({"Tags": tag_list} if tag_list else {}))
    client("dynamodb", endpoint).create_table(
        TableName=f"{prefix}-table",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **({"Tags": tag_list} if tag_list else {}),
    )
    client("iam", endpoint).create_role(
        RoleName=f"{prefix}-role", AssumeRolePolicyDocument=TRUST, **({"Tags": tag_list} if tag_list else {})
    )
    client("ssm", endpoint).put_parameter(
        Name=f"/{prefix}/param", Value="v", Type="String", **({"Tags": tag_list} if tag_list else {})
    )
    return {
        BUCKET: f"{prefix}-bucket",
        QUEUE: f"{prefix}-queue",
        TOPIC: f"{prefix}-topic",
        TABLE: f"{prefix}-table",
        ROLE: f"{prefix}-role",
        PARAMETER: f"/{prefix}/param",
    }


def found(findings: list[Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for finding in findings:
        out.setdefault(finding.type, set()).add(finding.name)
    return out


def test_resources_made_by_hand_are_reported_and_the_stacks_are_not(endpoint: str, tmp_path: Path) -> None:
    from orchestrator.engines.local.engine import LocalEngine
    from orchestrator.engines.local.secrets import new_encryption_salt
    from orchestrator.models import StackSpec

    project = tmp_path / "owned"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: owned\nruntime: python\n")
    (project / "__main__.py").write_text(PROGRAM)
    salt, _ = new_encryption_salt(PASSPHRASE)
    (project / "Pulumi.dev.yaml").write_text(f"encryptionsalt: {salt}\nconfig: {{}}\n")
    aws = AwsSettings(region="us-east-1", endpoint=endpoint)
    backend = f"file://{tmp_path / 'backend'}"
    spec = StackSpec(project="owned", environment="dev", stack_name="dev", directory=project, backend=backend, aws=aws)
    deployed = LocalEngine().update(spec)
    assert deployed.ok, deployed.error

    by_hand = make_by_hand(endpoint, "byhand")
    owned = owned_in_backend(backend, "owned", "dev")
    findings, scan = scan_unmanaged("dev", aws, endpoint, owned, UnmanagedSettings())

    assert scan.error is None
    assert scan.scanned == 12  # six deployed, six by hand
    assert found(findings) == {t: {name} for t, name in by_hand.items()}
    queue = next(f for f in findings if f.type == QUEUE)
    assert queue.key == f"dev:unmanaged:arn:aws:sqs:us-east-1:{ACCOUNT}:byhand-queue"
    assert queue.resource_id == f"arn:aws:sqs:us-east-1:{ACCOUNT}:byhand-queue"
    assert queue.kind == "unmanaged" and queue.stack is None and queue.state == "new"
    parameter = next(f for f in findings if f.type == PARAMETER)
    assert parameter.resource_id == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/byhand/param"

    # The same scan again: the same keys (the store recognises them as ongoing).
    again, _ = scan_unmanaged("dev", aws, endpoint, owned, UnmanagedSettings())
    assert [f.key for f in again] == [f.key for f in findings]

    # Without the stack's state, everything is unmanaged.
    everything, _ = scan_unmanaged("dev", aws, endpoint, set(), UnmanagedSettings())
    assert len(everything) == 12


def test_tagged_and_untagged_resources_are_both_listed(endpoint: str) -> None:
    # moto's tagging API lists tagged resources only; the per-service listings find the rest.
    plain = make_by_hand(endpoint, "plain")
    tagged = make_by_hand(endpoint, "tagged", tags={"team": "data"})
    findings, scan = scan_unmanaged("dev", AwsSettings(), endpoint, set(), UnmanagedSettings())
    assert scan.scanned == 12
    assert found(findings) == {t: {plain[t], tagged[t]} for t in plain}


def test_exclusions_by_name_and_tag(endpoint: str) -> None:
    kept = make_by_hand(endpoint, "kept")
    make_by_hand(endpoint, "tmp")
    make_by_hand(endpoint, "scratch", tags={"owner": "data-team", "purpose": "experiment"})
    make_by_hand(endpoint, "legacy", tags={"managed-by": "terraform"})
    settings = UnmanagedSettings(
        exclude_names=("tmp-*", "/tmp/**"),  # names; the parameter's name has slashes
        exclude_tags=(("owner", "data-*"), ("managed-by", "*")),
    )
    findings, scan = scan_unmanaged("dev", AwsSettings(), endpoint, set(), settings)
    assert scan.error is None
    assert scan.scanned == 24
    assert scan.excluded == 18
    assert found(findings) == {t: {name} for t, name in kept.items()}


def test_exclusion_by_arn_glob(endpoint: str) -> None:
    make_by_hand(endpoint, "kept")
    settings = UnmanagedSettings(exclude_names=("arn:aws:iam::*:role/*", "arn:aws:sqs:us-east-1:*:kept-*"))
    findings, scan = scan_unmanaged("dev", AwsSettings(), endpoint, set(), settings)
    assert scan.excluded == 2
    assert {f.type for f in findings} == {BUCKET, TOPIC, TABLE, PARAMETER}


def test_aws_service_roles_are_skipped(endpoint: str) -> None:
    iam = client("iam", endpoint)
    iam.create_role(
        RoleName="AWSServiceRoleForECS", Path="/aws-service-role/ecs.amazonaws.com/", AssumeRolePolicyDocument=TRUST
    )
    iam.create_role(RoleName="codebuild-role", Path="/service-role/", AssumeRolePolicyDocument=TRUST)
    iam.create_role(RoleName="by-hand", Path="/teams/", AssumeRolePolicyDocument=TRUST)
    findings, scan = scan_unmanaged("dev", AwsSettings(), endpoint, set(), UnmanagedSettings())
    assert [f.name for f in findings] == ["by-hand"]
    assert findings[0].resource_id == f"arn:aws:iam::{ACCOUNT}:role/teams/by-hand"
    assert scan.scanned == 1


def test_an_endpoint_that_fails_is_a_scan_error() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    findings, scan = scan_unmanaged("dev", AwsSettings(region="eu-west-1"), down, set(), UnmanagedSettings())
    assert findings == []
    assert scan.error is not None
    assert down in scan.error and "EndpointConnectionError" in scan.error
    assert "orchestrator sandbox status" in scan.error
    assert scan.region == "eu-west-1" and scan.scanned == 0
    assert time.monotonic() - started < 15


def test_an_endpoint_answering_with_errors_is_a_scan_error(endpoint: str) -> None:
    wrong = f"{endpoint}/no-such-path"  # answers every API call with an HTML 404 page
    findings, scan = scan_unmanaged("dev", AwsSettings(), wrong, set(), UnmanagedSettings())
    assert findings == []
    assert scan.error is not None
    assert scan.error.startswith(f"listing resources at {wrong} failed: GetResources 404")
    assert "\n" not in scan.error and len(scan.error) <= 503


def test_three_hundred_resources_are_all_scanned_and_owned_ones_left_out(endpoint: str) -> None:
    # How fast the scan is belongs to bench/drift.py (unmanaged scan figure), not to a timed test.
    s3, sqs, sns, ssm, iam = (client(s, endpoint) for s in ("s3", "sqs", "sns", "ssm", "iam"))
    owned: set[str] = set()
    for i in range(80):
        s3.create_bucket(Bucket=f"bulk-{i:03d}")
        url = sqs.create_queue(QueueName=f"bulk-{i:03d}", **({"tags": {"n": str(i)}} if i % 2 else {}))["QueueUrl"]
        topic = sns.create_topic(Name=f"bulk-{i:03d}")["TopicArn"]
        if i % 10 == 0:  # a few owned, identified as state records them
            owned |= {url, topic, typed_name(BUCKET, f"bulk-{i:03d}")}
    for i in range(30):  # SSM is moto's slowest service to fill (about 50 ms a parameter)
        ssm.put_parameter(Name=f"/bulk/{i:03d}", Value="v", Type="String")
        iam.create_role(RoleName=f"bulk-{i:03d}", AssumeRolePolicyDocument=TRUST)
    findings, scan = scan_unmanaged("dev", AwsSettings(), endpoint, owned, UnmanagedSettings())
    assert scan.error is None
    assert scan.scanned == 300
    assert len(findings) == 300 - 24


# --------------------------------------------------------------------------- pure parts


def test_owned_identifiers_from_checkpoint_resources() -> None:
    resources: list[dict[str, Any]] = [
        {"urn": "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev", "type": "pulumi:pulumi:Stack", "outputs": {"x": "y"}},
        {"urn": "u1", "type": "pulumi:providers:aws", "id": "abc"},
        {
            "urn": "u2",
            "type": QUEUE,
            "id": "http://127.0.0.1:5000/123456789012/jobs",
            "outputs": {
                "arn": "arn:aws:sqs:us-east-1:123456789012:jobs",
                "url": "http://127.0.0.1:5000/123456789012/jobs",
                "name": "jobs",
            },
        },
        {"urn": "u3", "type": "aws:s3/bucketV2:BucketV2", "id": "data-1", "outputs": {"bucket": "data-1"}},
        {
            "urn": "u4",
            "type": PARAMETER,
            "id": "flag",
            "outputs": {
                "name": "flag",
                "value": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:x"},
            },
        },
    ]
    assert owned_identifiers(resources) == {
        "http://127.0.0.1:5000/123456789012/jobs",
        "arn:aws:sqs:us-east-1:123456789012:jobs",
        typed_name(QUEUE, "jobs"),
        typed_name(BUCKET, "data-1"),  # the BucketV2 alias counts as a bucket
        typed_name(PARAMETER, "flag"),
    }


def test_owned_matching_is_typed_and_normalises_queue_urls() -> None:
    index = OwnedIndex(
        {
            "https://sqs.us-east-1.amazonaws.com/123456789012/orders",  # state's id for a queue
            typed_name(QUEUE, "events"),
            "legacy-plain-name",
        }
    )
    queue = CloudResource(QUEUE, "arn:aws:sqs:us-east-1:123456789012:orders", "orders")
    assert index.owns(queue)  # listed by ARN, recorded by URL on another host
    assert not index.owns(CloudResource(QUEUE, "arn:aws:sqs:us-east-1:999999999999:orders", "orders"))
    # A queue named `events` in state does not hide a bucket named `events`.
    assert not index.owns(CloudResource(BUCKET, "arn:aws:s3:::events", "events"))
    assert index.owns(CloudResource(QUEUE, "arn:aws:sqs:us-east-1:123456789012:events", "events"))
    assert index.owns(CloudResource(BUCKET, "arn:aws:s3:::legacy-plain-name", "legacy-plain-name"))


def test_arns_from_the_tagging_api() -> None:
    assert resource_from_arn("arn:aws:ssm:us-east-1:1:parameter/app/db/url", {}) == CloudResource(
        PARAMETER, "arn:aws:ssm:us-east-1:1:parameter/app/db/url", "/app/db/url"
    )
    assert resource_from_arn("arn:aws:ssm:us-east-1:1:parameter/flat", {}).name == "flat"  # type: ignore[union-attr]
    assert resource_from_arn("arn:aws:dynamodb:us-east-1:1:table/t", {"a": "b"}) == CloudResource(
        TABLE, "arn:aws:dynamodb:us-east-1:1:table/t", "t", {"a": "b"}
    )
    for other in (
        "arn:aws:ssm:us-east-1:1:document/doc",
        "arn:aws:dynamodb:us-east-1:1:table/t/backup/01",
        "arn:aws:sns:us-east-1:1:topic:subscription-id",
        "arn:aws:s3:::bucket/key",
        "not-an-arn",
    ):
        assert resource_from_arn(other, {}) is None
