"""EC2 security groups, with inline `ingress`/`egress` rules, and separate security group
rules. Names, defaults and ForceNew as pulumi-aws (terraform-provider-aws
`internal/service/ec2/vpc_security_group.go`, `vpc_security_group_rule.go`).

AWS keeps a group's rules as permissions (protocol and ports) with several sources each, and
merges what was authorized separately; pulumi-aws keeps the rules as written. So rules are
compared as atoms (protocol, ports, one source, description), and read back as the rules the
program wrote when all their atoms are there, plus the atoms nobody wrote, grouped.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services._ec2.common import arn, ec2_tagging
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop
from orchestrator.engines.local.providers.aws.values import known
from orchestrator.engines.local.providers.base import ProviderError

_NO_GROUP = ("InvalidGroup.NotFound", "InvalidGroupId.NotFound")
_PROTOCOL_NAMES = {"all": "-1", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
# Atom kinds: the pulumi-aws list a source is written in, and where AWS keeps it.
_SOURCES = (
    ("cidrBlocks", "IpRanges", "CidrIp"),
    ("ipv6CidrBlocks", "Ipv6Ranges", "CidrIpv6"),
    ("prefixListIds", "PrefixListIds", "PrefixListId"),
    ("securityGroups", "UserIdGroupPairs", "GroupId"),
)
Atom = tuple[str, int, int, str, str, str]  # protocol, from, to, source list, source, description

RULE = (
    Prop("fromPort", kind="int", required=True),
    Prop("toPort", kind="int", required=True),
    Prop("protocol", required=True),
    Prop("cidrBlocks", kind="list", default=[]),
    Prop("ipv6CidrBlocks", kind="list", default=[]),
    Prop("prefixListIds", kind="list", default=[]),
    Prop("securityGroups", kind="list", default=[]),
    Prop("self", kind="bool", default=False),
    Prop("description", default=""),
)


def protocol(value: Any) -> str:
    text = str(value).lower()
    return _PROTOCOL_NAMES.get(text, text)


def rule_key(rule: Mapping[str, Any]) -> str:
    return json.dumps(rule, sort_keys=True, default=str)


def normalized_rules(rules: Any) -> Any:
    """Rules in one order with one spelling of the protocol; unknown values left alone."""
    if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
        return rules
    out = []
    for rule in rules:
        rule = dict(rule)
        if known(rule.get("protocol")):
            rule["protocol"] = protocol(rule["protocol"])
        for name, _, _ in _SOURCES:
            if isinstance(rule.get(name), list) and all(known(v) for v in rule[name]):
                rule[name] = sorted(str(v) for v in rule[name])
        out.append(rule)
    return sorted(out, key=rule_key)


def rule_atoms(rule: Mapping[str, Any], group_id: str) -> set[Atom]:
    head = (protocol(rule["protocol"]), int(rule["fromPort"]), int(rule["toPort"]))
    description = str(rule.get("description") or "")
    atoms = {(*head, name, str(source), description) for name, _, _ in _SOURCES for source in rule.get(name) or []}
    if rule.get("self"):
        atoms.add((*head, "securityGroups", group_id, description))
    return atoms


def live_atoms(permissions: Iterable[Mapping[str, Any]]) -> set[Atom]:
    atoms = set()
    for permission in permissions:
        proto = protocol(permission.get("IpProtocol", "-1"))
        head = (proto, int(permission.get("FromPort", 0)), int(permission.get("ToPort", 0)))
        if proto == "-1":
            head = (proto, 0, 0)
        for name, api_list, api_key in _SOURCES:
            for source in permission.get(api_list) or []:
                atoms.add((*head, name, str(source[api_key]), str(source.get("Description") or "")))
    return atoms


def permissions(atoms: Iterable[Atom]) -> list[dict[str, Any]]:
    """Atoms as the IpPermissions AWS takes."""
    grouped: dict[tuple[str, int, int], dict[str, Any]] = {}
    for proto, from_port, to_port, name, source, description in sorted(atoms):
        permission = grouped.setdefault((proto, from_port, to_port), {
            "IpProtocol": proto, "FromPort": from_port, "ToPort": to_port})
        _, api_list, api_key = next(s for s in _SOURCES if s[0] == name)
        entry = {api_key: source, **({"Description": description} if description else {})}
        permission.setdefault(api_list, []).append(entry)
    return list(grouped.values())


def rules_from_atoms(atoms: set[Atom], configured: Any, group_id: str) -> list[dict[str, Any]]:
    """The rules as written where all their atoms are live, then the other live atoms grouped."""
    remaining = set(atoms)
    rules = []
    for rule in configured if isinstance(configured, list) else []:
        wanted = rule_atoms(rule, group_id)
        if wanted and wanted <= remaining:
            rules.append(dict(rule))
            remaining -= wanted
    grouped: dict[tuple[str, int, int, str], dict[str, Any]] = defaultdict(
        lambda: {name: [] for name, _, _ in _SOURCES})
    for proto, from_port, to_port, name, source, description in remaining:
        rule = grouped[(proto, from_port, to_port, description)]
        if name == "securityGroups" and source == group_id:
            rule["self"] = True
        else:
            rule[name].append(source)
    for (proto, from_port, to_port, description), sources in grouped.items():
        rules.append({"fromPort": from_port, "toPort": to_port, "protocol": proto, "self": False,
                      "description": description, **sources})
    return sorted(normalized_rules(rules), key=rule_key)


class SecurityGroupCode(DeclaredResource):
    """Inline rules are Optional+Computed: left out, they are not managed here; given, the
    group holds exactly those. A new group's default allow-all egress rule is removed, as
    pulumi-aws removes it."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        for direction in ("ingress", "egress"):
            news[direction] = normalized_rules(news.get(direction))
        return news

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        # AWS requires a description; pulumi-aws's default is sent like any other value.
        return {"Description": inputs.get("description") or "Managed by Pulumi"}

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        self._sync(id, inputs, ("ingress", "egress"), new_group=True)

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        self._sync(id, news, tuple(d for d in ("ingress", "egress") if news.get(d) is not None))

    def _sync(self, id: str, inputs: Mapping[str, Any], directions: tuple[str, ...], new_group: bool = False) -> None:
        ec2 = self.client(inputs)
        group = ec2.describe_security_groups(GroupIds=[id])["SecurityGroups"][0]
        for direction in directions:
            live_key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
            have = live_atoms(group.get(live_key, []))
            if inputs.get(direction) is None and not (new_group and direction == "egress"):
                continue
            wanted = set().union(*(rule_atoms(r, id) for r in inputs.get(direction) or []))
            suffix = "ingress" if direction == "ingress" else "egress"
            if have - wanted:
                getattr(ec2, f"revoke_security_group_{suffix}")(GroupId=id, IpPermissions=permissions(have - wanted))
            if wanted - have:
                getattr(ec2, f"authorize_security_group_{suffix}")(GroupId=id, IpPermissions=permissions(wanted - have))

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        id = str(outputs["id"])
        outputs["ingress"] = rules_from_atoms(live_atoms(doc.get("IpPermissions", [])), inputs.get("ingress"), id)
        outputs["egress"] = rules_from_atoms(live_atoms(doc.get("IpPermissionsEgress", [])), inputs.get("egress"), id)
        return outputs

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        ec2 = self.client(inputs)
        with self.errors(id, inputs), missing(*_NO_GROUP):
            if inputs.get("revokeRulesOnDelete"):
                group = ec2.describe_security_groups(GroupIds=[id])["SecurityGroups"][0]
                for suffix, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
                    if group.get(key):
                        getattr(ec2, f"revoke_security_group_{suffix}")(GroupId=id, IpPermissions=group[key])
            ec2.delete_security_group(GroupId=id)


SECURITY_GROUP = AwsType(
    token="aws:ec2/securityGroup:SecurityGroup",
    client="ec2",
    naming=Naming(max_len=255, charset=r"A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-"),
    props=(
        Prop("name", api="GroupName", read="GroupName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("description", api="Description", read="Description", default="Managed by Pulumi", replace=True),
        Prop("vpcId", api="VpcId", read="VpcId", replace=True, computed=True),
        Prop("ingress", kind="list", read="", computed=True, props=RULE),
        Prop("egress", kind="list", read="", computed=True, props=RULE),
        Prop("revokeRulesOnDelete", kind="bool", default=False),
        Prop("arn", template=arn("security-group")),
        Prop("ownerId", read="OwnerId", output=True),
    ),
    create=Call("create_security_group", id="GroupId"),
    read=(Call("describe_security_groups", {"GroupIds": ["{id}"]}, result="SecurityGroups[0]", absent=_NO_GROUP),),
    delete=None,
    tagging=ec2_tagging("security-group"),
    impl=SecurityGroupCode,
)


class SecurityGroupRuleCode(DeclaredResource):
    """One rule (one or more atoms) of a group; gone when any of its atoms is gone, as
    pulumi-aws reads it."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if known(news.get("protocol")):
            news["protocol"] = protocol(news["protocol"])
        return news

    def _rule(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        rule = {k: inputs.get(k) for k in ("fromPort", "toPort", "protocol", "cidrBlocks", "ipv6CidrBlocks",
                                            "prefixListIds", "self", "description")}
        rule["securityGroups"] = [inputs["sourceSecurityGroupId"]] if inputs.get("sourceSecurityGroupId") else []
        return rule

    def _atoms(self, inputs: Mapping[str, Any]) -> set[Atom]:
        atoms = rule_atoms(self._rule(inputs), str(inputs["securityGroupId"]))
        if not atoms:
            raise ProviderError(f"{self.type_token}: give one of cidrBlocks, ipv6CidrBlocks, prefixListIds, "
                                "sourceSecurityGroupId or self")
        return atoms

    def _call(self, inputs: Mapping[str, Any], verb: str, atoms: set[Atom]) -> None:
        suffix = "ingress" if inputs["type"] == "ingress" else "egress"
        getattr(self.client(inputs), f"{verb}_security_group_{suffix}")(
            GroupId=inputs["securityGroupId"], IpPermissions=permissions(atoms))

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        atoms = self._atoms(inputs)
        with self.errors(str(inputs["securityGroupId"]), inputs):
            self._call(inputs, "authorize", atoms)
        id_ = f"sgrule-{zlib.crc32(json.dumps([inputs['type'], sorted(atoms)]).encode())}"
        return id_, self.described(id_, inputs)

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        with missing(*_NO_GROUP) as probe:
            group = self.client(inputs).describe_security_groups(GroupIds=[inputs["securityGroupId"]])
        if probe.gone:
            return None
        key = "IpPermissions" if inputs["type"] == "ingress" else "IpPermissionsEgress"
        have = live_atoms(group["SecurityGroups"][0].get(key, []))
        return {} if self._atoms(inputs) <= have else None

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        with self.errors(id, news):  # only the description changes in place
            self._call(news, "revoke", self._atoms(old_inputs))
            self._call(news, "authorize", self._atoms(news))
        return self.described(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        with self.errors(id, inputs), missing(*_NO_GROUP, "InvalidPermission.NotFound"):
            self._call(inputs, "revoke", self._atoms(inputs))


SECURITY_GROUP_RULE = AwsType(
    token="aws:ec2/securityGroupRule:SecurityGroupRule",
    client="ec2",
    props=(
        Prop("type", required=True, replace=True, choices=("ingress", "egress"), read=""),
        Prop("securityGroupId", required=True, replace=True, read=""),
        Prop("fromPort", kind="int", required=True, replace=True, read=""),
        Prop("toPort", kind="int", required=True, replace=True, read=""),
        Prop("protocol", required=True, replace=True, read=""),
        Prop("cidrBlocks", kind="list", replace=True, read=""),
        Prop("ipv6CidrBlocks", kind="list", replace=True, read=""),
        Prop("prefixListIds", kind="list", replace=True, read=""),
        Prop("sourceSecurityGroupId", replace=True, read="", computed=True),
        Prop("self", kind="bool", default=False, replace=True, read=""),
        Prop("description", read=""),
        Prop("securityGroupRuleId", read="", output=True),
    ),
    create=Call("authorize_security_group_ingress"),
    read=(),
    delete=None,
    impl=SecurityGroupRuleCode,
)

TYPES = (SECURITY_GROUP, SECURITY_GROUP_RULE)
