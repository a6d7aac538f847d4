"""Elastic Load Balancing v2: load balancers, target groups, listeners, listener rules and
target group attachments. Names, defaults and ForceNew as pulumi-aws `aws.lb`
(terraform-provider-aws `internal/service/elbv2/*.go`). Settings AWS keeps as attributes
(`deletion_protection.enabled`, `stickiness.enabled`, ...) are read and written as such."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.convert import block_from_api, block_to_api
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services._lb import (
    ACTION,
    CONDITION,
    conditions_from_api,
    conditions_to_api,
)
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.aws.values import get_path

_NAMING = Naming(max_len=32, charset="A-Za-z0-9-", pattern=r"[A-Za-z0-9-]{1,32}",
                 rule="up to 32 letters, digits and hyphens")
_TAGGING = Tagging(
    on_create="Tags",
    read=Call("describe_tags", {"ResourceArns": ["{id}"]}, result="TagDescriptions[0].Tags"),
    tag=Call("add_tags", {"ResourceArns": ["{id}"], "Tags": "{tags}"}),
    untag=Call("remove_tags", {"ResourceArns": ["{id}"], "TagKeys": "{keys}"}),
)


class AttributesCode(DeclaredResource):
    """Settings kept as AWS attributes: `ATTRIBUTES` maps an input path (`stickiness.enabled`)
    to its attribute key; live attributes are in the document under `attributes`, keyed with
    `/` for `.` (`attributes.stickiness/enabled`)."""

    ATTRIBUTES: tuple[tuple[str, str], ...] = ()
    DESCRIBE = ""
    MODIFY = ""
    ARN_KEY = ""

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        if doc is not None:
            found = getattr(self.client(inputs), self.DESCRIBE)(**{self.ARN_KEY: id}).get("Attributes", [])
            doc["attributes"] = {a["Key"].replace(".", "/"): a.get("Value") for a in found}
        return doc

    def _write_attributes(self, id: str, inputs: Mapping[str, Any], old: Mapping[str, Any]) -> None:
        changed = []
        for path, key in self.ATTRIBUTES:
            value = get_path(inputs, path)
            if value is not None and value != get_path(old, path):
                changed.append({"Key": key, "Value": str(value).lower() if isinstance(value, bool) else str(value)})
        if changed:
            getattr(self.client(inputs), self.MODIFY)(**{self.ARN_KEY: id}, Attributes=changed)

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        self._write_attributes(id, inputs, {})

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        self._write_attributes(id, news, old_inputs)


def _attribute(name: str, key: str, kind: Any = "bool") -> Prop:
    return Prop(name, kind=kind, read=f"attributes.{key.replace('.', '/')}", computed=True)


_LB_ATTRIBUTES = (
    ("enableDeletionProtection", "deletion_protection.enabled", "bool"),
    ("idleTimeout", "idle_timeout.timeout_seconds", "int"),
    ("enableHttp2", "routing.http2.enabled", "bool"),
    ("dropInvalidHeaderFields", "routing.http.drop_invalid_header_fields.enabled", "bool"),
    ("enableCrossZoneLoadBalancing", "load_balancing.cross_zone.enabled", "bool"),
)


class LoadBalancerCode(AttributesCode):
    """`internal` is the scheme; subnets and security groups change through their own calls."""

    ATTRIBUTES = tuple((name, key) for name, key, _ in _LB_ATTRIBUTES)
    DESCRIBE, MODIFY, ARN_KEY = "describe_load_balancer_attributes", "modify_load_balancer_attributes", \
        "LoadBalancerArn"

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"Scheme": "internal" if inputs.get("internal") else "internet-facing"}

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        outputs["subnets"] = sorted(z["SubnetId"] for z in doc.get("AvailabilityZones", []))
        outputs["securityGroups"] = sorted(doc.get("SecurityGroups", []))
        outputs["arnSuffix"] = str(outputs["id"]).split(":loadbalancer/", 1)[-1]
        return outputs

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        for key in ("subnets", "securityGroups"):
            if isinstance(news.get(key), list) and all(isinstance(v, str) for v in news[key]):
                news[key] = sorted(news[key])
        return news


LOAD_BALANCER = AwsType(
    token="aws:lb/loadBalancer:LoadBalancer",
    client="elbv2",
    naming=_NAMING,
    props=(
        Prop("name", api="Name", read="LoadBalancerName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("internal", kind="bool", read="Scheme", values=(("internal", True), ("internet-facing", False)),
             default=False, replace=True),
        Prop("loadBalancerType", api="Type", read="Type", default="application", replace=True,
             choices=("application", "network", "gateway")),
        Prop("securityGroups", api="SecurityGroups", kind="list", read="", computed=True),
        Prop("subnets", api="Subnets", kind="list", read="", computed=True),
        Prop("ipAddressType", api="IpAddressType", read="IpAddressType", computed=True),
        *(_attribute(name, key, kind) for name, key, kind in _LB_ATTRIBUTES),
        Prop("arn", read="LoadBalancerArn", output=True),
        Prop("arnSuffix", read="", output=True),
        Prop("dnsName", read="DNSName", output=True),
        Prop("zoneId", read="CanonicalHostedZoneId", output=True),
        Prop("vpcId", read="VpcId", output=True),
    ),
    create=Call("create_load_balancer", id="LoadBalancers[0].LoadBalancerArn", waiter="load_balancer_available",
                waiter_args={"LoadBalancerArns": ["{id}"]}),
    read=(Call("describe_load_balancers", {"LoadBalancerArns": ["{id}"]}, result="LoadBalancers[0]",
               absent=("LoadBalancerNotFound",)),),
    updates=(
        Update(Call("set_security_groups", {"LoadBalancerArn": "{id}"}), props=("securityGroups",)),
        Update(Call("set_subnets", {"LoadBalancerArn": "{id}"}), props=("subnets",)),
        Update(Call("set_ip_address_type", {"LoadBalancerArn": "{id}"}), props=("ipAddressType",)),
    ),
    delete=Call("delete_load_balancer", {"LoadBalancerArn": "{id}"}, absent=("LoadBalancerNotFound",),
                waiter="load_balancers_deleted", waiter_args={"LoadBalancerArns": ["{id}"]}),
    tagging=_TAGGING,
    impl=LoadBalancerCode,
)

_HEALTH_CHECK = (
    Prop("enabled", kind="bool", api="HealthCheckEnabled", default=True),
    Prop("path", api="HealthCheckPath"),
    Prop("port", api="HealthCheckPort", default="traffic-port"),
    Prop("protocol", api="HealthCheckProtocol", default="HTTP"),
    Prop("interval", kind="int", api="HealthCheckIntervalSeconds", default=30),
    Prop("timeout", kind="int", api="HealthCheckTimeoutSeconds"),
    Prop("healthyThreshold", kind="int", api="HealthyThresholdCount", default=3),
    Prop("unhealthyThreshold", kind="int", api="UnhealthyThresholdCount", default=3),
    Prop("matcher", api="Matcher.HttpCode"),
)
_STICKINESS = (
    Prop("enabled", kind="bool", read="stickiness/enabled"),
    Prop("type", read="stickiness/type"),
    Prop("cookieDuration", kind="int", read="stickiness/lb_cookie/duration_seconds"),
    Prop("cookieName", read="stickiness/app_cookie/cookie_name"),
)


class TargetGroupCode(AttributesCode):
    """The health check travels as top-level parameters of Create/ModifyTargetGroup."""

    ATTRIBUTES = (
        ("deregistrationDelay", "deregistration_delay.timeout_seconds"), ("slowStart", "slow_start.duration_seconds"),
        ("stickiness.enabled", "stickiness.enabled"), ("stickiness.type", "stickiness.type"),
        ("stickiness.cookieDuration", "stickiness.lb_cookie.duration_seconds"),
        ("stickiness.cookieName", "stickiness.app_cookie.cookie_name"),
    )
    DESCRIBE, MODIFY, ARN_KEY = "describe_target_group_attributes", "modify_target_group_attributes", \
        "TargetGroupArn"

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return block_to_api(_HEALTH_CHECK, inputs.get("healthCheck") or {})

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        if doc is not None:
            doc["healthCheck"] = block_from_api(_HEALTH_CHECK, doc, {})
        return doc

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        super().after_update(id, old_inputs, old_outputs, news)
        if news.get("healthCheck") != old_inputs.get("healthCheck") and news.get("healthCheck"):
            self.client(news).modify_target_group(TargetGroupArn=id, **block_to_api(_HEALTH_CHECK, news["healthCheck"]))

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        outputs["arnSuffix"] = "targetgroup/" + str(outputs["id"]).split(":targetgroup/", 1)[-1]
        return outputs


TARGET_GROUP = AwsType(
    token="aws:lb/targetGroup:TargetGroup",
    client="elbv2",
    naming=_NAMING,
    props=(
        Prop("name", api="Name", read="TargetGroupName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("port", kind="int", api="Port", read="Port", replace=True),
        Prop("protocol", api="Protocol", read="Protocol", replace=True),
        Prop("protocolVersion", api="ProtocolVersion", read="ProtocolVersion", replace=True, computed=True),
        Prop("vpcId", api="VpcId", read="VpcId", replace=True),
        Prop("targetType", api="TargetType", read="TargetType", default="instance", replace=True,
             choices=("instance", "ip", "lambda", "alb")),
        Prop("ipAddressType", api="IpAddressType", read="IpAddressType", replace=True, computed=True),
        Prop("healthCheck", kind="object", read="healthCheck", computed=True, props=_HEALTH_CHECK),
        _attribute("deregistrationDelay", "deregistration_delay.timeout_seconds", "int"),
        _attribute("slowStart", "slow_start.duration_seconds", "int"),
        Prop("stickiness", kind="object", read="attributes", computed=True, props=_STICKINESS),
        Prop("arn", read="TargetGroupArn", output=True),
        Prop("arnSuffix", read="", output=True),
        Prop("loadBalancerArns", kind="list", read="LoadBalancerArns", output=True),
    ),
    create=Call("create_target_group", id="TargetGroups[0].TargetGroupArn"),
    read=(Call("describe_target_groups", {"TargetGroupArns": ["{id}"]}, result="TargetGroups[0]",
               absent=("TargetGroupNotFound",)),),
    delete=Call("delete_target_group", {"TargetGroupArn": "{id}"}, absent=("TargetGroupNotFound",)),
    tagging=_TAGGING,
    impl=TargetGroupCode,
)


class ListenerCode(DeclaredResource):
    """A certificate travels as a one-item `Certificates` list; a protocol left out follows the
    load balancer (HTTP for an application one, TCP for a network one)."""

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        arn = inputs.get("certificateArn")
        args: dict[str, Any] = {"Certificates": [{"CertificateArn": arn}]} if arn else {}
        if not inputs.get("protocol"):
            # Left out, the protocol follows the load balancer's kind, as terraform-provider-aws sets it.
            balancer = str(inputs.get("loadBalancerArn"))
            args["Protocol"] = "HTTP" if ":loadbalancer/app/" in balancer else (
                "TCP" if ":loadbalancer/net/" in balancer else None)
        return args

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        if news.get("certificateArn") != old_inputs.get("certificateArn") and news.get("certificateArn"):
            self.client(news).modify_listener(ListenerArn=id, Certificates=[{"CertificateArn": news["certificateArn"]}])


LISTENER = AwsType(
    token="aws:lb/listener:Listener",
    client="elbv2",
    props=(
        Prop("loadBalancerArn", api="LoadBalancerArn", read="LoadBalancerArn", required=True, replace=True),
        Prop("port", kind="int", api="Port", read="Port"),
        Prop("protocol", api="Protocol", read="Protocol", computed=True),
        Prop("sslPolicy", api="SslPolicy", read="SslPolicy", computed=True),
        Prop("certificateArn", read="Certificates[0].CertificateArn"),
        Prop("defaultActions", kind="list", api="DefaultActions", read="DefaultActions", required=True,
             props=ACTION),
        Prop("arn", read="ListenerArn", output=True),
    ),
    create=Call("create_listener", id="Listeners[0].ListenerArn"),
    read=(Call("describe_listeners", {"ListenerArns": ["{id}"]}, result="Listeners[0]",
               absent=("ListenerNotFound",)),),
    updates=(Update(Call("modify_listener", {"ListenerArn": "{id}"}),
                    props=("port", "protocol", "sslPolicy", "defaultActions"), changed_only=True),),
    delete=Call("delete_listener", {"ListenerArn": "{id}"}, absent=("ListenerNotFound",)),
    tagging=_TAGGING,
    impl=ListenerCode,
)


class ListenerRuleCode(DeclaredResource):
    """Conditions travel in AWS's `Field` + config form; the priority changes through its
    own call."""

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"Conditions": conditions_to_api(inputs.get("conditions"))}

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        elbv2 = self.client(news)
        if news.get("conditions") != old_inputs.get("conditions"):
            elbv2.modify_rule(RuleArn=id, Conditions=conditions_to_api(news.get("conditions")))
        if news.get("priority") is not None and news.get("priority") != old_inputs.get("priority"):
            elbv2.set_rule_priorities(RulePriorities=[{"RuleArn": id, "Priority": int(news["priority"])}])

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        if doc is not None:
            doc["conditions"] = conditions_from_api(doc.get("Conditions", []))
            doc["Priority"] = None if doc.get("Priority") == "default" else doc.get("Priority")
        return doc


LISTENER_RULE = AwsType(
    token="aws:lb/listenerRule:ListenerRule",
    client="elbv2",
    props=(
        Prop("listenerArn", api="ListenerArn", read="", required=True, replace=True),
        Prop("priority", kind="int", api="Priority", read="Priority", computed=True),  # set_rule_priorities
        Prop("actions", kind="list", api="Actions", read="Actions", required=True, props=ACTION),
        Prop("conditions", kind="list", read="conditions", required=True, props=CONDITION),
        Prop("arn", read="RuleArn", output=True),
    ),
    create=Call("create_rule", id="Rules[0].RuleArn"),
    read=(Call("describe_rules", {"RuleArns": ["{id}"]}, result="Rules[0]", absent=("RuleNotFound",)),),
    updates=(Update(Call("modify_rule", {"RuleArn": "{id}"}), props=("actions",)),),
    delete=Call("delete_rule", {"RuleArn": "{id}"}, absent=("RuleNotFound",)),
    tagging=_TAGGING,
    impl=ListenerRuleCode,
)


class TargetGroupAttachmentCode(DeclaredResource):
    """Registered while the target group lists it; gone once it is deregistered."""

    def _target(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        target: dict[str, Any] = {"Id": inputs["targetId"]}
        if inputs.get("port") is not None:
            target["Port"] = int(inputs["port"])
        if inputs.get("availabilityZone"):
            target["AvailabilityZone"] = inputs["availabilityZone"]
        return target

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"Targets": [self._target(inputs)]}

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        with missing("TargetGroupNotFound", "InvalidTarget") as probe:
            found = self.client(inputs).describe_target_health(
                TargetGroupArn=inputs["targetGroupArn"], Targets=[self._target(inputs)])
        health = [] if probe.gone else found.get("TargetHealthDescriptions", [])
        if not health or health[0].get("TargetHealth", {}).get("Reason") == "Target.NotRegistered":
            return None
        return dict(health[0])

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        with self.errors(id, inputs), missing("TargetGroupNotFound", "InvalidTarget"):
            self.client(inputs).deregister_targets(TargetGroupArn=inputs["targetGroupArn"],
                                                   Targets=[self._target(inputs)])


TARGET_GROUP_ATTACHMENT = AwsType(
    token="aws:lb/targetGroupAttachment:TargetGroupAttachment",
    client="elbv2",
    props=(
        Prop("targetGroupArn", api="TargetGroupArn", read="", required=True, replace=True),
        Prop("targetId", read="Target.Id", required=True, replace=True),
        Prop("port", kind="int", read="Target.Port", replace=True, computed=True),
        Prop("availabilityZone", read="Target.AvailabilityZone", replace=True, computed=True),
    ),
    create=Call("register_targets", send=("targetGroupArn",)),
    read=(),
    delete=None,
    id="{inputs.targetGroupArn}-{inputs.targetId}",
    impl=TargetGroupAttachmentCode,
)

TYPES = (LOAD_BALANCER, TARGET_GROUP, LISTENER, LISTENER_RULE, TARGET_GROUP_ATTACHMENT)
