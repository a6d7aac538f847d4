"""Route 53: hosted zones, records, and `aws.route53.get_zone`. Names, defaults and ForceNew as
pulumi-aws (terraform-provider-aws `internal/service/route53/zone.go`, `record.go`). Zone ids
are kept without their `/hostedzone/` prefix, record names as the program wrote them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import aws_client, aws_errors, missing
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsFunction, AwsType, Call, Prop, Tagging, Update
from orchestrator.engines.local.providers.aws.tags import tag_dict
from orchestrator.engines.local.providers.base import ProviderContext, ProviderError

_NO_ZONE = ("NoSuchHostedZone",)
_PREFIX = "/hostedzone/"


def zone_id(raw: str) -> str:
    return raw.removeprefix(_PREFIX)


def absolute(name: str) -> str:
    return name.rstrip(".").lower() + "."


class ZoneCode(DeclaredResource):
    """Each create needs a fresh caller reference; `forceDestroy` deletes the zone's records."""

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        args: dict[str, Any] = {"Name": inputs["name"], "CallerReference": uuid.uuid4().hex,
                                "HostedZoneConfig": {"Comment": inputs.get("comment") or ""}}
        if inputs.get("delegationSetId"):
            args["DelegationSetId"] = inputs["delegationSetId"]
        with self.errors(str(inputs["name"]), inputs):
            created = self.client(inputs).create_hosted_zone(**args)
        id_ = zone_id(created["HostedZone"]["Id"])
        with self.rollback_on_failure(id_, inputs), self.errors(id_, inputs):
            tags = self.desired_tags(inputs)
            if tags:
                self._write_tags(self.fields(inputs, id=id_), {}, tags)
        return id_, self.described(id_, inputs)

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        servers = doc.get("DelegationSet", {}).get("NameServers", [])
        outputs.update(zoneId=outputs["id"], nameServers=sorted(servers),
                       primaryNameServer=servers[0] if servers else "")
        if inputs.get("name"):  # AWS answers with the absolute name; pulumi-aws keeps the given one
            outputs["name"] = inputs["name"]
        return outputs

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        route53 = self.client(inputs)
        with self.errors(id, inputs), missing(*_NO_ZONE):
            if inputs.get("forceDestroy"):
                for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=id):
                    doomed = [{"Action": "DELETE", "ResourceRecordSet": r} for r in page["ResourceRecordSets"]
                              if r["Type"] not in ("NS", "SOA")]
                    if doomed:
                        route53.change_resource_record_sets(HostedZoneId=id, ChangeBatch={"Changes": doomed})
            route53.delete_hosted_zone(Id=id)


ZONE = AwsType(
    token="aws:route53/zone:Zone",
    client="route53",
    props=(
        Prop("name", required=True, replace=True, read="HostedZone.Name"),
        Prop("comment", api="Comment", read="HostedZone.Config.Comment", default="Managed by Pulumi"),
        Prop("delegationSetId", replace=True, read="DelegationSet.Id", computed=True),
        Prop("forceDestroy", kind="bool", default=False),
        Prop("arn", template="arn:{partition}:route53:::hostedzone/{id}"),
        Prop("zoneId", read="", output=True),
        Prop("nameServers", kind="list", read="", output=True),
        Prop("primaryNameServer", read="", output=True),
    ),
    create=Call("create_hosted_zone"),
    read=(Call("get_hosted_zone", {"Id": "{id}"}, absent=_NO_ZONE),),
    updates=(Update(Call("update_hosted_zone_comment", {"Id": "{id}"}), props=("comment",)),),
    delete=None,
    tagging=Tagging(
        on_create=None,
        read=Call("list_tags_for_resource", {"ResourceType": "hostedzone", "ResourceId": "{id}"},
                  result="ResourceTagSet.Tags"),
        tag=Call("change_tags_for_resource", {"ResourceType": "hostedzone", "ResourceId": "{id}",
                                              "AddTags": "{tags}"}),
        untag=Call("change_tags_for_resource", {"ResourceType": "hostedzone", "ResourceId": "{id}",
                                                "RemoveTagKeys": "{keys}"}),
    ),
    impl=ZoneCode,
)


class RecordCode(DeclaredResource):
    """A record set is known by zone, name, type (and set identifier); a relative name is
    completed with the zone's name, as Route 53 would."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if isinstance(news.get("records"), list) and all(isinstance(r, str) for r in news["records"]):
            news["records"] = sorted(news["records"])
        if not news.get("records") and not news.get("aliases"):
            raise ProviderError(f"{self.type_token} {name}: give `records` (with `ttl`) or `aliases`")
        return news

    def fqdn(self, inputs: Mapping[str, Any]) -> str:
        name = str(inputs["name"]).rstrip(".").lower()
        zone = self.client(inputs).get_hosted_zone(Id=inputs["zoneId"])["HostedZone"]["Name"].rstrip(".").lower()
        return name if name == zone or name.endswith("." + zone) else f"{name}.{zone}"

    def _record_set(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {"Name": absolute(self.fqdn(inputs)), "Type": inputs["type"]}
        if inputs.get("setIdentifier"):
            record["SetIdentifier"] = inputs["setIdentifier"]
        if inputs.get("aliases"):
            alias = inputs["aliases"][0]
            record["AliasTarget"] = {"HostedZoneId": alias["zoneId"], "DNSName": alias["name"],
                                     "EvaluateTargetHealth": bool(alias.get("evaluateTargetHealth"))}
        else:
            record["TTL"] = int(inputs.get("ttl") or 300)
            record["ResourceRecords"] = [{"Value": v} for v in inputs.get("records") or []]
        if inputs.get("healthCheckId"):
            record["HealthCheckId"] = inputs["healthCheckId"]
        return record

    def _change(self, inputs: Mapping[str, Any], action: str, record: Mapping[str, Any]) -> None:
        self.client(inputs).change_resource_record_sets(
            HostedZoneId=inputs["zoneId"], ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": record}]})

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        with self.errors(str(inputs["name"]), inputs):
            record = self._record_set(inputs)
            if self.live("", inputs, {}) is not None and not inputs.get("allowOverwrite"):
                raise ProviderError(f"{self.type_token}: {record['Name']} {record['Type']} already exists; "
                                    "import it or set allowOverwrite=True")
            self._change(inputs, "UPSERT", record)
        parts = [str(inputs["zoneId"]), str(inputs["name"]).rstrip("."), str(inputs["type"])]
        id_ = "_".join([*parts, str(inputs["setIdentifier"])] if inputs.get("setIdentifier") else parts)
        return id_, self.described(id_, inputs)

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        with missing(*_NO_ZONE) as probe:
            name = absolute(self.fqdn(inputs))
            found = self.client(inputs).list_resource_record_sets(
                HostedZoneId=inputs["zoneId"], StartRecordName=name, StartRecordType=inputs["type"])
        for record in [] if probe.gone else found.get("ResourceRecordSets", []):
            if absolute(record["Name"]) == name and record["Type"] == inputs["type"] and \
                    record.get("SetIdentifier") == inputs.get("setIdentifier"):
                return {**record, "records": sorted(r["Value"] for r in record.get("ResourceRecords", [])),
                        "fqdn": name.rstrip(".")}
        return None

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        with self.errors(id, news):
            self._change(news, "UPSERT", self._record_set(news))
        return self.described(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        with self.errors(id, inputs):
            live = self.live(id, inputs, outputs)
            if live is not None:
                record = {k: v for k, v in live.items() if k not in ("records", "fqdn")}
                with missing("InvalidChangeBatch", *_NO_ZONE):
                    self._change(inputs, "DELETE", record)


RECORD = AwsType(
    token="aws:route53/record:Record",
    client="route53",
    props=(
        Prop("zoneId", required=True, replace=True, read=""),
        Prop("name", required=True, replace=True, read=""),
        Prop("type", required=True, replace=True, read="Type"),
        Prop("setIdentifier", replace=True, read="SetIdentifier"),
        Prop("ttl", kind="int", read="TTL"),
        Prop("records", kind="list", read="records"),
        Prop("aliases", kind="list", read="", props=(
            Prop("name"), Prop("zoneId"), Prop("evaluateTargetHealth", kind="bool"))),
        Prop("healthCheckId", read="HealthCheckId"),
        Prop("allowOverwrite", kind="bool"),
        Prop("fqdn", read="fqdn", output=True),
    ),
    create=Call("change_resource_record_sets"),
    read=(),
    delete=None,
    impl=RecordCode,
)


def get_zone(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    token = "aws:route53/getZone:getZone"
    route53 = aws_client(ctx, "route53", ctx.aws.region)
    with aws_errors(token, str(args.get("name") or args.get("zoneId")), ctx):
        if args.get("zoneId"):
            zones = [route53.get_hosted_zone(Id=args["zoneId"])["HostedZone"]]
        else:
            wanted = absolute(str(args.get("name") or ""))
            zones = [z for page in route53.get_paginator("list_hosted_zones").paginate() for z in page["HostedZones"]
                     if absolute(z["Name"]) == wanted
                     and bool(z.get("Config", {}).get("PrivateZone")) == bool(args.get("privateZone"))]
        if len(zones) != 1:
            raise ProviderError(f"{token}: {'no' if not zones else 'more than one'} Route 53 hosted zone matched "
                                f"{args.get('name') or args.get('zoneId')!r}")
        zone = zones[0]
        id_ = zone_id(zone["Id"])
        found = route53.get_hosted_zone(Id=id_)
        tags = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=id_)
    servers = found.get("DelegationSet", {}).get("NameServers", [])
    config = zone.get("Config", {})
    return {"id": id_, "zoneId": id_, "name": zone["Name"].rstrip("."), "comment": config.get("Comment"),
            "privateZone": bool(config.get("PrivateZone")), "callerReference": zone.get("CallerReference"),
            "resourceRecordSetCount": zone.get("ResourceRecordSetCount"), "nameServers": servers,
            "primaryNameServer": servers[0] if servers else "", "arn": f"arn:aws:route53:::hostedzone/{id_}",
            "tags": tag_dict(tags.get("ResourceTagSet", {}).get("Tags"))}


TYPES = (ZONE, RECORD)
FUNCTIONS = (AwsFunction("aws:route53/getZone:getZone", get_zone),)
