"""SQS: queues. Names, defaults and ForceNew as pulumi-aws `aws.sqs.Queue` (terraform-provider-aws
`internal/service/sqs/queue.go`); every attribute travels as text in `Attributes`."""

from __future__ import annotations

from typing import Any

from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Kind, Naming, Prop, Tagging, Update

_MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def _attribute(name: str, attribute: str, kind: Kind = "int", *, default: Any = None, computed: bool = False,
               replace: bool = False, reset: Any = None) -> Prop:
    return Prop(name, api=f"Attributes.{attribute}", kind=kind, stringly=kind in ("int", "bool"), default=default,
                computed=computed, replace=replace, reset=reset)


_ATTRIBUTES = (
    _attribute("visibilityTimeoutSeconds", "VisibilityTimeout", default=30),
    _attribute("messageRetentionSeconds", "MessageRetentionPeriod", default=345600),
    _attribute("delaySeconds", "DelaySeconds", default=0),
    _attribute("maxMessageSize", "MaximumMessageSize", default=262144),
    _attribute("receiveWaitTimeSeconds", "ReceiveMessageWaitTimeSeconds", default=0),
    _attribute("kmsDataKeyReusePeriodSeconds", "KmsDataKeyReusePeriodSeconds", computed=True),
    _attribute("fifoQueue", "FifoQueue", "bool", default=False, replace=True),
    _attribute("contentBasedDeduplication", "ContentBasedDeduplication", "bool", default=False),
    _attribute("sqsManagedSseEnabled", "SqsManagedSseEnabled", "bool", computed=True),
    _attribute("kmsMasterKeyId", "KmsMasterKeyId", "str", reset=""),
    _attribute("deduplicationScope", "DeduplicationScope", "str", computed=True),
    _attribute("fifoThroughputLimit", "FifoThroughputLimit", "str", computed=True),
    _attribute("policy", "Policy", "json", computed=True),
    _attribute("redrivePolicy", "RedrivePolicy", "json", computed=True),
    _attribute("redriveAllowPolicy", "RedriveAllowPolicy", "json", computed=True),
)

QUEUE = AwsType(
    token="aws:sqs/queue:Queue",
    client="sqs",
    naming=Naming(max_len=80, pattern=r"[A-Za-z0-9_-]{1,80}", rule="up to 80 letters, digits, hyphens and underscores",
                  suffix_when="fifoQueue", suffix=".fifo"),
    props=(
        Prop("name", replace=True),
        Prop("namePrefix", replace=True),
        *_ATTRIBUTES,
        Prop("arn", read="Attributes.QueueArn", output=True),
        Prop("url", template="{id}"),
    ),
    create=Call("create_queue", {"QueueName": "{name}"}, id="QueueUrl"),
    read=(Call("get_queue_attributes", {"QueueUrl": "{id}", "AttributeNames": ["All"]}, absent=_MISSING),),
    updates=(
        Update(Call("set_queue_attributes", {"QueueUrl": "{id}"}),
               props=tuple(p.name for p in _ATTRIBUTES if not p.replace), changed_only=True),
    ),
    delete=Call("delete_queue", {"QueueUrl": "{id}"}, absent=_MISSING),
    tagging=Tagging(
        form="map",
        on_create="tags",
        read=Call("list_queue_tags", {"QueueUrl": "{id}"}, result="Tags"),
        tag=Call("tag_queue", {"QueueUrl": "{id}", "Tags": "{tags}"}),
        untag=Call("untag_queue", {"QueueUrl": "{id}", "TagKeys": "{keys}"}),
    ),
)

QUEUE_POLICY = AwsType(
    token="aws:sqs/queuePolicy:QueuePolicy",
    client="sqs",
    props=(
        Prop("queueUrl", api="QueueUrl", read="", replace=True, required=True),
        Prop("policy", kind="json", api="Attributes.Policy", read="Policy", required=True),
    ),
    create=Call("set_queue_attributes"),
    id="{inputs.queueUrl}",
    # No policy on the queue (or no queue) reads as gone.
    read=(Call("get_queue_attributes", {"QueueUrl": "{id}", "AttributeNames": ["Policy"]}, result="Attributes",
               absent=_MISSING),),
    updates=(Update(Call("set_queue_attributes", {"QueueUrl": "{id}"}), props=("policy",)),),
    delete=Call("set_queue_attributes", {"QueueUrl": "{id}", "Attributes": {"Policy": ""}}, absent=_MISSING),
)

TYPES = (QUEUE, QUEUE_POLICY)
