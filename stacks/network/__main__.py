"""Shared messaging: the events queue every service publishes to, and an SSM parameter
through which services discover it at run time (no hard-coded URLs in application config)."""

import sys
from pathlib import Path

import pulumi
import pulumi_aws as aws

# lib/ lives at the repository root, two levels above this project directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from lib import naming, tags

project = pulumi.get_project()
env = pulumi.get_stack()
config = pulumi.Config()

retention_seconds = config.get_int("retention_seconds") or 4 * 24 * 3600
visibility_timeout_seconds = config.get_int("visibility_timeout_seconds") or 60

events = aws.sqs.Queue(
    naming.resource_name(project, env, "events"),
    message_retention_seconds=retention_seconds,
    visibility_timeout_seconds=visibility_timeout_seconds,
    sqs_managed_sse_enabled=True,
    tags=tags.standard_tags(project, env, Component="events"),
)

events_url = aws.ssm.Parameter(
    naming.resource_name(project, env, "events-url"),
    name=naming.parameter_path(env, project, "events-queue-url"),
    type="String",
    value=events.url,
    description=f"URL of the {env} events queue; services read it at start-up.",
    tags=tags.standard_tags(project, env, Component="events"),
)

pulumi.export("queue_url", events.url)
pulumi.export("queue_arn", events.arn)
pulumi.export("queue_name", events.name)
pulumi.export("setting_name", events_url.name)
