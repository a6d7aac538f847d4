"""SNS through the engine: topics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
topic = aws.sns.Topic("alerts", display_name="Alerts" if step == "create" else "Paging",
                      fifo_topic=step == "replace")
pulumi.export("arn", topic.arn)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("sns").set_topic_attributes(TopicArn=outputs["arn"], AttributeName="DisplayName", AttributeValue="Oops")


def test_topic(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        updated={"alerts": "update"},
        replaced={"alerts": "replace"},
        drift=_hand_edit,
        drifted={"alerts": "update"},
    ), tmp_path, endpoint)
    assert run.outputs("replace")["arn"].endswith(".fifo")
