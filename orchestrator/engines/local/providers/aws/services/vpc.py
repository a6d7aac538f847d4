"""VPC security group rules as objects of their own (`aws.vpc.SecurityGroupIngressRule`,
`SecurityGroupEgressRule`): one protocol, one port range and one source per rule, known to
EC2 by a rule id (`sgr-...`). Authorized with AuthorizeSecurityGroupIngress/Egress, read with
DescribeSecurityGroupRules, changed in place with ModifySecurityGroupRules, revoked by id.
Only `securityGroupId` forces a replace (terraform-provider-aws
`internal/service/ec2/vpc_security_group_ingress_rule.go`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services._ec2.common import arn, ec2_tagging
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop
from orchestrator.engines.local.providers.base import ProviderError

# Each source input: where AuthorizeSecurityGroup* takes it, and its name in a rule
# (DescribeSecurityGroupRules, ModifySecurityGroupRules).
_SOURCES = {
    "cidrIpv4": ("IpRanges", "CidrIp", "CidrIpv4"),
    "cidrIpv6": ("Ipv6Ranges", "CidrIpv6", "CidrIpv6"),
    "prefixListId": ("PrefixListIds", "PrefixListId", "PrefixListId"),
    "referencedSecurityGroupId": ("UserIdGroupPairs", "GroupId", "ReferencedGroupId"),
}
_NO_RULE = ("InvalidSecurityGroupRuleId.NotFound", "InvalidGroup.NotFound", "InvalidGroupId.NotFound")


class RuleCode(DeclaredResource):
    """A rule is authorized as a one-source permission and changed as a whole rule."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        given = [k for k in _SOURCES if news.get(k) is not None]
        if len(given) != 1:
            raise ProviderError(f"{self.type_token} {name}: give exactly one of {', '.join(_SOURCES)} "
                                f"(got {', '.join(given) or 'none'})")
        if str(news.get("ipProtocol")).lower() == "all":
            news["ipProtocol"] = "-1"  # AWS reads "all" back as -1
        return news

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        source = next(k for k in _SOURCES if inputs.get(k) is not None)
        ranges, key, _ = _SOURCES[source]
        entry: dict[str, Any] = {key: inputs[source]}
        if inputs.get("description") is not None:
            entry["Description"] = inputs["description"]
        permission: dict[str, Any] = {"IpProtocol": inputs["ipProtocol"], ranges: [entry]}
        permission.update(self._ports(inputs))
        return {"IpPermissions": [permission]}

    @staticmethod
    def _ports(inputs: Mapping[str, Any]) -> dict[str, Any]:
        ports = {"FromPort": inputs.get("fromPort"), "ToPort": inputs.get("toPort")}
        return {k: int(v) for k, v in ports.items() if v is not None}

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        rule_keys = (*_SOURCES, "ipProtocol", "fromPort", "toPort", "description")
        if all(news.get(k) == old_inputs.get(k) for k in rule_keys):
            return  # only tags changed
        # All protocols (-1) take all ports; ModifySecurityGroupRules wants them said as -1.
        every = {"FromPort": -1, "ToPort": -1} if news["ipProtocol"] == "-1" else {}
        rule: dict[str, Any] = {"IpProtocol": news["ipProtocol"], **every, **self._ports(news)}
        for source, (_, _, name) in _SOURCES.items():
            if news.get(source) is not None:
                rule[name] = news[source]
        if news.get("description") is not None:
            rule["Description"] = news["description"]
        self.client(news).modify_security_group_rules(
            GroupId=news["securityGroupId"],
            SecurityGroupRules=[{"SecurityGroupRuleId": id, "SecurityGroupRule": rule}])

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        if outputs.get("ipProtocol") == "-1":  # all ports: pulumi-aws leaves the -1 ports out, as written
            for key in ("fromPort", "toPort"):
                if inputs.get(key) is None:
                    outputs.pop(key, None)
        return outputs


def _rule_type(token: str, direction: str) -> AwsType:
    return AwsType(
        token=token,
        client="ec2",
        props=(
            Prop("securityGroupId", api="GroupId", read="GroupId", required=True, replace=True),
            Prop("ipProtocol", read="IpProtocol", required=True, values=(("6", "tcp"), ("17", "udp"), ("1", "icmp"))),
            Prop("fromPort", kind="int", read="FromPort"),
            Prop("toPort", kind="int", read="ToPort"),
            Prop("cidrIpv4", read="CidrIpv4"),
            Prop("cidrIpv6", read="CidrIpv6"),
            Prop("prefixListId", read="PrefixListId"),
            Prop("referencedSecurityGroupId", read="ReferencedGroupInfo.GroupId"),
            Prop("description", read="Description"),
            Prop("securityGroupRuleId", read="SecurityGroupRuleId", output=True),
            Prop("arn", template=arn("security-group-rule")),
        ),
        create=Call(f"authorize_security_group_{direction}", send=("securityGroupId",),
                    id="SecurityGroupRules[0].SecurityGroupRuleId"),
        read=(Call("describe_security_group_rules", {"SecurityGroupRuleIds": ["{id}"]},
                   result="SecurityGroupRules[0]", absent=_NO_RULE),),
        delete=Call(f"revoke_security_group_{direction}",
                    {"GroupId": "{inputs.securityGroupId}", "SecurityGroupRuleIds": ["{id}"]},
                    absent=(*_NO_RULE, "InvalidPermission.NotFound")),
        tagging=ec2_tagging("security-group-rule"),
        impl=RuleCode,
    )


INGRESS_RULE = _rule_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ingress")
EGRESS_RULE = _rule_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "egress")

TYPES = (INGRESS_RULE, EGRESS_RULE)
