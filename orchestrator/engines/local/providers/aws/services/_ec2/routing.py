"""EC2 routing: route tables with inline routes, routes, and the associations of route tables
with subnets and gateways, and as a VPC's main table. Names, defaults and ForceNew as
pulumi-aws (terraform-provider-aws `internal/service/ec2/vpc_route*.go`)."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.convert import block_to_api
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services._ec2.common import arn, ec2_tagging
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop, Update
from orchestrator.engines.local.providers.base import ProviderError, ReadResult

_NO_TABLE = ("InvalidRouteTableID.NotFound",)
_NO_ASSOCIATION = ("InvalidAssociationID.NotFound",)

# Where a route goes: pulumi-aws name → CreateRoute parameter (also the described route's key).
_TARGETS = (
    ("gatewayId", "GatewayId"), ("natGatewayId", "NatGatewayId"), ("networkInterfaceId", "NetworkInterfaceId"),
    ("transitGatewayId", "TransitGatewayId"), ("vpcEndpointId", "VpcEndpointId"),
    ("vpcPeeringConnectionId", "VpcPeeringConnectionId"), ("egressOnlyGatewayId", "EgressOnlyInternetGatewayId"),
    ("carrierGatewayId", "CarrierGatewayId"), ("localGatewayId", "LocalGatewayId"),
    ("coreNetworkArn", "CoreNetworkArn"),
)
_DESTINATION_APIS = ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")


def _destination(route: Mapping[str, Any]) -> str:
    """A described (or API-form) route's destination, the key routes are known by."""
    return next((str(route[k]) for k in _DESTINATION_APIS if route.get(k)), "")


def _own_routes(table: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The routes someone created: not the VPC's local route, not propagated ones."""
    return [dict(r) for r in table.get("Routes", [])
            if r.get("GatewayId") != "local" and r.get("Origin", "CreateRoute") == "CreateRoute"]


_INLINE_ROUTE = (
    Prop("cidrBlock", api="DestinationCidrBlock", default=""),
    Prop("ipv6CidrBlock", api="DestinationIpv6CidrBlock", default=""),
    Prop("destinationPrefixListId", api="DestinationPrefixListId", default=""),
    *(Prop(name, api=api, default="") for name, api in _TARGETS),
)


def _api_routes(routes: Any) -> dict[str, dict[str, Any]]:
    """Inline routes in API form, by destination (empty fields dropped)."""
    found = {}
    for route in routes or []:
        api = {k: v for k, v in block_to_api(_INLINE_ROUTE, route).items() if v}
        found[_destination(api)] = api
    return found


class RouteTableCode(DeclaredResource):
    """Inline `routes` are Optional+Computed: left out, they are not managed here (separate
    `Route` resources may own them); given, the table holds exactly those."""

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        if doc is not None:
            doc["routes"] = _own_routes(doc)
        return doc

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        for route in _api_routes(inputs.get("routes")).values():
            self.client(inputs).create_route(RouteTableId=id, **route)

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        if news.get("routes") is None:
            return
        ec2 = self.client(news)
        table = ec2.describe_route_tables(RouteTableIds=[id])["RouteTables"][0]
        have = {_destination(r): r for r in _own_routes(table)}
        wanted = _api_routes(news["routes"])
        for destination, route in have.items():
            if destination not in wanted:
                key = next(k for k in _DESTINATION_APIS if route.get(k))
                ec2.delete_route(RouteTableId=id, **{key: destination})
        for destination, route in wanted.items():
            if destination not in have:
                ec2.create_route(RouteTableId=id, **route)
            elif any(have[destination].get(k) != route.get(k) for _, k in _TARGETS):
                ec2.replace_route(RouteTableId=id, **route)


ROUTE_TABLE = AwsType(
    token="aws:ec2/routeTable:RouteTable",
    client="ec2",
    props=(
        Prop("vpcId", api="VpcId", read="VpcId", required=True, replace=True),
        Prop("routes", kind="list", read="routes", computed=True, set_key="cidrBlock", props=_INLINE_ROUTE),
        Prop("arn", template=arn("route-table")),
        Prop("ownerId", read="OwnerId", output=True),
    ),
    create=Call("create_route_table", id="RouteTable.RouteTableId"),
    read=(Call("describe_route_tables", {"RouteTableIds": ["{id}"]}, result="RouteTables[0]", absent=_NO_TABLE),),
    delete=Call("delete_route_table", {"RouteTableId": "{id}"}, absent=_NO_TABLE),
    tagging=ec2_tagging("route-table"),
    impl=RouteTableCode,
)


_ROUTE_DESTINATIONS = (
    Prop("destinationCidrBlock", api="DestinationCidrBlock", read="DestinationCidrBlock", replace=True),
    Prop("destinationIpv6CidrBlock", api="DestinationIpv6CidrBlock", read="DestinationIpv6CidrBlock",
         replace=True),
    Prop("destinationPrefixListId", api="DestinationPrefixListId", read="DestinationPrefixListId", replace=True),
)
_ROUTE_TARGETS = tuple(Prop(name, api=api, read=api, computed=name == "networkInterfaceId")
                       for name, api in _TARGETS)


class RouteCode(DeclaredResource):
    """A route is known by its table and destination (its id is made from them, as
    terraform-provider-aws makes it)."""

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        api = {k: v for k, v in block_to_api((*_ROUTE_DESTINATIONS, *_ROUTE_TARGETS), inputs).items() if v}
        destination = _destination(api)
        if not destination:
            raise ProviderError(f"{self.type_token}: one of destinationCidrBlock, destinationIpv6CidrBlock or "
                                "destinationPrefixListId is required")
        table = str(inputs["routeTableId"])
        with self.errors(table, inputs):
            self.client(inputs).create_route(RouteTableId=table, **api)
        id_ = f"r-{table}{zlib.crc32(destination.encode())}"
        return id_, self.described(id_, inputs)

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        with missing(*_NO_TABLE) as probe:
            tables = self.client(inputs).describe_route_tables(RouteTableIds=[inputs["routeTableId"]])
        if probe.gone:
            return None
        wanted = {api: inputs.get(p.name) for p in _ROUTE_DESTINATIONS if p.api for api in (p.api,)}
        for route in tables["RouteTables"][0].get("Routes", []):
            if any(route.get(api) and route.get(api) == value for api, value in wanted.items()):
                return dict(route)
        return None


ROUTE = AwsType(
    token="aws:ec2/route:Route",
    client="ec2",
    props=(
        Prop("routeTableId", required=True, replace=True, read=""),
        *_ROUTE_DESTINATIONS,
        *_ROUTE_TARGETS,
        Prop("instanceId", read="InstanceId", output=True),
        Prop("instanceOwnerId", read="InstanceOwnerId", output=True),
        Prop("origin", read="Origin", output=True),
        Prop("state", read="State", output=True),
    ),
    create=Call("create_route"),
    read=(),
    updates=(Update(Call("replace_route", {"RouteTableId": "{inputs.routeTableId}"}),
                    props=tuple(p.name for p in (*_ROUTE_DESTINATIONS, *_ROUTE_TARGETS))),),
    delete=Call("delete_route", {
        "RouteTableId": "{inputs.routeTableId}", "DestinationCidrBlock": "{inputs.destinationCidrBlock?}",
        "DestinationIpv6CidrBlock": "{inputs.destinationIpv6CidrBlock?}",
        "DestinationPrefixListId": "{inputs.destinationPrefixListId?}",
    }, absent=("InvalidRoute.NotFound", *_NO_TABLE)),
    impl=RouteCode,
)


def _association(ec2: Any, id: str) -> dict[str, Any] | None:
    """The association `id` (with its table's VpcId), or None when it is gone."""
    found = ec2.describe_route_tables(Filters=[{"Name": "association.route-table-association-id", "Values": [id]}])
    for table in found.get("RouteTables", []):
        for association in table.get("Associations", []):
            if association.get("RouteTableAssociationId") == id:
                return {**association, "VpcId": table.get("VpcId")}
    return None


class AssociationCode(DeclaredResource):
    """Moving an association to another table makes a new association id (the update returns it)."""

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        return _association(self.client(inputs), id)

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        with self.errors(id, news):
            answer = self.client(news).replace_route_table_association(
                AssociationId=id, RouteTableId=news["routeTableId"])
        return self.described(str(answer["NewAssociationId"]), news)


ROUTE_TABLE_ASSOCIATION = AwsType(
    token="aws:ec2/routeTableAssociation:RouteTableAssociation",
    client="ec2",
    props=(
        Prop("routeTableId", api="RouteTableId", read="RouteTableId", required=True),
        Prop("subnetId", api="SubnetId", read="SubnetId", replace=True),
        Prop("gatewayId", api="GatewayId", read="GatewayId", replace=True),
    ),
    create=Call("associate_route_table", id="AssociationId"),
    read=(),
    delete=Call("disassociate_route_table", {"AssociationId": "{id}"}, absent=_NO_ASSOCIATION),
    impl=AssociationCode,
)


class MainAssociationCode(AssociationCode):
    """Makes a table the VPC's main one, remembering the table it replaced; deleting it puts
    that one back."""

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = self.client(inputs)
        vpc = str(inputs["vpcId"])
        with self.errors(vpc, inputs):
            mains = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                       {"Name": "association.main", "Values": ["true"]}])
            current = next((a for t in mains["RouteTables"] for a in t.get("Associations", []) if a.get("Main")),
                           None)
            if current is None:
                raise ProviderError(f"{self.type_token}: VPC {vpc} has no main route table")
            answer = ec2.replace_route_table_association(
                AssociationId=current["RouteTableAssociationId"], RouteTableId=inputs["routeTableId"])
        id_ = str(answer["NewAssociationId"])
        outputs = self.described(id_, inputs)
        return id_, {**outputs, "originalRouteTableId": current["RouteTableId"]}

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        found = super().read(urn, id, inputs, outputs)
        if found is not None and outputs.get("originalRouteTableId"):
            found.outputs["originalRouteTableId"] = outputs["originalRouteTableId"]
        return found

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        outputs = super().update(urn, id, old_inputs, old_outputs, news)
        return {**outputs, "originalRouteTableId": old_outputs.get("originalRouteTableId")}

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        original = outputs.get("originalRouteTableId")
        ec2 = self.client(inputs)
        with self.errors(id, inputs):
            if original and _association(ec2, id) is not None:
                with missing(*_NO_TABLE, *_NO_ASSOCIATION):
                    ec2.replace_route_table_association(AssociationId=id, RouteTableId=original)


MAIN_ROUTE_TABLE_ASSOCIATION = AwsType(
    token="aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",
    client="ec2",
    props=(
        Prop("vpcId", read="VpcId", required=True, replace=True),
        Prop("routeTableId", read="RouteTableId", required=True),
        Prop("originalRouteTableId", read="", output=True),
    ),
    create=Call("replace_route_table_association"),
    read=(),
    delete=None,
    impl=MainAssociationCode,
)

TYPES = (ROUTE_TABLE, ROUTE, ROUTE_TABLE_ASSOCIATION, MAIN_ROUTE_TABLE_ASSOCIATION)
