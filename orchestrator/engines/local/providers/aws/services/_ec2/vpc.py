"""EC2 networking: VPCs, subnets, internet gateways, Elastic IPs and NAT gateways. Names,
defaults and ForceNew as pulumi-aws (terraform-provider-aws `internal/service/ec2/vpc_*.go`,
`ec2_eip.go`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services._ec2.common import arn, ec2_tagging
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop, Update


def _vpc_filter(name: str, value: str) -> list[dict[str, Any]]:
    return [{"Name": "vpc-id", "Values": ["{id}"]}, {"Name": name, "Values": [value]}]


def _vpc_attribute(prop: str, attribute: str, default: bool | None) -> tuple[Prop, Call, Update]:
    """A VPC attribute: read and changed one at a time (DescribeVpcAttribute, ModifyVpcAttribute)."""
    api = attribute[0].upper() + attribute[1:]
    return (
        Prop(prop, kind="bool", api=f"{api}.Value", read=f"attributes.{attribute}", default=default,
             computed=default is None, on_create=False),
        Call("describe_vpc_attribute", {"VpcId": "{id}", "Attribute": attribute}, result=f"{api}.Value",
             into=f"attributes.{attribute}"),
        Update(Call("modify_vpc_attribute", {"VpcId": "{id}"}), props=(prop,)),
    )


_DNS_SUPPORT = _vpc_attribute("enableDnsSupport", "enableDnsSupport", True)
_DNS_HOSTNAMES = _vpc_attribute("enableDnsHostnames", "enableDnsHostnames", False)
_NAU_METRICS = _vpc_attribute("enableNetworkAddressUsageMetrics", "enableNetworkAddressUsageMetrics", None)
_ATTRIBUTES = (_DNS_SUPPORT, _DNS_HOSTNAMES, _NAU_METRICS)

VPC = AwsType(
    token="aws:ec2/vpc:Vpc",
    client="ec2",
    props=(
        Prop("cidrBlock", api="CidrBlock", replace=True, computed=True),
        Prop("instanceTenancy", api="InstanceTenancy", default="default", choices=("default", "dedicated")),
        Prop("assignGeneratedIpv6CidrBlock", api="AmazonProvidedIpv6CidrBlock", kind="bool", read="",
             default=False, replace=True),
        *(attribute[0] for attribute in _ATTRIBUTES),
        Prop("arn", template=arn("vpc")),
        Prop("ownerId", read="OwnerId", output=True),
        Prop("dhcpOptionsId", read="DhcpOptionsId", output=True),
        Prop("defaultSecurityGroupId", read="defaults.securityGroup", output=True),
        Prop("defaultRouteTableId", read="defaults.routeTable", output=True),
        Prop("mainRouteTableId", read="defaults.routeTable", output=True),
        Prop("defaultNetworkAclId", read="defaults.networkAcl", output=True),
        Prop("ipv6CidrBlock", read="Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock", output=True),
        Prop("ipv6AssociationId", read="Ipv6CidrBlockAssociationSet[0].AssociationId", output=True),
    ),
    create=Call("create_vpc", id="Vpc.VpcId"),
    read=(
        Call("describe_vpcs", {"VpcIds": ["{id}"]}, result="Vpcs[0]", absent=("InvalidVpcID.NotFound",)),
        *(attribute[1] for attribute in _ATTRIBUTES),
        Call("describe_security_groups", {"Filters": _vpc_filter("group-name", "default")},
             result="SecurityGroups[0].GroupId", into="defaults.securityGroup"),
        Call("describe_route_tables", {"Filters": _vpc_filter("association.main", "true")},
             result="RouteTables[0].RouteTableId", into="defaults.routeTable"),
        Call("describe_network_acls", {"Filters": _vpc_filter("default", "true")},
             result="NetworkAcls[0].NetworkAclId", into="defaults.networkAcl"),
    ),
    updates=(
        *(attribute[2] for attribute in _ATTRIBUTES),
        Update(Call("modify_vpc_tenancy", {"VpcId": "{id}"}), props=("instanceTenancy",)),
    ),
    delete=Call("delete_vpc", {"VpcId": "{id}"}, absent=("InvalidVpcID.NotFound",)),
    tagging=ec2_tagging("vpc"),
)


def _subnet_flag(prop: str, api: str) -> Prop:
    return Prop(prop, kind="bool", api=f"{api}.Value", read=api, default=False, on_create=False)


_SUBNET_FLAGS = (
    _subnet_flag("mapPublicIpOnLaunch", "MapPublicIpOnLaunch"),
    _subnet_flag("assignIpv6AddressOnCreation", "AssignIpv6AddressOnCreation"),
)

SUBNET = AwsType(
    token="aws:ec2/subnet:Subnet",
    client="ec2",
    props=(
        Prop("vpcId", api="VpcId", read="VpcId", required=True, replace=True),
        Prop("cidrBlock", api="CidrBlock", replace=True, computed=True),
        Prop("availabilityZone", api="AvailabilityZone", replace=True, computed=True),
        Prop("availabilityZoneId", api="AvailabilityZoneId", replace=True, computed=True),
        Prop("ipv6CidrBlock", api="Ipv6CidrBlock", read="Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock",
             replace=True, computed=True),
        *_SUBNET_FLAGS,
        Prop("arn", template=arn("subnet")),
        Prop("ownerId", read="OwnerId", output=True),
        Prop("ipv6CidrBlockAssociationId", read="Ipv6CidrBlockAssociationSet[0].AssociationId", output=True),
    ),
    create=Call("create_subnet", id="Subnet.SubnetId"),
    read=(Call("describe_subnets", {"SubnetIds": ["{id}"]}, result="Subnets[0]",
               absent=("InvalidSubnetID.NotFound",)),),
    updates=tuple(Update(Call("modify_subnet_attribute", {"SubnetId": "{id}"}), props=(flag.name,))
                  for flag in _SUBNET_FLAGS),
    delete=Call("delete_subnet", {"SubnetId": "{id}"}, absent=("InvalidSubnetID.NotFound",)),
    tagging=ec2_tagging("subnet"),
)


class InternetGatewayCode(DeclaredResource):
    """`vpcId` is an attachment, made, moved and removed apart from the gateway itself."""

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        if inputs.get("vpcId"):
            self.client(inputs).attach_internet_gateway(InternetGatewayId=id, VpcId=inputs["vpcId"])

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        if old_outputs.get("vpcId") != news.get("vpcId"):
            self._detach(id, news)
            self.after_create(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        with self.errors(id, inputs):
            if self._detach(id, inputs):
                self.client(inputs).delete_internet_gateway(InternetGatewayId=id)

    def _detach(self, id: str, inputs: Mapping[str, Any]) -> bool:
        """Detach from every VPC; False when the gateway is gone."""
        ec2 = self.client(inputs)
        with missing("InvalidInternetGatewayID.NotFound") as probe:
            found = ec2.describe_internet_gateways(InternetGatewayIds=[id])["InternetGateways"]
        for attachment in [] if probe.gone else found[0].get("Attachments", []):
            ec2.detach_internet_gateway(InternetGatewayId=id, VpcId=attachment["VpcId"])
        return not probe.gone


INTERNET_GATEWAY = AwsType(
    token="aws:ec2/internetGateway:InternetGateway",
    client="ec2",
    props=(
        Prop("vpcId", read="Attachments[0].VpcId"),
        Prop("arn", template=arn("internet-gateway")),
        Prop("ownerId", read="OwnerId", output=True),
    ),
    create=Call("create_internet_gateway", id="InternetGateway.InternetGatewayId"),
    read=(Call("describe_internet_gateways", {"InternetGatewayIds": ["{id}"]}, result="InternetGateways[0]",
               absent=("InvalidInternetGatewayID.NotFound",)),),
    delete=None,
    tagging=ec2_tagging("internet-gateway"),
    impl=InternetGatewayCode,
)


class EipCode(DeclaredResource):
    """An address is associated with an instance or network interface apart from its
    allocation; its DNS names are made from the address, as AWS names them."""

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"Domain": inputs.get("domain") or "vpc"}  # pulumi-aws's default, not EC2's `standard`

    def after_create(self, id: str, inputs: Mapping[str, Any]) -> None:
        target = {k: inputs[p] for p, k in (("instance", "InstanceId"), ("networkInterface", "NetworkInterfaceId"))
                  if inputs.get(p)}
        if target:
            if inputs.get("associateWithPrivateIp"):
                target["PrivateIpAddress"] = inputs["associateWithPrivateIp"]
            self.client(inputs).associate_address(AllocationId=id, **target)

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        keys = ("instance", "networkInterface", "associateWithPrivateIp")
        if any(old_inputs.get(k) != news.get(k) for k in keys):
            if old_outputs.get("associationId"):
                with missing("InvalidAssociationID.NotFound"):
                    self.client(news).disassociate_address(AssociationId=old_outputs["associationId"])
            self.after_create(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        ec2 = self.client(inputs)
        with self.errors(id, inputs), missing("InvalidAllocationID.NotFound"):
            found = ec2.describe_addresses(AllocationIds=[id])["Addresses"]
            if found and found[0].get("AssociationId"):
                ec2.disassociate_address(AssociationId=found[0]["AssociationId"])
            ec2.release_address(AllocationId=id)

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        region = self.region(inputs)
        public, private = outputs.get("publicIp"), outputs.get("privateIp")
        if public:
            where = "compute-1" if region == "us-east-1" else f"{region}.compute"
            outputs["publicDns"] = f"ec2-{public.replace('.', '-')}.{where}.amazonaws.com"
        if private:
            where = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
            outputs["privateDns"] = f"ip-{private.replace('.', '-')}.{where}"
        return outputs


EIP = AwsType(
    token="aws:ec2/eip:Eip",
    client="ec2",
    props=(
        Prop("domain", api="Domain", default="vpc", replace=True, choices=("vpc", "standard")),
        Prop("address", api="Address", read="", replace=True),
        Prop("publicIpv4Pool", api="PublicIpv4Pool", read="PublicIpv4Pool", replace=True, computed=True),
        Prop("networkBorderGroup", api="NetworkBorderGroup", read="NetworkBorderGroup", replace=True,
             computed=True),
        Prop("instance", read="InstanceId", computed=True),
        Prop("networkInterface", read="NetworkInterfaceId", computed=True),
        Prop("associateWithPrivateIp"),
        Prop("allocationId", read="AllocationId", output=True),
        Prop("associationId", read="AssociationId", output=True),
        Prop("publicIp", read="PublicIp", output=True),
        Prop("privateIp", read="PrivateIpAddress", output=True),
        Prop("publicDns", read="", output=True),
        Prop("privateDns", read="", output=True),
        Prop("arn", template=arn("elastic-ip")),
    ),
    create=Call("allocate_address", id="AllocationId"),
    read=(Call("describe_addresses", {"AllocationIds": ["{id}"]}, result="Addresses[0]",
               absent=("InvalidAllocationID.NotFound",)),),
    delete=None,
    tagging=ec2_tagging("elastic-ip"),
    impl=EipCode,
)


class NatGatewayCode(DeclaredResource):
    """A deleted NAT gateway is still described for a while, in state `deleted`."""

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        return None if doc is None or doc.get("State") in ("deleted", "deleting", "failed") else doc


NAT_GATEWAY = AwsType(
    token="aws:ec2/natGateway:NatGateway",
    client="ec2",
    props=(
        Prop("subnetId", api="SubnetId", read="SubnetId", replace=True),
        Prop("allocationId", api="AllocationId", read="NatGatewayAddresses[0].AllocationId", replace=True),
        Prop("connectivityType", api="ConnectivityType", read="ConnectivityType", default="public", replace=True,
             choices=("public", "private")),
        Prop("privateIp", api="PrivateIpAddress", read="NatGatewayAddresses[0].PrivateIp", replace=True,
             computed=True),
        Prop("publicIp", read="NatGatewayAddresses[0].PublicIp", output=True),
        Prop("networkInterfaceId", read="NatGatewayAddresses[0].NetworkInterfaceId", output=True),
        Prop("associationId", read="NatGatewayAddresses[0].AssociationId", output=True),
        Prop("vpcId", read="VpcId", output=True),
    ),
    create=Call("create_nat_gateway", id="NatGateway.NatGatewayId", waiter="nat_gateway_available",
                waiter_args={"NatGatewayIds": ["{id}"]}),
    read=(Call("describe_nat_gateways", {"NatGatewayIds": ["{id}"]}, result="NatGateways[0]",
               absent=("NatGatewayNotFound", "InvalidNatGatewayID.NotFound")),),
    delete=Call("delete_nat_gateway", {"NatGatewayId": "{id}"}, absent=("NatGatewayNotFound",),
                waiter="nat_gateway_deleted", waiter_args={"NatGatewayIds": ["{id}"]}),
    tagging=ec2_tagging("natgateway"),
    impl=NatGatewayCode,
)

TYPES = (VPC, SUBNET, INTERNET_GATEWAY, EIP, NAT_GATEWAY)
