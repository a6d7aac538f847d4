"""SNS: topics. Names, defaults and ForceNew as pulumi-aws `aws.sns.Topic` (terraform-provider-aws
`internal/service/sns/topic.go`); attributes are text, set one per call."""

from __future__ import annotations

from typing import Any

from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Kind, Naming, Prop, Tagging, Update

_MISSING = ("NotFound", "NotFoundException", "ResourceNotFound")


def _attribute(name: str, attribute: str, kind: Kind = "str", *, default: Any = None, computed: bool = False,
               replace: bool = False) -> Prop:
    return Prop(name, api=f"Attributes.{attribute}", kind=kind, stringly=kind in ("int", "bool"), default=default,
                computed=computed, replace=replace, reset="")


_ATTRIBUTES = (
    _attribute("displayName", "DisplayName"),
    _attribute("policy", "Policy", "json", computed=True),
    _attribute("deliveryPolicy", "DeliveryPolicy", "json"),
    _attribute("kmsMasterKeyId", "KmsMasterKeyId"),
    _attribute("signatureVersion", "SignatureVersion", "int", computed=True),
    _attribute("tracingConfig", "TracingConfig", computed=True),
    _attribute("fifoTopic", "FifoTopic", "bool", default=False, replace=True),
    _attribute("contentBasedDeduplication", "ContentBasedDeduplication", "bool", default=False),
)

TOPIC = AwsType(
    token="aws:sns/topic:Topic",
    client="sns",
    naming=Naming(max_len=256, pattern=r"[A-Za-z0-9_-]{1,256}",
                  rule="up to 256 letters, digits, hyphens and underscores (FIFO topics end in `.fifo`)",
                  suffix_when="fifoTopic", suffix=".fifo"),
    props=(
        Prop("name", replace=True),
        Prop("namePrefix", replace=True),
        *_ATTRIBUTES,
        Prop("arn", template="{id}"),
        Prop("owner", read="Attributes.Owner", output=True),
    ),
    create=Call("create_topic", {"Name": "{name}"}, id="TopicArn"),
    read=(Call("get_topic_attributes", {"TopicArn": "{id}"}, absent=_MISSING),),
    updates=(
        Update(
            Call("set_topic_attributes", {"TopicArn": "{id}", "AttributeName": "{api}", "AttributeValue": "{value}"}),
            props=tuple(p.name for p in _ATTRIBUTES if not p.replace), each=True,
        ),
    ),
    delete=Call("delete_topic", {"TopicArn": "{id}"}),  # idempotent in SNS
    tagging=Tagging(
        read=Call("list_tags_for_resource", {"ResourceArn": "{id}"}, result="Tags"),
        tag=Call("tag_resource", {"ResourceArn": "{id}", "Tags": "{tags}"}),
        untag=Call("untag_resource", {"ResourceArn": "{id}", "TagKeys": "{keys}"}),
    ),
)


def _subscription_attribute(name: str, attribute: str, kind: Kind = "str", *, default: Any = None,
                            computed: bool = False) -> Prop:
    return Prop(name, api=f"Attributes.{attribute}", kind=kind, stringly=kind in ("int", "bool"), default=default,
                computed=computed, reset="")


_SUBSCRIPTION_ATTRIBUTES = (
    _subscription_attribute("rawMessageDelivery", "RawMessageDelivery", "bool", default=False),
    _subscription_attribute("filterPolicy", "FilterPolicy", "json"),
    _subscription_attribute("filterPolicyScope", "FilterPolicyScope", computed=True),
    _subscription_attribute("deliveryPolicy", "DeliveryPolicy", "json"),
    _subscription_attribute("redrivePolicy", "RedrivePolicy", "json"),
    _subscription_attribute("replayPolicy", "ReplayPolicy", "json"),
    _subscription_attribute("subscriptionRoleArn", "SubscriptionRoleArn"),
)

TOPIC_SUBSCRIPTION = AwsType(
    token="aws:sns/topicSubscription:TopicSubscription",
    client="sns",
    props=(
        Prop("topic", api="TopicArn", read="Attributes.TopicArn", replace=True, required=True),
        Prop("protocol", api="Protocol", read="Attributes.Protocol", replace=True, required=True),
        Prop("endpoint", api="Endpoint", read="Attributes.Endpoint", replace=True, required=True),
        *_SUBSCRIPTION_ATTRIBUTES,
        Prop("confirmationTimeoutInMinutes", kind="int", default=1),
        Prop("endpointAutoConfirms", kind="bool", default=False),
        Prop("arn", template="{id}"),
        Prop("ownerId", read="Attributes.Owner", output=True),
        Prop("pendingConfirmation", read="Attributes.PendingConfirmation", kind="bool", output=True),
        Prop("confirmationWasAuthenticated", read="Attributes.ConfirmationWasAuthenticated", kind="bool",
             output=True),
    ),
    create=Call("subscribe", {"ReturnSubscriptionArn": True}, id="SubscriptionArn"),
    read=(Call("get_subscription_attributes", {"SubscriptionArn": "{id}"}, absent=_MISSING),),
    updates=(
        Update(Call("set_subscription_attributes",
                    {"SubscriptionArn": "{id}", "AttributeName": "{api}", "AttributeValue": "{value}"}),
               props=tuple(p.name for p in _SUBSCRIPTION_ATTRIBUTES), each=True),
    ),
    delete=Call("unsubscribe", {"SubscriptionArn": "{id}"}, absent=_MISSING),
)

TYPES = (TOPIC, TOPIC_SUBSCRIPTION)
