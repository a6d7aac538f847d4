"""CloudWatch: log groups, log streams and metric filters here; EventBridge rules, targets and
buses and metric alarms in `_cloudwatch_events.py` (pulumi-aws keeps them all in `cloudwatch`).
Names, defaults and ForceNew as pulumi-aws `aws.cloudwatch.LogGroup`, `LogStream`,
`LogMetricFilter` (terraform-provider-aws `internal/service/logs/group.go`, `stream.go`,
`metric_filter.go`).

CloudWatch Logs finds objects by name prefix only: each read picks the exact name out of the
list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services import _cloudwatch_events
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging

_GONE = ("ResourceNotFoundException",)
_GROUP_ARN = "arn:{partition}:logs:{region}:{account}:log-group:{id}"


def _exact(items: list[dict[str, Any]], key: str, name: Any) -> dict[str, Any] | None:
    return next((item for item in items if item.get(key) == name), None)


# ---------------------------------------------------------------------- LogGroup


class LogGroupCode(DeclaredResource):
    """Retention 0 means "never expire" (no retention policy); `skipDestroy` leaves the group."""

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        pages = self.client(inputs).get_paginator("describe_log_groups").paginate(logGroupNamePrefix=id)
        return _exact([g for page in pages for g in page["logGroups"]], "logGroupName", id)

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        if inputs.get("retentionInDays"):
            self.client(inputs).put_retention_policy(logGroupName=id, retentionInDays=int(inputs["retentionInDays"]))

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        logs = self.client(news)
        if news.get("retentionInDays") != old_inputs.get("retentionInDays"):
            if news.get("retentionInDays"):
                logs.put_retention_policy(logGroupName=id, retentionInDays=int(news["retentionInDays"]))
            else:
                logs.delete_retention_policy(logGroupName=id)
        if news.get("kmsKeyId") != old_inputs.get("kmsKeyId"):
            if news.get("kmsKeyId"):
                logs.associate_kms_key(logGroupName=id, kmsKeyId=news["kmsKeyId"])
            else:
                logs.disassociate_kms_key(logGroupName=id)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        if not inputs.get("skipDestroy"):
            with self.errors(id), missing(*_GONE):
                self.client(inputs).delete_log_group(logGroupName=id)


LOG_GROUP = AwsType(
    token="aws:cloudwatch/logGroup:LogGroup",
    client="logs",
    naming=Naming(max_len=512, charset=r"\w.#/-", pattern=r"[\w.#/-]{1,512}",
                  rule="up to 512 letters, digits and _-/.#"),
    props=(
        Prop("name", api="logGroupName", read="logGroupName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("retentionInDays", read="retentionInDays", kind="int", default=0),
        Prop("kmsKeyId", api="kmsKeyId", read="kmsKeyId"),
        Prop("logGroupClass", api="logGroupClass", read="logGroupClass", computed=True, replace=True,
             choices=("STANDARD", "INFREQUENT_ACCESS", "DELIVERY")),
        Prop("skipDestroy", kind="bool", default=False),
        Prop("arn", template=_GROUP_ARN),
    ),
    create=Call("create_log_group"),
    read=(),
    delete=None,
    tagging=Tagging(
        form="map",
        on_create="tags",
        read=Call("list_tags_log_group", {"logGroupName": "{id}"}, result="tags"),
        tag=Call("tag_log_group", {"logGroupName": "{id}", "tags": "{tags}"}),
        untag=Call("untag_log_group", {"logGroupName": "{id}", "tags": "{keys}"}),
    ),
    impl=LogGroupCode,
)


# ---------------------------------------------------------------------- LogStream


class LogStreamCode(DeclaredResource):
    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        with missing(*_GONE) as probe:
            found = self.client(inputs).describe_log_streams(logGroupName=inputs["logGroupName"],
                                                             logStreamNamePrefix=id)["logStreams"]
        return None if probe.gone else _exact(found, "logStreamName", id)


LOG_STREAM = AwsType(
    token="aws:cloudwatch/logStream:LogStream",
    client="logs",
    naming=Naming(max_len=512, prefix=None, charset=r"\w.#/-", pattern=r"[^:*]{1,512}",
                  rule="up to 512 characters other than : and *"),
    props=(
        Prop("name", api="logStreamName", read="logStreamName", replace=True),
        Prop("logGroupName", api="logGroupName", read="", required=True, replace=True),
        Prop("arn", template="arn:{partition}:logs:{region}:{account}:log-group:{inputs.logGroupName}:log-stream:{id}"),
    ),
    create=Call("create_log_stream"),
    read=(),
    delete=Call("delete_log_stream", {"logGroupName": "{inputs.logGroupName}", "logStreamName": "{id}"},
                absent=_GONE),
    impl=LogStreamCode,
)


# ---------------------------------------------------------------------- LogMetricFilter


class LogMetricFilterCode(DeclaredResource):
    """One metric transformation in a list of one (`metricTransformations[0]`)."""

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        with missing(*_GONE) as probe:
            found = self.client(inputs).describe_metric_filters(logGroupName=inputs["logGroupName"],
                                                                filterNamePrefix=id)["metricFilters"]
        item = None if probe.gone else _exact(found, "filterName", id)
        if item is not None:
            item["transformation"] = dict((item.get("metricTransformations") or [{}])[0])
            if item["transformation"].get("defaultValue") is not None:
                item["transformation"]["defaultValue"] = _number_text(item["transformation"]["defaultValue"])
        return item

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"metricTransformations": [_transformation(inputs["metricTransformation"])]}

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        logs = self.client(news)
        logs.put_metric_filter(
            filterName=id, logGroupName=news["logGroupName"], filterPattern=news.get("pattern") or "",
            metricTransformations=[_transformation(news["metricTransformation"])])
        # AWS replaces a filter put again under its name; moto keeps both and deletes the
        # older one first. Only there does this loop run.
        while len(self._named(logs, id, news["logGroupName"])) > 1:
            logs.delete_metric_filter(filterName=id, logGroupName=news["logGroupName"])

    @staticmethod
    def _named(logs: Any, name: str, group: str) -> list[dict[str, Any]]:
        found = logs.describe_metric_filters(logGroupName=group, filterNamePrefix=name)["metricFilters"]
        return [f for f in found if f.get("filterName") == name]


def _transformation(block: Mapping[str, Any]) -> dict[str, Any]:
    out = {"metricName": block["name"], "metricNamespace": block["namespace"], "metricValue": block["value"]}
    if block.get("defaultValue") not in (None, ""):
        out["defaultValue"] = float(block["defaultValue"])
    if block.get("unit"):
        out["unit"] = block["unit"]
    if block.get("dimensions"):
        out["dimensions"] = dict(block["dimensions"])
    return out


def _number_text(value: Any) -> str:
    """pulumi-aws keeps `defaultValue` as text; AWS answers a number."""
    return f"{value:g}" if isinstance(value, float) else str(value)


LOG_METRIC_FILTER = AwsType(
    token="aws:cloudwatch/logMetricFilter:LogMetricFilter",
    client="logs",
    naming=Naming(max_len=512, prefix=None, charset=r"\w.#/ -", pattern=r"[^:*]{1,512}",
                  rule="up to 512 characters other than : and *"),
    props=(
        Prop("name", api="filterName", read="filterName", replace=True),
        Prop("logGroupName", api="logGroupName", read="logGroupName", required=True, replace=True),
        Prop("pattern", api="filterPattern", read="filterPattern", required=True),
        Prop("metricTransformation", read="transformation", kind="object", required=True, props=(
            Prop("name", read="metricName", required=True),
            Prop("namespace", read="metricNamespace", required=True),
            Prop("value", read="metricValue", required=True),
            Prop("defaultValue", read="defaultValue"),
            Prop("unit", read="unit", default="None"),
            Prop("dimensions", read="dimensions", kind="map"),
        )),
    ),
    create=Call("put_metric_filter"),
    read=(),
    delete=Call("delete_metric_filter", {"logGroupName": "{inputs.logGroupName}", "filterName": "{id}"},
                absent=_GONE),
    id="{inputs.name}",
    impl=LogMetricFilterCode,
)

TYPES = (LOG_GROUP, LOG_STREAM, LOG_METRIC_FILTER, *_cloudwatch_events.TYPES)
