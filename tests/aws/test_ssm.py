"""SSM through the engine: parameters (a SecureString's value stays secret)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
param = aws.ssm.Parameter("token", type="String" if step == "replace" else "SecureString",
                          value="first-value" if step == "create" else "second-value")
pulumi.export("name", param.name)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("ssm").put_parameter(Name=outputs["name"], Value="by-hand", Type="String", Overwrite=True)


def test_parameter(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        updated={"token": "update"},
        replaced={"token": "replace"},
        drift=_hand_edit,
        drifted={"token": "update"},
    ), tmp_path, endpoint)
    for result in run.results.values():
        assert "second-value" not in json.dumps(result.to_json()) and "by-hand" not in json.dumps(result.to_json())
