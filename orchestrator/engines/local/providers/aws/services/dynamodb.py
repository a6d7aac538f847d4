"""DynamoDB: tables. Names, defaults and ForceNew as pulumi-aws `aws.dynamodb.Table`
(terraform-provider-aws `internal/service/dynamodb/table.go`). The key schema, throughput
and stream settings are built in code: the API shapes them differently from the inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.aws.values import known
from orchestrator.engines.local.providers.base import ProviderError

_BILLING_MODES = ("PROVISIONED", "PAY_PER_REQUEST")
_ENABLED = (("ENABLED", True), ("DISABLED", False))


class TableCode(DeclaredResource):
    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if news["billingMode"] == "PROVISIONED":
            for key in ("readCapacity", "writeCapacity"):
                if news.get(key) is None:
                    raise ProviderError(
                        f"{self.type_token} {name}: `{key}` is required when billingMode is PROVISIONED"
                    )
        return news

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {
            "KeySchema": _key_schema(inputs),
            "AttributeDefinitions": _attribute_definitions(inputs),
            "BillingMode": inputs["billingMode"],
        }
        if inputs["billingMode"] == "PROVISIONED":
            args["ProvisionedThroughput"] = _throughput(inputs)
        if inputs.get("streamEnabled"):
            args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": inputs.get("streamViewType")}
        return args

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        if inputs.get("ttl"):
            _set_ttl(self.client(inputs), id, inputs["ttl"])

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        keys = {k["KeyType"]: k["AttributeName"] for k in doc.get("KeySchema", [])}
        for prop, key_type in (("hashKey", "HASH"), ("rangeKey", "RANGE")):
            if keys.get(key_type):
                outputs[prop] = keys[key_type]
            else:
                outputs.pop(prop, None)
        if not outputs.get("streamEnabled"):
            outputs.pop("streamViewType", None)
        return outputs

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        ddb = self.client(news)
        table_args = _table_changes(old_inputs, news)
        if table_args:
            ddb.update_table(TableName=id, **table_args)
            ddb.get_waiter("table_exists").wait(TableName=id, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        if news.get("ttl") != old_inputs.get("ttl"):
            old_name = (old_inputs.get("ttl") or {}).get("attributeName", "")
            _set_ttl(ddb, id, news.get("ttl") or {"attributeName": old_name, "enabled": False})


def _key_schema(inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    schema = [{"AttributeName": str(inputs["hashKey"]), "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        schema.append({"AttributeName": str(inputs["rangeKey"]), "KeyType": "RANGE"})
    return schema


def _attribute_definitions(inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs.get("attributes") or []]


def _throughput(inputs: Mapping[str, Any]) -> dict[str, int]:
    return {
        "ReadCapacityUnits": int(inputs.get("readCapacity") or 0),
        "WriteCapacityUnits": int(inputs.get("writeCapacity") or 0),
    }


def _set_ttl(ddb: Any, table: str, ttl: Mapping[str, Any]) -> None:
    if not ttl.get("attributeName"):
        return
    ddb.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"AttributeName": ttl["attributeName"], "Enabled": bool(ttl.get("enabled"))},
    )


def _table_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateTable arguments for what changed (billing, throughput, attributes, stream,
    deletion protection, table class)."""
    args: dict[str, Any] = {}
    capacity_changed = any(old.get(k) != new.get(k) for k in ("readCapacity", "writeCapacity"))
    if old.get("billingMode") != new.get("billingMode") or (
        capacity_changed and new.get("billingMode") == "PROVISIONED"
    ):
        args["BillingMode"] = new["billingMode"]
        if new["billingMode"] == "PROVISIONED":
            args["ProvisionedThroughput"] = _throughput(new)
    if old.get("attributes") != new.get("attributes"):
        args["AttributeDefinitions"] = _attribute_definitions(new)
    if bool(old.get("streamEnabled")) != bool(new.get("streamEnabled")) or (
        new.get("streamEnabled") and old.get("streamViewType") != new.get("streamViewType")
    ):
        spec: dict[str, Any] = {"StreamEnabled": bool(new.get("streamEnabled"))}
        if new.get("streamEnabled"):
            spec["StreamViewType"] = new.get("streamViewType")
        args["StreamSpecification"] = spec
    if bool(old.get("deletionProtectionEnabled")) != bool(new.get("deletionProtectionEnabled")):
        args["DeletionProtectionEnabled"] = bool(new.get("deletionProtectionEnabled"))
    if known(new.get("tableClass")) and old.get("tableClass") != new.get("tableClass"):
        args["TableClass"] = new["tableClass"]
    return args


TABLE = AwsType(
    token="aws:dynamodb/table:Table",
    client="dynamodb",
    naming=Naming(prefix=None, charset="A-Za-z0-9_.-", pattern=r"[A-Za-z0-9_.-]{3,255}",
                  rule="3-255 letters, digits, `_`, `-` and `.`"),
    props=(
        Prop("name", api="TableName", read="TableName", replace=True),
        Prop("billingMode", read="BillingModeSummary.BillingMode", default="PROVISIONED", choices=_BILLING_MODES),
        Prop("hashKey", required=True, replace=True, read=""),
        Prop("rangeKey", replace=True, read=""),
        Prop("attributes", kind="list", read="AttributeDefinitions", set_key="name", props=(
            Prop("name", read="AttributeName"),
            Prop("type", read="AttributeType"),
        )),
        Prop("readCapacity", kind="int", read="ProvisionedThroughput.ReadCapacityUnits"),
        Prop("writeCapacity", kind="int", read="ProvisionedThroughput.WriteCapacityUnits"),
        Prop("pointInTimeRecovery", kind="object", api="PointInTimeRecoverySpecification", on_create=False,
             read="backups.PointInTimeRecoveryDescription", props=(
                 Prop("enabled", kind="bool", api="PointInTimeRecoveryEnabled", read="PointInTimeRecoveryStatus",
                      values=_ENABLED, default=False),
             )),
        Prop("streamEnabled", kind="bool", read="StreamSpecification.StreamEnabled", default=False),
        Prop("streamViewType", read="StreamSpecification.StreamViewType"),
        Prop("ttl", kind="object", read="ttl", props=(
            Prop("attributeName", read="AttributeName", default=""),
            Prop("enabled", kind="bool", read="TimeToLiveStatus", values=_ENABLED, default=False),
        )),
        Prop("deletionProtectionEnabled", kind="bool", api="DeletionProtectionEnabled", default=False),
        Prop("tableClass", api="TableClass", read="TableClassSummary.TableClass", default="STANDARD"),
        Prop("arn", read="TableArn", output=True),
        Prop("streamArn", read="LatestStreamArn", output=True),
        Prop("streamLabel", read="LatestStreamLabel", output=True),
    ),
    create=Call("create_table", waiter="table_exists", waiter_args={"TableName": "{id}"}),
    read=(
        Call("describe_table", {"TableName": "{id}"}, result="Table", absent=("ResourceNotFoundException",)),
        Call("describe_continuous_backups", {"TableName": "{id}"}, result="ContinuousBackupsDescription",
             into="backups"),
        Call("describe_time_to_live", {"TableName": "{id}"}, result="TimeToLiveDescription", into="ttl"),
    ),
    updates=(
        Update(Call("update_continuous_backups", {"TableName": "{id}"}), props=("pointInTimeRecovery",)),
    ),
    delete=Call("delete_table", {"TableName": "{id}"}, absent=("ResourceNotFoundException",)),
    tagging=Tagging(
        read=Call("list_tags_of_resource", {"ResourceArn": "{doc.TableArn}"}, result="Tags"),
        tag=Call("tag_resource", {"ResourceArn": "{outputs.arn}", "Tags": "{tags}"}),
        untag=Call("untag_resource", {"ResourceArn": "{outputs.arn}", "TagKeys": "{keys}"}),
    ),
    impl=TableCode,
)

TYPES = (TABLE,)
