"""SQS through the engine: queues."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
queue = aws.sqs.Queue("jobs", visibility_timeout_seconds=60 if step != "create" else 45,
                      fifo_queue=step == "replace", tags={"team": "core"})
pulumi.export("url", queue.url)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("sqs").set_queue_attributes(QueueUrl=outputs["url"], Attributes={"VisibilityTimeout": "5"})


def test_queue(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        updated={"jobs": "update"},
        replaced={"jobs": "replace"},
        drift=_hand_edit,
        drifted={"jobs": "update"},
    ), tmp_path, endpoint)
    assert run.outputs("replace")["url"].endswith(".fifo")
    drift = {d.path: (d.old, d.new) for d in run.results["drift"].changes[0].diffs}
    assert drift == {"visibilityTimeoutSeconds": (60, 5)}
