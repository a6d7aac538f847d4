"""IAM through the engine: roles (policies, attachments, users, groups, instance profiles and
access keys are in test_serverless.py, one case with Lambda)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import json
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
trust = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]})
role = aws.iam.Role("app", assume_role_policy=trust, path="/apps/" if step == "replace" else "/",
                    description="the app" if step == "create" else "the app, v2")
pulumi.export("name", role.name)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("iam").update_role(RoleName=outputs["name"], Description="edited by hand")


def test_role(tmp_path: Path, endpoint: str) -> None:
    run_type_case(TypeCase(
        program=PROGRAM,
        updated={"app": "update"},
        replaced={"app": "replace"},
        drift=_hand_edit,
        drifted={"app": "update"},
    ), tmp_path, endpoint)

