"""EventBridge rules, targets and buses, and CloudWatch metric alarms. Names, defaults and
ForceNew as pulumi-aws `aws.cloudwatch.EventRule`, `EventTarget`, `EventBus`, `MetricAlarm`
(terraform-provider-aws `internal/service/events/rule.go`, `target.go`, `bus.go`,
`internal/service/cloudwatch/metric_alarm.go`).

`PutRule`, `PutTargets` and `PutMetricAlarm` both create and update (`put_again.py`). A helper
module of `cloudwatch.py` (its leading underscore keeps the catalog from listing it twice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.naming import unique_id
from orchestrator.engines.local.providers.aws.put_again import PutAgain
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.base import ProviderError

_GONE = ("ResourceNotFoundException",)


def _tagging(arn: str, read_arn: str | None = None) -> Tagging:
    return Tagging(
        read=Call("list_tags_for_resource", {"ResourceARN": read_arn or arn}, result="Tags"),
        tag=Call("tag_resource", {"ResourceARN": arn, "Tags": "{tags}"}),
        untag=Call("untag_resource", {"ResourceARN": arn, "TagKeys": "{keys}"}),
    )


# ---------------------------------------------------------------------- EventRule


class EventRuleCode(PutAgain):
    """`state` wins over the deprecated `isEnabled`; a rule is enabled unless told otherwise."""

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if inputs.get("state"):
            return {"State": inputs["state"]}
        return {"State": "DISABLED" if inputs.get("isEnabled") is False else "ENABLED"}

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if not news.get("scheduleExpression") and not news.get("eventPattern"):
            raise ProviderError(f"{self.type_token} {name}: give `scheduleExpression` or `eventPattern`")
        return news


_RULE = {"Name": "{id}", "EventBusName": "{inputs.eventBusName}"}

EVENT_RULE = AwsType(
    token="aws:cloudwatch/eventRule:EventRule",
    client="events",
    naming=Naming(max_len=64, charset=r"\w.-", pattern=r"[\w.-]{1,64}", rule="up to 64 letters, digits and _-."),
    props=(
        Prop("name", api="Name", read="Name", replace=True),
        Prop("namePrefix", replace=True),
        Prop("eventBusName", api="EventBusName", read="EventBusName", default="default", replace=True),
        Prop("scheduleExpression", api="ScheduleExpression", read="ScheduleExpression"),
        Prop("eventPattern", api="EventPattern", read="EventPattern", kind="json"),
        Prop("description", api="Description", read="Description"),
        Prop("roleArn", api="RoleArn", read="RoleArn"),
        Prop("state", read="State", computed=True, choices=("ENABLED", "DISABLED",
                                                            "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")),
        Prop("isEnabled", read="", kind="bool"),
        Prop("forceDestroy", kind="bool", default=False),
        Prop("arn", read="Arn", output=True),
    ),
    create=Call("put_rule"),
    read=(Call("describe_rule", _RULE, absent=_GONE),),
    delete=Call("delete_rule", {**_RULE, "Force": "{inputs.forceDestroy}"}, absent=_GONE),
    tagging=_tagging("{outputs.arn}", read_arn="{doc.Arn}"),
    impl=EventRuleCode,
)


# ---------------------------------------------------------------------- EventTarget


class EventTargetCode(PutAgain):
    """One target of a rule, written and read through the rule's target list. Without a
    `targetId` one is made as pulumi-aws does (`terraform-<unique id>`)."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if not news.get("targetId"):
            news["targetId"] = olds.get("targetId") or unique_id("terraform-")
        return news

    def request(self, id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        target = super().request(id, inputs)
        return {"Rule": target.pop("Rule"), "EventBusName": target.pop("EventBusName"), "Targets": [target]}

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        id_ = f"{inputs['rule']}-{inputs['targetId']}"
        with self.errors(id_, inputs):
            answer = self.client(inputs).put_targets(**self.request(id_, inputs))
        if answer.get("FailedEntryCount"):
            failed = answer["FailedEntries"][0]
            raise ProviderError(f"{self.type_token} {id_}: {failed.get('ErrorCode')}: {failed.get('ErrorMessage')}")
        return id_, self.described(id_, inputs)

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        with missing(*_GONE) as probe:
            pages = self.client(inputs).get_paginator("list_targets_by_rule").paginate(
                Rule=inputs["rule"], EventBusName=inputs["eventBusName"])
            targets = [t for page in pages for t in page["Targets"]]
        if probe.gone:
            return None
        return next((t for t in targets if t.get("Id") == inputs["targetId"]), None)


EVENT_TARGET = AwsType(
    token="aws:cloudwatch/eventTarget:EventTarget",
    client="events",
    props=(
        Prop("rule", api="Rule", read="", required=True, replace=True),
        Prop("eventBusName", api="EventBusName", read="", default="default", replace=True),
        Prop("targetId", api="Id", read="Id", replace=True),
        Prop("arn", api="Arn", read="Arn", required=True),
        Prop("input", api="Input", read="Input"),
        Prop("inputPath", api="InputPath", read="InputPath"),
        Prop("roleArn", api="RoleArn", read="RoleArn"),
        Prop("inputTransformer", api="InputTransformer", read="InputTransformer", kind="object", props=(
            Prop("inputPaths", api="InputPathsMap", read="InputPathsMap", kind="map"),
            Prop("inputTemplate", api="InputTemplate", read="InputTemplate"),
        )),
        Prop("retryPolicy", api="RetryPolicy", read="RetryPolicy", kind="object", props=(
            Prop("maximumEventAgeInSeconds", api="MaximumEventAgeInSeconds", kind="int"),
            Prop("maximumRetryAttempts", api="MaximumRetryAttempts", kind="int"),
        )),
        Prop("deadLetterConfig", api="DeadLetterConfig", read="DeadLetterConfig", kind="object",
             props=(Prop("arn", api="Arn"),)),
        Prop("sqsTarget", api="SqsParameters", read="SqsParameters", kind="object",
             props=(Prop("messageGroupId", api="MessageGroupId"),)),
        Prop("forceDestroy", kind="bool", default=False),
    ),
    create=Call("put_targets"),
    read=(),
    delete=Call("remove_targets", {"Rule": "{inputs.rule}", "EventBusName": "{inputs.eventBusName}",
                                   "Ids": ["{inputs.targetId}"], "Force": "{inputs.forceDestroy}"}, absent=_GONE),
    impl=EventTargetCode,
)


# ---------------------------------------------------------------------- EventBus

EVENT_BUS = AwsType(
    token="aws:cloudwatch/eventBus:EventBus",
    client="events",
    naming=Naming(max_len=256, prefix=None, charset=r"\w.-", pattern=r"[\w.-]{1,256}",
                  rule="up to 256 letters, digits and _-."),
    props=(
        Prop("name", api="Name", read="Name", replace=True),
        Prop("eventSourceName", api="EventSourceName", read="", replace=True),
        Prop("description", api="Description", read="Description"),
        Prop("arn", read="Arn", output=True),
    ),
    create=Call("create_event_bus"),
    read=(Call("describe_event_bus", {"Name": "{id}"}, absent=_GONE),),
    updates=(Update(Call("update_event_bus", {"Name": "{id}"}), props=("description",)),),
    delete=Call("delete_event_bus", {"Name": "{id}"}, absent=_GONE),
    tagging=_tagging("arn:{partition}:events:{region}:{account}:event-bus/{id}"),
    id="{inputs.name}",
)


# ---------------------------------------------------------------------- MetricAlarm


class MetricAlarmCode(PutAgain):
    """Dimensions are a map in pulumi-aws and a list of {Name, Value} in the API."""

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        dimensions = inputs.get("dimensions") or {}
        return {"Dimensions": [{"Name": k, "Value": str(v)} for k, v in sorted(dimensions.items())]}

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        found = self.client(inputs).describe_alarms(AlarmNames=[id], AlarmTypes=["MetricAlarm"])["MetricAlarms"]
        if not found:
            return None
        alarm = dict(found[0])
        alarm["dimensionMap"] = {d["Name"]: d["Value"] for d in alarm.get("Dimensions") or ()} or None
        return alarm


def _actions(name: str, api: str) -> Prop:
    return Prop(name, api=api, read=api, kind="list", reset=[])


METRIC_ALARM = AwsType(
    token="aws:cloudwatch/metricAlarm:MetricAlarm",
    client="cloudwatch",
    naming=Naming(max_len=255, prefix=None, charset=r"\w.#/: -", pattern=r".{1,255}", rule="up to 255 characters"),
    props=(
        Prop("name", api="AlarmName", read="AlarmName", replace=True),
        Prop("comparisonOperator", api="ComparisonOperator", read="ComparisonOperator", required=True),
        Prop("evaluationPeriods", api="EvaluationPeriods", read="EvaluationPeriods", kind="int", required=True),
        Prop("metricName", api="MetricName", read="MetricName"),
        Prop("namespace", api="Namespace", read="Namespace"),
        Prop("period", api="Period", read="Period", kind="int"),
        Prop("statistic", api="Statistic", read="Statistic"),
        Prop("extendedStatistic", api="ExtendedStatistic", read="ExtendedStatistic"),
        Prop("threshold", api="Threshold", read="Threshold", kind="float"),
        Prop("thresholdMetricId", api="ThresholdMetricId", read="ThresholdMetricId"),
        Prop("unit", api="Unit", read="Unit"),
        Prop("dimensions", read="dimensionMap", kind="map"),
        Prop("alarmDescription", api="AlarmDescription", read="AlarmDescription"),
        Prop("actionsEnabled", api="ActionsEnabled", read="ActionsEnabled", kind="bool", default=True),
        _actions("alarmActions", "AlarmActions"),
        _actions("okActions", "OKActions"),
        _actions("insufficientDataActions", "InsufficientDataActions"),
        Prop("datapointsToAlarm", api="DatapointsToAlarm", read="DatapointsToAlarm", kind="int"),
        Prop("treatMissingData", api="TreatMissingData", read="TreatMissingData", default="missing"),
        Prop("evaluateLowSampleCountPercentiles", api="EvaluateLowSampleCountPercentile",
             read="EvaluateLowSampleCountPercentile", computed=True),
        Prop("arn", read="AlarmArn", output=True),
    ),
    create=Call("put_metric_alarm"),
    read=(),
    delete=Call("delete_alarms", {"AlarmNames": ["{id}"]}),
    tagging=_tagging("arn:{partition}:cloudwatch:{region}:{account}:alarm:{id}"),
    impl=MetricAlarmCode,
)

TYPES = (EVENT_RULE, EVENT_TARGET, EVENT_BUS, METRIC_ALARM)
