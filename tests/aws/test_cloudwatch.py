"""CloudWatch through the engine: log groups, streams and metric filters, EventBridge buses,
rules and targets, metric alarms; and a Kinesis stream (in this case to keep the run short)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import json
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
logs = aws.cloudwatch.LogGroup("app-logs", retention_in_days=7 if step == "create" else 14, tags={"team": "core"})
aws.cloudwatch.LogStream("app-stream", log_group_name=logs.name,
                         name="stream-b" if step == "replace" else "stream-a")
aws.cloudwatch.LogMetricFilter("errors", log_group_name=logs.name,
                               pattern="ERROR" if step == "create" else "?ERROR ?FATAL",
                               metric_transformation={"name": "Errors", "namespace": "App", "value": "1"})
bus = aws.cloudwatch.EventBus("orders", name="orders-bus")
rule = aws.cloudwatch.EventRule("order-placed", event_bus_name=bus.name, description="orders",
                                event_pattern=json.dumps({"source": ["shop.orders"]}))
queue = aws.sqs.Queue("order-events")
aws.cloudwatch.EventTarget("to-queue", rule=rule.name, event_bus_name=bus.name, arn=queue.arn,
                           target_id="queue-2" if step == "replace" else "queue",
                           input=json.dumps({"v": 1 if step == "create" else 2}))
aws.cloudwatch.MetricAlarm("high-errors", comparison_operator="GreaterThanOrEqualToThreshold",
                           evaluation_periods=1, metric_name="Errors", namespace="App", period=60,
                           statistic="Sum", threshold=5 if step == "create" else 10,
                           dimensions={"Service": "app"})
stream = aws.kinesis.Stream("clicks", shard_count=1, retention_period=24 if step == "create" else 48)
pulumi.export("logs", logs.name)
pulumi.export("stream", stream.name)
pulumi.export("rule", rule.name)
pulumi.export("bus", bus.name)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("logs").put_retention_policy(logGroupName=outputs["logs"], retentionInDays=30)
    clients("events").disable_rule(Name=outputs["rule"], EventBusName=outputs["bus"])
    clients("kinesis").increase_stream_retention_period(StreamName=outputs["stream"], RetentionPeriodHours=72)


def test_logs_events_and_alarms(tmp_path: Path, endpoint: str) -> None:
    run_type_case(TypeCase(
        program=PROGRAM,
        updated={"app-logs": "update", "errors": "update", "to-queue": "update", "high-errors": "update",
                 "clicks": "update"},
        replaced={"app-stream": "replace", "to-queue": "replace"},
        drift=_hand_edit,
        # The rule disabled by hand is not drift: the program leaves `state` unset (Optional+Computed),
        # and Pulumi's refresh diffs against the program (pulumi/pulumi#16146).
        drifted={"app-logs": "update", "clicks": "update"},
    ), tmp_path, endpoint)
