"""EKS: clusters and managed node groups. Names, defaults and ForceNew as pulumi-aws
`aws.eks.Cluster` and `aws.eks.NodeGroup` (terraform-provider-aws `internal/service/eks/cluster.go`,
`node_group.go`). A cluster's id is its name; a node group's is `<cluster>:<node group>`.
Only the properties below are supported; any other input is refused by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update

_GONE = ("ResourceNotFoundException",)
_NAME = r"[0-9A-Za-z][A-Za-z0-9_-]{0,99}"
_TAGS = Tagging(
    on_create="tags",
    form="map",
    in_doc="tags",
    tag=Call("tag_resource", {"resourceArn": "{outputs.arn}", "tags": "{tags}"}),
    untag=Call("untag_resource", {"resourceArn": "{outputs.arn}", "tagKeys": "{keys}"}),
)


class ClusterCode(DeclaredResource):
    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        # EKS answers `identity.oidc.issuer`; pulumi-aws lists it as identities[].oidcs[].issuer.
        issuer = ((doc.get("identity") or {}).get("oidc") or {}).get("issuer")
        outputs["identities"] = [{"oidcs": [{"issuer": issuer}]}] if issuer else []
        if outputs.get("createdAt") is not None:
            outputs["createdAt"] = str(outputs["createdAt"])
        return outputs


CLUSTER = AwsType(
    token="aws:eks/cluster:Cluster",
    client="eks",
    naming=Naming(prefix=None, max_len=100, pattern=_NAME,
                  rule="up to 100 letters, digits, hyphens and underscores, starting with a letter or digit"),
    props=(
        Prop("name", api="name", read="name", replace=True),
        Prop("roleArn", api="roleArn", read="roleArn", replace=True, required=True),
        Prop("version", api="version", read="version", computed=True),
        Prop("vpcConfig", kind="object", api="resourcesVpcConfig", read="resourcesVpcConfig", required=True, props=(
            Prop("subnetIds", kind="list", api="subnetIds", replace=True),
            Prop("securityGroupIds", kind="list", api="securityGroupIds", replace=True),
            Prop("endpointPrivateAccess", kind="bool", api="endpointPrivateAccess", default=False),
            Prop("endpointPublicAccess", kind="bool", api="endpointPublicAccess", default=True),
            Prop("publicAccessCidrs", kind="list", api="publicAccessCidrs"),
            Prop("clusterSecurityGroupId", read="clusterSecurityGroupId", output=True),
            Prop("vpcId", read="vpcId", output=True),
        )),
        Prop("kubernetesNetworkConfig", kind="object", api="kubernetesNetworkConfig", read="kubernetesNetworkConfig",
             computed=True, replace=True, props=(
                 Prop("serviceIpv4Cidr", api="serviceIpv4Cidr"),
                 Prop("ipFamily", api="ipFamily"),
             )),
        Prop("arn", read="arn", output=True),
        Prop("endpoint", read="endpoint", output=True),
        Prop("certificateAuthority", kind="object", read="certificateAuthority", output=True,
             props=(Prop("data", read="data"),)),
        Prop("identities", output=True),
        Prop("platformVersion", read="platformVersion", output=True),
        Prop("status", read="status", output=True),
        Prop("createdAt", read="createdAt", output=True),
    ),
    create=Call("create_cluster", id="cluster.name", waiter="cluster_active", waiter_args={"name": "{id}"}),
    read=(Call("describe_cluster", {"name": "{id}"}, result="cluster", absent=_GONE),),
    updates=(
        Update(Call("update_cluster_version", {"name": "{id}"}), props=("version",)),
        Update(Call("update_cluster_config", {"name": "{id}"}), props=("vpcConfig",),
               paths={"vpcConfig": "resourcesVpcConfig"}),
    ),
    delete=Call("delete_cluster", {"name": "{id}"}, absent=_GONE, waiter="cluster_deleted",
                waiter_args={"name": "{id}"}),
    tagging=_TAGS,
    impl=ClusterCode,
)


class NodeGroupCode(DeclaredResource):
    """Labels change by difference (`addOrUpdateLabels`, `removeLabels`) in UpdateNodegroupConfig."""

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        had, wanted = old_inputs.get("labels") or {}, news.get("labels") or {}
        if had == wanted:
            return
        labels: dict[str, Any] = {}
        changed = {k: v for k, v in wanted.items() if had.get(k) != v}
        removed = [k for k in had if k not in wanted]
        if changed:
            labels["addOrUpdateLabels"] = changed
        if removed:
            labels["removeLabels"] = removed
        eks = self.client(news)
        eks.update_nodegroup_config(clusterName=news["clusterName"], nodegroupName=news["nodeGroupName"],
                                    labels=labels)
        eks.get_waiter("nodegroup_active").wait(clusterName=news["clusterName"],
                                                nodegroupName=news["nodeGroupName"],
                                                WaiterConfig={"Delay": 1, "MaxAttempts": 600})

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        found = doc.get("resources") or {}
        outputs["resources"] = [{
            "autoscalingGroups": [{"name": g.get("name")} for g in found.get("autoScalingGroups") or []],
            "remoteAccessSecurityGroupId": found.get("remoteAccessSecurityGroup"),
        }]
        return outputs


_GROUP = {"clusterName": "{inputs.clusterName}", "nodegroupName": "{inputs.nodeGroupName}"}

NODE_GROUP = AwsType(
    token="aws:eks/nodeGroup:NodeGroup",
    client="eks",
    naming=Naming(prop="nodeGroupName", prefix="nodeGroupNamePrefix", max_len=63,
                  pattern=r"[0-9A-Za-z][A-Za-z0-9_-]{0,62}",
                  rule="up to 63 letters, digits, hyphens and underscores, starting with a letter or digit"),
    props=(
        Prop("clusterName", api="clusterName", read="clusterName", replace=True, required=True),
        Prop("nodeGroupName", api="nodegroupName", read="nodegroupName", replace=True),
        Prop("nodeGroupNamePrefix", replace=True),
        Prop("nodeRoleArn", api="nodeRole", read="nodeRole", replace=True, required=True),
        Prop("subnetIds", kind="list", api="subnets", read="subnets", replace=True, required=True),
        Prop("scalingConfig", kind="object", api="scalingConfig", read="scalingConfig", required=True, props=(
            Prop("desiredSize", kind="int", api="desiredSize"),
            Prop("maxSize", kind="int", api="maxSize"),
            Prop("minSize", kind="int", api="minSize"),
        )),
        Prop("amiType", api="amiType", read="amiType", replace=True, computed=True),
        Prop("capacityType", api="capacityType", read="capacityType", replace=True, computed=True,
             choices=("ON_DEMAND", "SPOT", "CAPACITY_BLOCK")),
        Prop("diskSize", kind="int", api="diskSize", read="diskSize", replace=True, computed=True),
        Prop("instanceTypes", kind="list", api="instanceTypes", read="instanceTypes", replace=True, computed=True),
        Prop("labels", kind="map", api="labels", read="labels"),
        Prop("remoteAccess", kind="object", api="remoteAccess", read="remoteAccess", replace=True, props=(
            Prop("ec2SshKey", api="ec2SshKey"),
            Prop("sourceSecurityGroupIds", kind="list", api="sourceSecurityGroups"),
        )),
        Prop("version", api="version", read="version", computed=True, replace=True),
        Prop("releaseVersion", api="releaseVersion", read="releaseVersion", computed=True, replace=True),
        Prop("arn", read="nodegroupArn", output=True),
        Prop("status", read="status", output=True),
        Prop("resources", output=True),
    ),
    create=Call("create_nodegroup", waiter="nodegroup_active", waiter_args=_GROUP),
    id="{inputs.clusterName}:{inputs.nodeGroupName}",
    read=(Call("describe_nodegroup", _GROUP, result="nodegroup", absent=_GONE),),
    updates=(Update(Call("update_nodegroup_config", _GROUP), props=("scalingConfig",)),),
    delete=Call("delete_nodegroup", _GROUP, absent=_GONE, waiter="nodegroup_deleted", waiter_args=_GROUP),
    tagging=_TAGS,
    impl=NodeGroupCode,
)

TYPES = (CLUSTER, NODE_GROUP)
