"""EC2 VPC endpoints: gateway endpoints (S3, DynamoDB) that add a route to the service's prefix
list in each route table, and interface endpoints with network interfaces in subnets. Names,
defaults and ForceNew as pulumi-aws `aws.ec2.VpcEndpoint` (terraform-provider-aws
`internal/service/ec2/vpc_endpoint.go`).

Route tables, subnets and security groups are sets changed in place with ModifyVpcEndpoint's
Add.../Remove... lists; the policy, private DNS and address type are set by the same call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services._ec2.common import arn, ec2_tagging
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop
from orchestrator.engines.local.providers.aws.values import same_set

_GONE = ("InvalidVpcEndpointId.NotFound",)
# pulumi-aws name → (the live document's list, ModifyVpcEndpoint's suffix for Add.../Remove...)
_SETS = (("routeTableIds", "RouteTableIds", "RouteTableIds"), ("subnetIds", "SubnetIds", "SubnetIds"),
         ("securityGroupIds", "groupIds", "SecurityGroupIds"))


class VpcEndpointCode(DeclaredResource):
    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        # Sent even when it is pulumi-aws's default, as terraform-provider-aws sends it.
        return {"VpcEndpointType": inputs.get("vpcEndpointType") or "Gateway"}

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        if doc is not None:
            doc["groupIds"] = [g["GroupId"] for g in doc.get("Groups") or ()]
        return doc

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        for name, live, _ in _SETS:
            outputs[name] = same_set(doc.get(live), inputs.get(name))
        return outputs

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        request: dict[str, Any] = {}
        for name, _, api in _SETS:
            had, wanted = set(old_outputs.get(name) or ()), set(news.get(name) or ())
            if wanted - had:
                request[f"Add{api}"] = sorted(wanted - had)
            if had - wanted:
                request[f"Remove{api}"] = sorted(had - wanted)
        for name, api in (("privateDnsEnabled", "PrivateDnsEnabled"), ("ipAddressType", "IpAddressType")):
            if news.get(name) is not None and news.get(name) != old_inputs.get(name):
                request[api] = news[name]
        if news.get("policy") != old_inputs.get("policy"):
            if news.get("policy"):
                request["PolicyDocument"] = news["policy"]
            else:
                request["ResetPolicy"] = True
        if request:
            self.client(news).modify_vpc_endpoint(VpcEndpointId=id, **request)


VPC_ENDPOINT = AwsType(
    token="aws:ec2/vpcEndpoint:VpcEndpoint",
    client="ec2",
    props=(
        Prop("vpcId", api="VpcId", read="VpcId", required=True, replace=True),
        Prop("serviceName", api="ServiceName", read="ServiceName", replace=True),
        Prop("vpcEndpointType", api="VpcEndpointType", read="VpcEndpointType", default="Gateway", replace=True,
             choices=("Gateway", "Interface", "GatewayLoadBalancer", "Resource", "ServiceNetwork")),
        Prop("serviceRegion", api="ServiceRegion", read="", replace=True, computed=True),
        Prop("autoAccept", kind="bool"),
        Prop("routeTableIds", kind="list", api="RouteTableIds", read="", computed=True),
        Prop("subnetIds", kind="list", api="SubnetIds", read="", computed=True),
        Prop("securityGroupIds", kind="list", api="SecurityGroupIds", read="", computed=True),
        Prop("policy", kind="json", api="PolicyDocument", read="PolicyDocument", computed=True),
        Prop("privateDnsEnabled", kind="bool", api="PrivateDnsEnabled", read="PrivateDnsEnabled", computed=True),
        Prop("ipAddressType", api="IpAddressType", read="IpAddressType", computed=True),
        Prop("arn", template=arn("vpc-endpoint")),
        Prop("state", read="State", output=True),
        Prop("ownerId", read="OwnerId", output=True),
        Prop("prefixListId", read="DestinationPrefixListId", output=True),
        Prop("networkInterfaceIds", kind="list", read="NetworkInterfaceIds", output=True),
        Prop("dnsEntries", kind="list", read="DnsEntries", output=True,
             props=(Prop("dnsName", api="DnsName"), Prop("hostedZoneId", api="HostedZoneId"))),
        Prop("requesterManaged", kind="bool", read="RequesterManaged", output=True),
    ),
    create=Call("create_vpc_endpoint", id="VpcEndpoint.VpcEndpointId"),
    read=(Call("describe_vpc_endpoints", {"VpcEndpointIds": ["{id}"]}, result="VpcEndpoints[0]", absent=_GONE,
               gone=("State", ("deleted", "Deleted", "deleting", "Deleting"))),),
    delete=Call("delete_vpc_endpoints", {"VpcEndpointIds": ["{id}"]}, absent=_GONE),
    tagging=ec2_tagging("vpc-endpoint"),
    impl=VpcEndpointCode,
)

TYPES = (VPC_ENDPOINT,)
