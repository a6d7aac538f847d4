"""DynamoDB through the engine: tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
key = "id" if step == "replace" else "pk"
table = aws.dynamodb.Table("records", billing_mode="PAY_PER_REQUEST", hash_key=key,
                           attributes=[{"name": key, "type": "S"}],
                           point_in_time_recovery={"enabled": step != "create"})
pulumi.export("arn", table.arn)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("dynamodb").tag_resource(ResourceArn=outputs["arn"], Tags=[{"Key": "owner", "Value": "someone"}])


def test_table(tmp_path: Path, endpoint: str) -> None:
    run_type_case(TypeCase(
        program=PROGRAM,
        updated={"records": "update"},
        replaced={"records": "replace"},
        drift=_hand_edit,
        drifted={"records": "update"},
    ), tmp_path, endpoint)
