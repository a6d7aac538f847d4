"""A step the cloud refuses leaves no pending operation behind: the stack can be updated or
destroyed at once (only a crash or a kill mid-step needs `orchestrator stack repair`)."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.engines.local.engine import LocalEngine
from tests.aws.harness import TypeCase, _Stack, boto_clients

PROGRAM = '''
import json
import pulumi
import pulumi_aws as aws

trust = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]})
role = aws.iam.Role("kept", assume_role_policy=trust)
aws.s3.BucketPolicy("refused", bucket="no-such-bucket-here", policy=json.dumps({"Version": "2012-10-17",
    "Statement": []}), opts=pulumi.ResourceOptions(depends_on=[role]))
pulumi.export("role", role.name)
'''


def test_a_refused_create_leaves_nothing_pending(tmp_path: Path, endpoint: str) -> None:
    stack = _Stack(tmp_path, endpoint, TypeCase(program=PROGRAM))
    engine = LocalEngine()
    failed = engine.update(stack.spec("create"))
    assert not failed.ok and "no-such-bucket-here" in (failed.error or "")
    assert "NoSuchBucket" in (failed.error or "")
    state = json.loads((stack.backend / ".pulumi" / "stacks" / "case" / "dev.json").read_text())
    assert not state["checkpoint"]["latest"].get("pending_operations")
    assert [r["type"] for r in stack.recorded()] == ["aws:iam/role:Role"]
    destroyed = engine.destroy(stack.spec("create"), preview_only=False)
    assert destroyed.ok, destroyed.error
    assert boto_clients(endpoint)("iam").list_roles()["Roles"] == []
