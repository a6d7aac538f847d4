"""EC2 Auto Scaling: groups. Names, defaults and ForceNew as pulumi-aws `aws.autoscaling.Group`
(terraform-provider-aws `internal/service/autoscaling/group.go`). Tags are the group's own
list (`key`, `value`, `propagateAtLaunch`), not a map, so provider default tags do not apply.
Deleting a group force-deletes it (its instances are terminated with it) and waits until it
is gone."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Update

_SORTED = ("availabilityZones", "vpcZoneIdentifiers", "targetGroupArns", "loadBalancers")
_DELETE_TIMEOUT_S = 600


def _api_tags(group: str, tags: Any) -> list[dict[str, Any]]:
    return [{"ResourceId": group, "ResourceType": "auto-scaling-group", "Key": t["key"], "Value": t.get("value", ""),
             "PropagateAtLaunch": bool(t.get("propagateAtLaunch"))} for t in tags or []]


class GroupCode(DeclaredResource):
    """Subnets travel as one comma-separated string; target groups and tags change through
    their own calls."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        for key in _SORTED:
            if isinstance(news.get(key), list) and all(isinstance(v, str) for v in news[key]):
                news[key] = sorted(news[key])
        if isinstance(news.get("tags"), list) and all(isinstance(t, Mapping) for t in news["tags"]):
            news["tags"] = sorted(({**t, "propagateAtLaunch": bool(t.get("propagateAtLaunch"))} for t in news["tags"]),
                                  key=lambda t: str(t.get("key")))
        return news

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {"Tags": _api_tags(str(inputs["name"]), inputs.get("tags")) or None,
                                # pulumi-aws's default grace period (300 s), not the API's (0)
                                "HealthCheckGracePeriod": int(inputs.get("healthCheckGracePeriod") or 0)}
        if inputs.get("vpcZoneIdentifiers"):
            args["VPCZoneIdentifier"] = ",".join(inputs["vpcZoneIdentifiers"])
        return args

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        if doc is None:
            return None
        doc["subnets"] = sorted(s for s in str(doc.get("VPCZoneIdentifier") or "").split(",") if s)
        doc["tagList"] = sorted(({"key": t["Key"], "value": t.get("Value", ""),
                                  "propagateAtLaunch": bool(t.get("PropagateAtLaunch"))} for t in doc.get("Tags", [])),
                                key=lambda t: t["key"])
        for key in ("AvailabilityZones", "TargetGroupARNs", "LoadBalancerNames"):
            doc[key] = sorted(doc.get(key) or [])
        return doc

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        autoscaling = self.client(news)
        if news.get("vpcZoneIdentifiers") != old_inputs.get("vpcZoneIdentifiers") and news.get("vpcZoneIdentifiers"):
            autoscaling.update_auto_scaling_group(AutoScalingGroupName=id,
                                                  VPCZoneIdentifier=",".join(news["vpcZoneIdentifiers"]))
        old, new = set(old_inputs.get("targetGroupArns") or []), set(news.get("targetGroupArns") or [])
        if new - old:
            autoscaling.attach_load_balancer_target_groups(AutoScalingGroupName=id, TargetGroupARNs=sorted(new - old))
        if old - new and news.get("targetGroupArns") is not None:
            autoscaling.detach_load_balancer_target_groups(AutoScalingGroupName=id, TargetGroupARNs=sorted(old - new))
        if news.get("tags") != old_inputs.get("tags"):
            gone = {t["key"] for t in old_inputs.get("tags") or []} - {t["key"] for t in news.get("tags") or []}
            if gone:
                autoscaling.delete_tags(Tags=[{"ResourceId": id, "ResourceType": "auto-scaling-group", "Key": k}
                                              for k in sorted(gone)])
            if news.get("tags"):
                autoscaling.create_or_update_tags(Tags=_api_tags(id, news["tags"]))

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        autoscaling = self.client(inputs)
        with self.errors(id, inputs):
            with missing("ValidationError") as probe:
                autoscaling.delete_auto_scaling_group(AutoScalingGroupName=id, ForceDelete=True)
            deadline = time.monotonic() + _DELETE_TIMEOUT_S
            while not probe.gone and self.live(id, inputs, outputs) is not None and time.monotonic() < deadline:
                time.sleep(2)


GROUP = AwsType(
    token="aws:autoscaling/group:Group",
    client="autoscaling",
    naming=Naming(max_len=255, charset=r"\x20-\x7e"),
    props=(
        Prop("name", api="AutoScalingGroupName", read="AutoScalingGroupName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("minSize", kind="int", api="MinSize", read="MinSize", required=True),
        Prop("maxSize", kind="int", api="MaxSize", read="MaxSize", required=True),
        Prop("desiredCapacity", kind="int", api="DesiredCapacity", read="DesiredCapacity", computed=True),
        Prop("availabilityZones", kind="list", api="AvailabilityZones", read="AvailabilityZones", computed=True),
        Prop("vpcZoneIdentifiers", kind="list", read="subnets", computed=True),
        Prop("launchConfiguration", api="LaunchConfigurationName", read="LaunchConfigurationName"),
        Prop("launchTemplate", kind="object", api="LaunchTemplate", read="LaunchTemplate", props=(
            Prop("id", api="LaunchTemplateId", read="LaunchTemplateId", computed=True),
            Prop("name", api="LaunchTemplateName", read="LaunchTemplateName", computed=True),
            Prop("version", api="Version", read="Version"),
        )),
        Prop("healthCheckType", api="HealthCheckType", read="HealthCheckType", computed=True),
        Prop("healthCheckGracePeriod", kind="int", api="HealthCheckGracePeriod", read="HealthCheckGracePeriod",
             default=300),
        Prop("defaultCooldown", kind="int", api="DefaultCooldown", read="DefaultCooldown", computed=True),
        Prop("targetGroupArns", kind="list", api="TargetGroupARNs", read="TargetGroupARNs", computed=True),
        Prop("loadBalancers", kind="list", api="LoadBalancerNames", read="LoadBalancerNames", computed=True),
        Prop("terminationPolicies", kind="list", api="TerminationPolicies", read="TerminationPolicies",
             computed=True),
        Prop("protectFromScaleIn", kind="bool", api="NewInstancesProtectedFromScaleIn",
             read="NewInstancesProtectedFromScaleIn", default=False),
        Prop("tags", kind="list", read="tagList", props=(Prop("key"), Prop("value"), Prop("propagateAtLaunch",
                                                                                           kind="bool"))),
        Prop("forceDelete", kind="bool", default=False),
        Prop("waitForCapacityTimeout", default="10m"),
        Prop("arn", read="AutoScalingGroupARN", output=True),
    ),
    create=Call("create_auto_scaling_group"),
    read=(Call("describe_auto_scaling_groups", {"AutoScalingGroupNames": ["{id}"]},
               result="AutoScalingGroups[0]", gone=("Status", ("Delete in progress",))),),
    updates=(Update(Call("update_auto_scaling_group", {"AutoScalingGroupName": "{id}"}), props=(
        "minSize", "maxSize", "desiredCapacity", "availabilityZones", "launchConfiguration", "launchTemplate",
        "healthCheckType", "healthCheckGracePeriod", "defaultCooldown", "terminationPolicies",
        "protectFromScaleIn")),),
    delete=None,
    id="{inputs.name}",
    impl=GroupCode,
)

TYPES = (GROUP,)
