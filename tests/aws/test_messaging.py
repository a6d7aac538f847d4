"""Secrets Manager, Step Functions, SNS subscriptions and SQS queue policies through the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.engines.base import SECRET
from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import json
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
secret = aws.secretsmanager.Secret("creds", description="db" if step == "create" else "db, v2",
                                   recovery_window_in_days=0, tags={"team": "core"})
version = aws.secretsmanager.SecretVersion("creds-value", secret_id=secret.id,
                                           secret_string="two" if step == "replace" else "one")
topic = aws.sns.Topic("events")
queue = aws.sqs.Queue("inbox")
aws.sqs.QueuePolicy("inbox-policy", queue_url=queue.url, policy=pulumi.Output.json_dumps({
    "Version": "2012-10-17", "Statement": [{
        "Sid": "fromtopic" if step == "create" else "fromtopic2", "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": queue.arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic.arn}}}]}))
subscription = aws.sns.TopicSubscription("inbox-sub", topic=topic.arn, protocol="sqs", endpoint=queue.arn,
                                         raw_message_delivery=step != "create")
flow = aws.sfn.StateMachine("flow", role_arn="arn:aws:iam::123456789012:role/flow", definition=json.dumps({
    "Comment": "v1" if step == "create" else "v2", "StartAt": "Done",
    "States": {"Done": {"Type": "Pass", "End": True}}}),
    tags={"team": "core"})
pulumi.export("secret", secret.id)
pulumi.export("subscription", subscription.arn)
pulumi.export("flow", flow.arn)
pulumi.export("value", pulumi.Output.unsecret(version.secret_string))
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("secretsmanager").update_secret(SecretId=outputs["secret"], Description="edited by hand")
    clients("sns").set_subscription_attributes(SubscriptionArn=outputs["subscription"],
                                               AttributeName="RawMessageDelivery", AttributeValue="false")


@pytest.mark.types
def test_secrets_workflows_and_subscriptions(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        updated={"creds": "update", "inbox-policy": "update", "inbox-sub": "update", "flow": "update"},
        replaced={"creds-value": "replace"},
        drift=_hand_edit,
        drifted={"creds": "update", "inbox-sub": "update"},
    ), tmp_path, endpoint)
    assert run.outputs("create")["value"] == "one" and run.outputs("replace")["value"] == "two"
    replaced = next(c for c in run.results["replace"].changes if c.name == "creds-value")
    assert {d.path: (d.old, d.new) for d in replaced.diffs}["secretString"] == (SECRET, SECRET)
