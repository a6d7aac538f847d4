"""Kubernetes objects rendered to the stack's manifests directory, `Resource.get` reads of
existing cloud objects, and provider functions (invokes), through the engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from orchestrator.engines.local.engine import LocalEngine
from orchestrator.models import AwsSettings
from tests.engine.programs import write_project
from tests.support.engine_stack import Stack

K8S_PROGRAM = '''
import pulumi
import pulumi_kubernetes as k8s

cfg = pulumi.Config()
k8s.core.v1.ConfigMap("settings", metadata={"name": "settings", "namespace": "apps"},
                      data={"level": cfg.get("level") or "info"})
'''

READ_PROGRAM = '''
import pulumi
import pulumi_aws as aws

queue = aws.sqs.Queue.get("existing", pulumi.Config().require("url"))
pulumi.export("arn", queue.arn)
pulumi.export("account", aws.get_caller_identity().account_id)
pulumi.export("region", aws.get_region().region)
'''


def test_kubernetes_objects_render_to_manifests(make_stack: Callable[..., Stack]) -> None:
    st = make_stack("kube")
    write_project(st.directory, "kube", K8S_PROGRAM)
    engine = LocalEngine()
    manifests = st.backend / "manifests" / "kube" / "dev"

    assert engine.update(st.spec({})).ok
    files = list(manifests.rglob("*.yaml"))
    assert len(files) == 1 and "level: info" in files[0].read_text()

    changed = engine.update(st.spec({"kube:level": "debug"}))
    assert changed.ok and {c.name: c.op for c in changed.changes} == {"settings": "update"}
    assert "level: debug" in files[0].read_text()

    assert engine.destroy(st.spec({}), preview_only=False).ok
    assert list(manifests.rglob("*.yaml")) == []


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from orchestrator.sandbox import InProcessSandbox

    with InProcessSandbox() as sandbox:
        yield sandbox.endpoint


def test_get_reads_an_existing_object(make_stack: Callable[..., Stack], endpoint: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    url = sqs.create_queue(QueueName="made-elsewhere")["QueueUrl"]
    st = make_stack("reader")
    write_project(st.directory, "reader", READ_PROGRAM)
    aws = AwsSettings(endpoint=endpoint)

    result = LocalEngine().update(st.spec({"reader:url": url}, aws=aws))
    assert result.ok, result.error
    assert result.outputs["arn"].endswith(":made-elsewhere")
    assert result.outputs["account"] == "123456789012" and result.outputs["region"] == "us-east-1"
    rec = st.resources()["urn:pulumi:dev::reader::aws:sqs/queue:Queue::existing"]
    assert rec["external"] is True and rec["id"] == url

    # Destroying the stack forgets the read object but leaves it in the cloud.
    assert LocalEngine().destroy(st.spec({"reader:url": url}, aws=aws), preview_only=False).ok
    assert url in sqs.list_queues().get("QueueUrls", [])

    missing = LocalEngine().preview(st.spec({"reader:url": url + "-nope"}, aws=aws))
    assert missing.status == "failed" and "existing" in (missing.error or "")
