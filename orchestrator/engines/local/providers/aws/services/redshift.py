"""Redshift: subnet groups and provisioned clusters. Names, defaults and ForceNew as pulumi-aws
`aws.redshift.SubnetGroup` and `Cluster` (terraform-provider-aws
`internal/service/redshift/{subnet_group,cluster}.go`).

A cluster's changes go through ModifyCluster, its IAM roles through ModifyClusterIamRoles
(roles added and removed); the master password is a secret never read back. Deleting honours
`skipFinalSnapshot`/`finalSnapshotIdentifier` and waits until the cluster is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.aws.values import same_set
from orchestrator.engines.local.providers.base import ProviderError

_RULE = "lower-case letters, digits and hyphens"


def _tagging(kind: str) -> Tagging:
    where = "arn:{partition}:redshift:{region}:{account}:" + kind + ":{id}"
    return Tagging(
        on_create="Tags",
        tag=Call("create_tags", {"ResourceName": where, "Tags": "{tags}"}),
        untag=Call("delete_tags", {"ResourceName": where, "TagKeys": "{keys}"}),
    )


class SubnetGroupCode(DeclaredResource):
    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        live = [s["SubnetIdentifier"] for s in doc.get("Subnets") or ()]
        outputs["subnetIds"] = same_set(live, inputs.get("subnetIds"))
        return outputs


SUBNET_GROUP = AwsType(
    token="aws:redshift/subnetGroup:SubnetGroup",
    client="redshift",
    naming=Naming(prefix=None, lower=True, charset="a-z0-9-", pattern=r"[a-z0-9-]{1,255}", rule=_RULE),
    props=(
        Prop("name", api="ClusterSubnetGroupName", read="ClusterSubnetGroupName", replace=True),
        Prop("description", api="Description", read="Description", default="Managed by Pulumi"),
        Prop("subnetIds", kind="list", api="SubnetIds", read="", required=True),
        Prop("arn", template="arn:{partition}:redshift:{region}:{account}:subnetgroup:{id}"),
    ),
    create=Call("create_cluster_subnet_group"),
    read=(Call("describe_cluster_subnet_groups", {"ClusterSubnetGroupName": "{id}"},
               result="ClusterSubnetGroups[0]", absent=("ClusterSubnetGroupNotFoundFault",)),),
    updates=(Update(Call("modify_cluster_subnet_group", {"ClusterSubnetGroupName": "{id}"}),
                    props=("description", "subnetIds")),),
    delete=Call("delete_cluster_subnet_group", {"ClusterSubnetGroupName": "{id}"},
                absent=("ClusterSubnetGroupNotFoundFault",)),
    tagging=_tagging("subnetgroup"),
    impl=SubnetGroupCode,
)

_GONE = ("ClusterNotFound", "ClusterNotFoundFault")
_RESIZE = ("nodeType", "numberOfNodes", "clusterType")
_MODIFIABLE = ("masterPassword", "vpcSecurityGroupIds", "publiclyAccessible",
               "automatedSnapshotRetentionPeriod", "preferredMaintenanceWindow", "clusterParameterGroupName",
               "clusterVersion", "allowVersionUpgrade", "encrypted", "kmsKeyId", "enhancedVpcRouting", "port",
               "availabilityZone", "manualSnapshotRetentionPeriod", "maintenanceTrackName")


class ClusterCode(DeclaredResource):
    """Sets read back in the program's order, the cluster type from its node count (AWS
    reports only the count), a resize in one call, IAM roles changed by difference, delete
    with the snapshot plan."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if not news.get("skipFinalSnapshot") and not news.get("finalSnapshotIdentifier"):
            raise ProviderError(f"{self.type_token} {name}: set `finalSnapshotIdentifier`, or `skipFinalSnapshot` "
                                "to delete it without a final snapshot")
        return news

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        # AWS wants a node count only for multi-node clusters.
        single = inputs.get("clusterType", "single-node") == "single-node" and inputs.get("numberOfNodes", 1) == 1
        return {"ClusterType": "single-node" if single else "multi-node",
                "NumberOfNodes": None if single else int(inputs.get("numberOfNodes") or 1)}

    def _resize(self, id: str, inputs: Mapping[str, Any]) -> None:
        """A resize names the node type, cluster type and node count together, as AWS asks."""
        sized = {k: v for k, v in self.create_args(inputs).items() if v is not None}
        client = self.client(inputs)
        client.modify_cluster(ClusterIdentifier=id, NodeType=inputs["nodeType"], **sized)
        client.get_waiter("cluster_available").wait(ClusterIdentifier=id, WaiterConfig={"Delay": 5, "MaxAttempts": 480})

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        groups = [g["VpcSecurityGroupId"] for g in doc.get("VpcSecurityGroups") or ()]
        outputs["vpcSecurityGroupIds"] = same_set(groups, inputs.get("vpcSecurityGroupIds"))
        roles = [r["IamRoleArn"] for r in doc.get("IamRoles") or ()]
        outputs["iamRoles"] = same_set(roles, inputs.get("iamRoles"))
        outputs["clusterType"] = "multi-node" if int(doc.get("NumberOfNodes") or 1) > 1 else "single-node"
        address, port = outputs.get("dnsName"), outputs.get("port")
        if address:
            outputs["endpoint"] = f"{address}:{port}" if port else address
        return outputs

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        had, wanted = set(old_outputs.get("iamRoles") or ()), set(news.get("iamRoles") or ())
        if news.get("iamRoles") is not None and had != wanted:
            self.client(news).modify_cluster_iam_roles(
                ClusterIdentifier=id, AddIamRoles=sorted(wanted - had), RemoveIamRoles=sorted(had - wanted))
        if any(news.get(name) != old_inputs.get(name) for name in _RESIZE):
            self._resize(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        from orchestrator.engines.local.providers.aws.client import missing

        how: dict[str, Any] = {"SkipFinalClusterSnapshot": bool(inputs.get("skipFinalSnapshot"))}
        if not inputs.get("skipFinalSnapshot"):
            how["FinalClusterSnapshotIdentifier"] = inputs["finalSnapshotIdentifier"]
        with self.errors(id, inputs), missing(*_GONE) as probe:
            self.client(inputs).delete_cluster(ClusterIdentifier=id, **how)
        if not probe.gone:
            with self.errors(id, inputs):
                self.client(inputs).get_waiter("cluster_deleted").wait(
                    ClusterIdentifier=id, WaiterConfig={"Delay": 5, "MaxAttempts": 480})


CLUSTER = AwsType(
    token="aws:redshift/cluster:Cluster",
    client="redshift",
    id="{inputs.clusterIdentifier}",
    props=(
        Prop("clusterIdentifier", api="ClusterIdentifier", read="ClusterIdentifier", replace=True, required=True),
        Prop("nodeType", api="NodeType", read="NodeType", required=True),
        Prop("clusterType", read="", computed=True, choices=("single-node", "multi-node")),
        Prop("numberOfNodes", kind="int", api="NumberOfNodes", read="NumberOfNodes", default=1),
        # ModifyCluster cannot rename the first database or its owner: a new one replaces the cluster.
        Prop("databaseName", api="DBName", read="DBName", replace=True, computed=True),
        Prop("masterUsername", api="MasterUsername", read="MasterUsername", replace=True),
        Prop("masterPassword", api="MasterUserPassword", read="", secret=True),
        Prop("clusterSubnetGroupName", api="ClusterSubnetGroupName", read="ClusterSubnetGroupName", replace=True,
             computed=True),
        Prop("vpcSecurityGroupIds", kind="list", api="VpcSecurityGroupIds", read="", computed=True),
        Prop("iamRoles", kind="list", api="IamRoles", read="", computed=True),
        Prop("defaultIamRoleArn", api="DefaultIamRoleArn", read="DefaultIamRoleArn", computed=True),
        Prop("publiclyAccessible", kind="bool", api="PubliclyAccessible", read="PubliclyAccessible", default=True),
        Prop("port", kind="int", api="Port", read="Endpoint.Port", default=5439),
        Prop("availabilityZone", api="AvailabilityZone", read="AvailabilityZone", computed=True),
        Prop("automatedSnapshotRetentionPeriod", kind="int", api="AutomatedSnapshotRetentionPeriod",
             read="AutomatedSnapshotRetentionPeriod", default=1),
        Prop("manualSnapshotRetentionPeriod", kind="int", api="ManualSnapshotRetentionPeriod", read="",
             default=-1),
        Prop("preferredMaintenanceWindow", api="PreferredMaintenanceWindow", read="PreferredMaintenanceWindow",
             computed=True),
        Prop("maintenanceTrackName", api="MaintenanceTrackName", read="", default="current"),
        Prop("clusterParameterGroupName", api="ClusterParameterGroupName",
             read="ClusterParameterGroups[0].ParameterGroupName", computed=True),
        Prop("clusterVersion", api="ClusterVersion", read="ClusterVersion", default="1.0"),
        Prop("allowVersionUpgrade", kind="bool", api="AllowVersionUpgrade", read="AllowVersionUpgrade",
             default=True),
        Prop("encrypted", kind="bool", api="Encrypted", read="Encrypted", default=False),
        Prop("kmsKeyId", api="KmsKeyId", read="KmsKeyId", computed=True),
        Prop("enhancedVpcRouting", kind="bool", api="EnhancedVpcRouting", read="EnhancedVpcRouting",
             computed=True),
        Prop("skipFinalSnapshot", kind="bool", default=False),
        Prop("finalSnapshotIdentifier"),
        Prop("applyImmediately", kind="bool", default=False),
        Prop("arn", template="arn:{partition}:redshift:{region}:{account}:cluster:{id}"),
        Prop("dnsName", read="Endpoint.Address", output=True),
        Prop("endpoint", output=True),
        Prop("clusterNamespaceArn", read="ClusterNamespaceArn", output=True),
    ),
    create=Call("create_cluster", waiter="cluster_available", waiter_args={"ClusterIdentifier": "{id}"}),
    read=(Call("describe_clusters", {"ClusterIdentifier": "{id}"}, result="Clusters[0]", absent=_GONE),),
    updates=(Update(Call("modify_cluster", {"ClusterIdentifier": "{id}"}, waiter="cluster_available",
                         waiter_args={"ClusterIdentifier": "{id}"}),
                    props=_MODIFIABLE, changed_only=True, paths={"masterPassword": "MasterUserPassword"}),),
    delete=None,
    tagging=_tagging("cluster"),
    impl=ClusterCode,
)

TYPES = (SUBNET_GROUP, CLUSTER)
