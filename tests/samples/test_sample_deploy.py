"""The sample infrastructure deployed for real: the local engine runs stacks/network, data and
app (dev) against moto on loopback, in dependency order, reading the environment files through
the orchestrator's own configuration loader. Checks what landed in the (emulated) cloud and in
the rendered Kubernetes manifests, that StackReference outputs flowed down the chain, and that
a second update changes nothing.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from orchestrator.config.load import load_repository
from orchestrator.engines.base import StackResult
from orchestrator.engines.local.engine import LocalEngine
from orchestrator.models import AwsSettings, StackSpec
from orchestrator.sandbox import InProcessSandbox

REPO = Path(__file__).resolve().parents[2]
ORDER = ("network", "data", "app")
ENV = "dev"
CREATED_TYPES = {
    "network": {"aws:sqs/queue:Queue", "aws:ssm/parameter:Parameter"},
    "data": {
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:dynamodb/table:Table",
        "aws:iam/role:Role",
    },
    "app": {
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:apps/v1:Deployment",
        "kubernetes:core/v1:Service",
    },
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[InProcessSandbox]:
    with InProcessSandbox() as running:
        yield running


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    for directory in ("stacks", "lib", "environments", "policies"):
        shutil.copytree(REPO / directory, root / directory, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "orchestrator.yaml", root / "orchestrator.yaml")
    return root


@pytest.fixture(scope="module")
def specs(sample: Path, sandbox: InProcessSandbox) -> dict[str, StackSpec]:
    config = load_repository(sample)
    aws = AwsSettings(region="us-east-1", endpoint=sandbox.endpoint)
    return {p: dataclasses.replace(config.stack_spec(p, ENV), aws=aws) for p in ORDER}


@pytest.fixture(scope="module")
def deployed(specs: dict[str, StackSpec]) -> Iterator[tuple[dict[str, StackResult], dict[str, StackResult]]]:
    """First and second update of each stack, in dependency order."""
    previous = os.environ.get("PULUMI_CONFIG_PASSPHRASE")
    os.environ["PULUMI_CONFIG_PASSPHRASE"] = "demo-passphrase"  # the SSM value is a secret in state
    try:
        engine = LocalEngine()
        first = {p: engine.update(specs[p]) for p in ORDER}
        second = {p: engine.update(specs[p]) for p in ORDER}
        yield first, second
    finally:
        if previous is None:
            os.environ.pop("PULUMI_CONFIG_PASSPHRASE", None)
        else:
            os.environ["PULUMI_CONFIG_PASSPHRASE"] = previous


def connection(sandbox: InProcessSandbox) -> dict[str, Any]:
    """boto3 client arguments for the sandbox (moto accepts any credentials)."""
    return {
        "endpoint_url": sandbox.endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }


def test_every_stack_is_created_then_unchanged(
    deployed: tuple[dict[str, StackResult], dict[str, StackResult]],
) -> None:
    first, second = deployed
    for project in ORDER:
        assert first[project].status == "succeeded", first[project].error
        assert second[project].status == "succeeded", second[project].error
        created = {c.type for c in first[project].changes if c.op == "create"}
        assert {t for t in created if not t.startswith("pulumi:")} == CREATED_TYPES[project]
        counts = second[project].counts
        assert (counts.create, counts.update, counts.replace, counts.delete) == (0, 0, 0, 0), project


def test_outputs_flow_through_the_stack_references(
    deployed: tuple[dict[str, StackResult], dict[str, StackResult]], specs: dict[str, StackSpec]
) -> None:
    first, _ = deployed
    network, data = first["network"].outputs, first["data"].outputs
    assert data["queue_url"] == network["queue_url"]
    manifests = Path(specs["app"].backend.removeprefix("file://")) / "manifests" / "app" / ENV
    [configmap_file] = list(manifests.rglob("*configmap*web-settings*.yaml"))
    configmap = yaml.safe_load(configmap_file.read_text())
    assert configmap["metadata"]["namespace"] == "app-dev"
    assert configmap["data"]["UPLOADS_BUCKET"] == data["bucket_name"]
    assert configmap["data"]["RECORDS_TABLE"] == data["table_name"]
    assert configmap["data"]["APP_ROLE_ARN"] == data["role_arn"]
    assert configmap["data"]["EVENTS_QUEUE_URL"] == network["queue_url"]
    kinds = sorted(yaml.safe_load(p.read_text())["kind"] for p in manifests.rglob("*.yaml"))
    assert kinds == ["ConfigMap", "Deployment", "Namespace", "Service"]


def test_the_cloud_holds_what_the_programs_declare(
    deployed: tuple[dict[str, StackResult], dict[str, StackResult]], sandbox: InProcessSandbox
) -> None:
    first, _ = deployed
    network, data = first["network"].outputs, first["data"].outputs

    sqs = boto3.client("sqs", **connection(sandbox))
    attributes = sqs.get_queue_attributes(QueueUrl=network["queue_url"], AttributeNames=["All"])["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "3600"  # environments/dev.yaml
    assert attributes["VisibilityTimeout"] == "30"  # stacks/network/Pulumi.dev.yaml
    assert sqs.list_queue_tags(QueueUrl=network["queue_url"])["Tags"]["Environment"] == "dev"

    parameter = boto3.client("ssm", **connection(sandbox)).get_parameter(Name=network["setting_name"])["Parameter"]
    assert parameter["Value"] == network["queue_url"]

    s3 = boto3.client("s3", **connection(sandbox))
    assert s3.get_bucket_versioning(Bucket=data["bucket_name"])["Status"] == "Enabled"

    table = boto3.client("dynamodb", **connection(sandbox)).describe_table(TableName=data["table_name"])["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}

    iam = boto3.client("iam", **connection(sandbox))
    role_name = data["role_arn"].rsplit("/", 1)[-1]
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == ["app-data-access"]
