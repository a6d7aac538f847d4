"""EC2 provider functions: `aws.ec2.get_ami`, `get_vpc`, `get_subnet`, `get_subnets`,
`get_security_group`, `get_route_table`, `get_instance_type`, answered from the endpoint's
Describe calls with pulumi-aws's arguments and results (camelCase) and its errors when a
lookup finds no object or more than one."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import account_id, aws_client, aws_errors
from orchestrator.engines.local.providers.aws.services._ec2.common import filters, program_filters, tag_filters
from orchestrator.engines.local.providers.aws.spec import AwsFunction
from orchestrator.engines.local.providers.aws.tags import tag_dict
from orchestrator.engines.local.providers.base import ProviderContext, ProviderError

_NONE = "your query returned no results; change the search criteria and try again"
_MANY = "your query returned more than one result; use more specific search criteria"


def _region(ctx: ProviderContext, args: Mapping[str, Any]) -> str:
    return str(args.get("region") or ctx.aws.region)


def _describe(ctx: ProviderContext, token: str, args: Mapping[str, Any], op: str, key: str,
              **request: Any) -> list[dict[str, Any]]:
    request = {k: v for k, v in request.items() if v not in (None, [], "")}
    with aws_errors(token, op, ctx):
        found = getattr(aws_client(ctx, "ec2", _region(ctx, args)), op)(**request)
    return list(found.get(key, []))


def _flag(value: Any) -> bool:
    """A boolean argument as the provider reads it (programs also pass "true")."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _one(token: str, found: list[dict[str, Any]]) -> dict[str, Any]:
    if not found:
        raise ProviderError(f"{token}: {_NONE}")
    if len(found) > 1:
        raise ProviderError(f"{token}: {_MANY}")
    return found[0]


def _lookup(args: Mapping[str, Any], named: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The filters of a lookup: its named arguments, its `tags` and its own `filters`."""
    return filters(named) + tag_filters(args.get("tags")) + program_filters(args.get("filters"))


def _ids(args: Mapping[str, Any], key: str = "id") -> list[str] | None:
    return [str(args[key])] if args.get(key) else None


def _arn(ctx: ProviderContext, args: Mapping[str, Any], kind: str, id: str) -> str:
    region = _region(ctx, args)
    return f"arn:aws:ec2:{region}:{account_id(ctx, region)}:{kind}/{id}"


def get_ami(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    token = "aws:ec2/getAmi:getAmi"
    found = _describe(ctx, token, args, "describe_images", "Images", Owners=args.get("owners"),
                      ExecutableUsers=args.get("executableUsers"), Filters=program_filters(args.get("filters")),
                      IncludeDeprecated=_flag(args.get("includeDeprecated")) or None)
    if args.get("nameRegex"):
        pattern = re.compile(str(args["nameRegex"]))
        found = [i for i in found if pattern.search(str(i.get("Name", "")))]
    if len(found) > 1 and _flag(args.get("mostRecent")):
        found = [max(found, key=lambda i: str(i.get("CreationDate", "")))]
    if not found:
        wanted = {"owners": args.get("owners"), "filters": program_filters(args.get("filters")),
                  "nameRegex": args.get("nameRegex")}
        raise ProviderError(f"{token}: no image matches {json.dumps({k: v for k, v in wanted.items() if v})} at "
                            f"{ctx.aws.endpoint or 'AWS'} ({_NONE})")
    image = _one(token, found)
    region = _region(ctx, args)
    return {
        **{k: args.get(k) for k in ("owners", "filters", "nameRegex", "executableUsers")},
        "mostRecent": _flag(args.get("mostRecent")), "includeDeprecated": _flag(args.get("includeDeprecated")),
        "id": image["ImageId"], "imageId": image["ImageId"], "name": image.get("Name"),
        "arn": f"arn:aws:ec2:{region}::image/{image['ImageId']}",
        "architecture": image.get("Architecture"), "creationDate": image.get("CreationDate"),
        "description": image.get("Description"), "hypervisor": image.get("Hypervisor"),
        "imageLocation": image.get("ImageLocation"), "imageOwnerAlias": image.get("ImageOwnerAlias"),
        "imageType": image.get("ImageType"), "kernelId": image.get("KernelId"), "ownerId": image.get("OwnerId"),
        "platform": image.get("Platform"), "platformDetails": image.get("PlatformDetails"),
        "public": image.get("Public"), "rootDeviceName": image.get("RootDeviceName"),
        "rootDeviceType": image.get("RootDeviceType"), "state": image.get("State"),
        "virtualizationType": image.get("VirtualizationType"), "enaSupport": image.get("EnaSupport"),
        "sriovNetSupport": image.get("SriovNetSupport"), "usageOperation": image.get("UsageOperation"),
        "tags": tag_dict(image.get("Tags")),
        "blockDeviceMappings": [], "productCodes": [], "stateReason": {},
    }


def get_vpc(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    token = "aws:ec2/getVpc:getVpc"
    default = args.get("default")
    wanted = _lookup(args, {"cidr": args.get("cidrBlock"), "dhcp-options-id": args.get("dhcpOptionsId"),
                            "state": args.get("state"),
                            "is-default": None if default is None else str(bool(default)).lower()})
    vpc = _one(token, _describe(ctx, token, args, "describe_vpcs", "Vpcs", VpcIds=_ids(args), Filters=wanted))
    ec2 = aws_client(ctx, "ec2", _region(ctx, args))
    with aws_errors(token, vpc["VpcId"], ctx):
        main = ec2.describe_route_tables(Filters=filters({"vpc-id": vpc["VpcId"], "association.main": "true"}))
        attributes = {a: ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute=a)
                      for a in ("enableDnsSupport", "enableDnsHostnames")}
    return {
        "id": vpc["VpcId"], "arn": _arn(ctx, args, "vpc", vpc["VpcId"]), "cidrBlock": vpc.get("CidrBlock"),
        "default": bool(vpc.get("IsDefault")), "dhcpOptionsId": vpc.get("DhcpOptionsId"),
        "instanceTenancy": vpc.get("InstanceTenancy"), "ownerId": vpc.get("OwnerId"), "state": vpc.get("State"),
        "enableDnsSupport": attributes["enableDnsSupport"]["EnableDnsSupport"]["Value"],
        "enableDnsHostnames": attributes["enableDnsHostnames"]["EnableDnsHostnames"]["Value"],
        "mainRouteTableId": next((t["RouteTableId"] for t in main.get("RouteTables", [])), None),
        "cidrBlockAssociations": [{"associationId": a.get("AssociationId"), "cidrBlock": a.get("CidrBlock"),
                                   "state": a.get("CidrBlockState", {}).get("State")}
                                  for a in vpc.get("CidrBlockAssociationSet", [])],
        "tags": tag_dict(vpc.get("Tags")), "filters": args.get("filters"),
    }


def _subnet_filters(args: Mapping[str, Any]) -> list[dict[str, Any]]:
    default = args.get("defaultForAz")
    return _lookup(args, {
        "availability-zone": args.get("availabilityZone"), "availability-zone-id": args.get("availabilityZoneId"),
        "cidr-block": args.get("cidrBlock"), "ipv6-cidr-block-association.ipv6-cidr-block": args.get("ipv6CidrBlock"),
        "state": args.get("state"), "vpc-id": args.get("vpcId"),
        "default-for-az": None if default is None else str(bool(default)).lower(),
    })


def get_subnets(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    found = _describe(ctx, "aws:ec2/getSubnets:getSubnets", args, "describe_subnets", "Subnets",
                      Filters=_subnet_filters(args))
    return {"ids": sorted(s["SubnetId"] for s in found), "id": _region(ctx, args),
            "filters": args.get("filters"), "tags": args.get("tags")}


def get_subnet(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    token = "aws:ec2/getSubnet:getSubnet"
    subnet = _one(token, _describe(ctx, token, args, "describe_subnets", "Subnets", SubnetIds=_ids(args),
                                   Filters=_subnet_filters(args)))
    return {
        "id": subnet["SubnetId"], "arn": subnet.get("SubnetArn") or _arn(ctx, args, "subnet", subnet["SubnetId"]),
        "availabilityZone": subnet.get("AvailabilityZone"), "availabilityZoneId": subnet.get("AvailabilityZoneId"),
        "availableIpAddressCount": subnet.get("AvailableIpAddressCount"), "cidrBlock": subnet.get("CidrBlock"),
        "defaultForAz": bool(subnet.get("DefaultForAz")),
        "mapPublicIpOnLaunch": bool(subnet.get("MapPublicIpOnLaunch")),
        "assignIpv6AddressOnCreation": bool(subnet.get("AssignIpv6AddressOnCreation")),
        "ownerId": subnet.get("OwnerId"), "state": subnet.get("State"), "vpcId": subnet.get("VpcId"),
        "tags": tag_dict(subnet.get("Tags")), "filters": args.get("filters"),
    }


def get_security_group(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    token = "aws:ec2/getSecurityGroup:getSecurityGroup"
    wanted = _lookup(args, {"group-name": args.get("name"), "vpc-id": args.get("vpcId")})
    group = _one(token, _describe(ctx, token, args, "describe_security_groups", "SecurityGroups",
                                  GroupIds=_ids(args), Filters=wanted))
    return {"id": group["GroupId"], "arn": _arn(ctx, args, "security-group", group["GroupId"]),
            "name": group.get("GroupName"), "description": group.get("Description"), "vpcId": group.get("VpcId"),
            "tags": tag_dict(group.get("Tags")), "filters": args.get("filters")}


def get_route_table(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    token = "aws:ec2/getRouteTable:getRouteTable"
    wanted = _lookup(args, {"route-table-id": args.get("routeTableId"), "vpc-id": args.get("vpcId"),
                            "association.subnet-id": args.get("subnetId"),
                            "association.gateway-id": args.get("gatewayId")})
    table = _one(token, _describe(ctx, token, args, "describe_route_tables", "RouteTables", Filters=wanted))
    routes = [{"cidrBlock": r.get("DestinationCidrBlock", ""),
               "ipv6CidrBlock": r.get("DestinationIpv6CidrBlock", ""),
               "gatewayId": r.get("GatewayId", ""), "natGatewayId": r.get("NatGatewayId", ""),
               "transitGatewayId": r.get("TransitGatewayId", ""), "vpcEndpointId": r.get("VpcEndpointId", ""),
               "networkInterfaceId": r.get("NetworkInterfaceId", ""),
               "vpcPeeringConnectionId": r.get("VpcPeeringConnectionId", "")}
              for r in table.get("Routes", []) if r.get("GatewayId") != "local"]
    associations = [{"routeTableAssociationId": a.get("RouteTableAssociationId"),
                     "routeTableId": a.get("RouteTableId"), "subnetId": a.get("SubnetId", ""),
                     "gatewayId": a.get("GatewayId", ""), "main": bool(a.get("Main"))}
                    for a in table.get("Associations", [])]
    rtb = table["RouteTableId"]
    return {"id": rtb, "routeTableId": rtb, "arn": _arn(ctx, args, "route-table", rtb), "vpcId": table.get("VpcId"),
            "ownerId": table.get("OwnerId"), "routes": routes, "associations": associations,
            "subnetId": args.get("subnetId"), "gatewayId": args.get("gatewayId"),
            "tags": tag_dict(table.get("Tags")), "filters": args.get("filters")}


def get_instance_type(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    token = "aws:ec2/getInstanceType:getInstanceType"
    found = _one(token, _describe(ctx, token, args, "describe_instance_types", "InstanceTypes",
                                  InstanceTypes=[args.get("instanceType")]))
    vcpu, memory, network = found.get("VCpuInfo", {}), found.get("MemoryInfo", {}), found.get("NetworkInfo", {})
    processor = found.get("ProcessorInfo", {})
    return {
        "id": found["InstanceType"], "instanceType": found["InstanceType"],
        "defaultVcpus": vcpu.get("DefaultVCpus"), "defaultCores": vcpu.get("DefaultCores"),
        "defaultThreadsPerCore": vcpu.get("DefaultThreadsPerCore"), "memorySize": memory.get("SizeInMiB"),
        "currentGeneration": found.get("CurrentGeneration"), "freeTierEligible": found.get("FreeTierEligible"),
        "hypervisor": found.get("Hypervisor"), "supportedArchitectures": processor.get("SupportedArchitectures", []),
        "sustainedClockSpeed": processor.get("SustainedClockSpeedInGhz"),
        "networkPerformance": network.get("NetworkPerformance"),
        "maximumNetworkInterfaces": network.get("MaximumNetworkInterfaces"),
        "ebsOptimizedSupport": found.get("EbsInfo", {}).get("EbsOptimizedSupport"),
        "supportedUsagesClasses": found.get("SupportedUsageClasses", []),
        "supportedVirtualizationTypes": found.get("SupportedVirtualizationTypes", []),
    }


_HANDLERS: tuple[tuple[str, Callable[[ProviderContext, Mapping[str, Any]], dict[str, Any]]], ...] = (
    ("getAmi", get_ami), ("getVpc", get_vpc), ("getSubnet", get_subnet), ("getSubnets", get_subnets),
    ("getSecurityGroup", get_security_group), ("getRouteTable", get_route_table),
    ("getInstanceType", get_instance_type),
)
FUNCTIONS = tuple(AwsFunction(f"aws:ec2/{name}:{name}", handler) for name, handler in _HANDLERS)
