"""Kinesis: data streams. Names, defaults and ForceNew as pulumi-aws `aws.kinesis.Stream`
(terraform-provider-aws `internal/service/kinesis/stream.go`); the id is the stream's ARN."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging
from orchestrator.engines.local.providers.base import ProviderError

_GONE = ("ResourceNotFoundException",)
_STREAM = {"StreamName": "{inputs.name}"}
_WAIT = {"Delay": 1, "MaxAttempts": 120}


class StreamCode(DeclaredResource):
    """Retention, shard count, capacity mode and encryption each change through their own call,
    the stream becoming ACTIVE again in between."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        mode = (news.get("streamModeDetails") or {}).get("streamMode") or "PROVISIONED"
        if mode == "PROVISIONED" and news.get("shardCount") is None:
            raise ProviderError(f"{self.type_token} {name}: `shardCount` is required in PROVISIONED mode")
        return news

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"StreamModeDetails": {"StreamMode": (inputs.get("streamModeDetails") or {}).get("streamMode")
                                      or "PROVISIONED"}}

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        self._apply(inputs, {"retentionPeriod": 24, "encryptionType": "NONE"})

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        self._apply(news, old_outputs)

    def _apply(self, inputs: Mapping[str, Any], had: Mapping[str, Any]) -> None:
        kinesis = self.client(inputs)
        name = inputs["name"]
        retention = int(inputs.get("retentionPeriod") or 24)
        if retention != int(had.get("retentionPeriod") or 24):
            change = "increase" if retention > int(had.get("retentionPeriod") or 24) else "decrease"
            getattr(kinesis, f"{change}_stream_retention_period")(StreamName=name, RetentionPeriodHours=retention)
            self._active(kinesis, name)
        mode = (inputs.get("streamModeDetails") or {}).get("streamMode")
        if had.get("streamModeDetails") and mode and mode != had["streamModeDetails"].get("streamMode"):
            kinesis.update_stream_mode(StreamARN=had["arn"], StreamModeDetails={"StreamMode": mode})
            self._active(kinesis, name)
        shards = inputs.get("shardCount")
        if had.get("shardCount") is not None and shards is not None and shards != had["shardCount"]:
            kinesis.update_shard_count(StreamName=name, TargetShardCount=int(shards), ScalingType="UNIFORM_SCALING")
            self._active(kinesis, name)
        encryption = inputs.get("encryptionType") or "NONE"
        if encryption != (had.get("encryptionType") or "NONE"):
            if encryption == "KMS":
                kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=inputs["kmsKeyId"])
            else:
                kinesis.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=had.get("kmsKeyId"))
            self._active(kinesis, name)

    @staticmethod
    def _active(kinesis: Any, name: str) -> None:
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=_WAIT)


STREAM = AwsType(
    token="aws:kinesis/stream:Stream",
    client="kinesis",
    naming=Naming(max_len=128, prefix=None, charset=r"\w.-", pattern=r"[\w.-]{1,128}",
                  rule="up to 128 letters, digits and _-."),
    props=(
        Prop("name", api="StreamName", read="StreamName", replace=True),
        Prop("shardCount", api="ShardCount", read="OpenShardCount", kind="int"),
        Prop("retentionPeriod", read="RetentionPeriodHours", kind="int", default=24),
        Prop("streamModeDetails", read="StreamModeDetails", kind="object", computed=True,
             props=(Prop("streamMode", read="StreamMode", choices=("PROVISIONED", "ON_DEMAND")),)),
        Prop("encryptionType", read="EncryptionType", default="NONE", choices=("NONE", "KMS")),
        Prop("kmsKeyId", read="KeyId"),
        Prop("enforceConsumerDeletion", kind="bool", default=False),
        Prop("arn", read="StreamARN", computed=True),
    ),
    create=Call("create_stream", waiter="stream_exists", waiter_args=_STREAM),
    read=(Call("describe_stream_summary", _STREAM, result="StreamDescriptionSummary", absent=_GONE),),
    delete=Call("delete_stream", {**_STREAM, "EnforceConsumerDeletion": "{inputs.enforceConsumerDeletion}"},
                absent=_GONE, waiter="stream_not_exists", waiter_args=_STREAM),
    tagging=Tagging(
        on_create=None,
        form="map",
        read=Call("list_tags_for_stream", _STREAM, result="Tags"),
        tag=Call("add_tags_to_stream", {**_STREAM, "Tags": "{tags}"}),
        untag=Call("remove_tags_from_stream", {**_STREAM, "TagKeys": "{keys}"}),
    ),
    id="arn:{partition}:kinesis:{region}:{account}:stream/{inputs.name}",
    impl=StreamCode,
)

TYPES = (STREAM,)
