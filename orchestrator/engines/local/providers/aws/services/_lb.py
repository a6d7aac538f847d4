"""The blocks ELBv2 listeners and rules share: actions (forward, redirect, fixed response)
and rule conditions, between pulumi-aws's form and the API's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.spec import Prop

ACTION = (
    Prop("type", api="Type", read="Type"),
    Prop("order", kind="int", api="Order", read="Order", computed=True),
    Prop("targetGroupArn", api="TargetGroupArn", read="TargetGroupArn", computed=True),
    Prop("forward", kind="object", api="ForwardConfig", read="ForwardConfig", computed=True, props=(
        Prop("targetGroups", kind="list", api="TargetGroups", read="TargetGroups", set_key="arn", props=(
            Prop("arn", api="TargetGroupArn", read="TargetGroupArn"),
            Prop("weight", kind="int", api="Weight", read="Weight"),
        )),
        Prop("stickiness", kind="object", api="TargetGroupStickinessConfig", read="TargetGroupStickinessConfig",
             props=(Prop("enabled", kind="bool", api="Enabled", read="Enabled"),
                    Prop("duration", kind="int", api="DurationSeconds", read="DurationSeconds"))),
    )),
    Prop("redirect", kind="object", api="RedirectConfig", read="RedirectConfig", props=(
        Prop("statusCode", api="StatusCode", read="StatusCode"),
        Prop("host", api="Host", read="Host", default="#{host}"),
        Prop("path", api="Path", read="Path", default="/#{path}"),
        Prop("port", api="Port", read="Port", default="#{port}"),
        Prop("protocol", api="Protocol", read="Protocol", default="#{protocol}"),
        Prop("query", api="Query", read="Query", default="#{query}"),
    )),
    Prop("fixedResponse", kind="object", api="FixedResponseConfig", read="FixedResponseConfig", props=(
        Prop("contentType", api="ContentType", read="ContentType"),
        Prop("messageBody", api="MessageBody", read="MessageBody"),
        Prop("statusCode", api="StatusCode", read="StatusCode", computed=True),
    )),
)

_VALUES = (Prop("values", kind="list"),)
CONDITION = (
    Prop("hostHeader", kind="object", props=_VALUES),
    Prop("pathPattern", kind="object", props=_VALUES),
    Prop("httpRequestMethod", kind="object", props=_VALUES),
    Prop("sourceIp", kind="object", props=_VALUES),
    Prop("httpHeader", kind="object", props=(Prop("httpHeaderName"), Prop("values", kind="list"))),
    Prop("queryStrings", kind="list", props=(Prop("key"), Prop("value"))),
)
# pulumi-aws block → (the API's Field, its config key)
_FIELDS = {
    "hostHeader": ("host-header", "HostHeaderConfig"), "pathPattern": ("path-pattern", "PathPatternConfig"),
    "httpRequestMethod": ("http-request-method", "HttpRequestMethodConfig"),
    "sourceIp": ("source-ip", "SourceIpConfig"), "httpHeader": ("http-header", "HttpHeaderConfig"),
    "queryStrings": ("query-string", "QueryStringConfig"),
}


def conditions_to_api(conditions: Any) -> list[dict[str, Any]]:
    found = []
    for condition in conditions or []:
        for name, (field, config) in _FIELDS.items():
            block = condition.get(name) if isinstance(condition, Mapping) else None
            if not block:
                continue
            if name == "queryStrings":
                body: dict[str, Any] = {"Values": [{"Key": q.get("key"), "Value": q.get("value")} for q in block]}
            elif name == "httpHeader":
                body = {"HttpHeaderName": block.get("httpHeaderName"), "Values": list(block.get("values") or [])}
            else:
                body = {"Values": list(block.get("values") or [])}
            found.append({"Field": field, config: body})
    return found


def conditions_from_api(conditions: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for condition in conditions:
        for name, (field, config) in _FIELDS.items():
            if condition.get("Field") != field:
                continue
            body = condition.get(config) or {"Values": condition.get("Values", [])}
            if name == "queryStrings":
                found.append({name: [{"key": v.get("Key"), "value": v.get("Value")} for v in body.get("Values", [])]})
            elif name == "httpHeader":
                found.append({name: {"httpHeaderName": body.get("HttpHeaderName"), "values": body.get("Values", [])}})
            else:
                found.append({name: {"values": list(body.get("Values", []))}})
    return found
