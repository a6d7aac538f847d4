"""Provider functions of the `aws` package itself (`aws:index/...`): who and where we are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import aws_client, aws_errors
from orchestrator.engines.local.providers.aws.spec import AwsFunction
from orchestrator.engines.local.providers.base import ProviderContext

_ZONE_LETTERS = "abc"


def _region(ctx: ProviderContext, args: Mapping[str, Any]) -> str:
    region = args.get("region") or args.get("name")
    return str(region) if region else ctx.aws.region


def caller_identity(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    with aws_errors("aws:index/getCallerIdentity", "GetCallerIdentity", ctx):
        found = aws_client(ctx, "sts", ctx.aws.region).get_caller_identity()
    return {"accountId": found["Account"], "arn": found["Arn"], "userId": found["UserId"], "id": found["Account"]}


def region(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    name = _region(ctx, args)
    return {"name": name, "region": name, "id": name, "description": name, "endpoint": f"ec2.{name}.amazonaws.com"}


def partition(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}


def availability_zones(ctx: ProviderContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """The region's zones as EC2 lists them (moto knows every region's zones)."""
    name = _region(ctx, args)
    with aws_errors("aws:index/getAvailabilityZones", "DescribeAvailabilityZones", ctx):
        zones = aws_client(ctx, "ec2", name).describe_availability_zones()["AvailabilityZones"]
    wanted = args.get("state")
    zones = [z for z in zones if not wanted or z.get("State") == wanted]
    return {
        "names": [z["ZoneName"] for z in zones],
        "zoneIds": [z["ZoneId"] for z in zones],
        "groupNames": sorted({z.get("GroupName", name) for z in zones}),
        "id": name,
        "region": name,
    }


FUNCTIONS = (
    AwsFunction("aws:index/getCallerIdentity:getCallerIdentity", caller_identity),
    AwsFunction("aws:index/getRegion:getRegion", region),
    AwsFunction("aws:index/getPartition:getPartition", partition),
    AwsFunction("aws:index/getAvailabilityZones:getAvailabilityZones", availability_zones),
)
