"""RDS: subnet groups, database instances and clusters. Names, defaults and ForceNew as
pulumi-aws `aws.rds.SubnetGroup`, `Instance` and `Cluster` (terraform-provider-aws
`internal/service/rds/{subnet_group,instance,cluster}.go`).

An instance's changes go through ModifyDBInstance with `applyImmediately` as the program says
(AWS otherwise waits for the maintenance window); its master password is a secret that is
never read back. Deleting honours `skipFinalSnapshot`/`finalSnapshotIdentifier` and
`deleteAutomatedBackups`; a cluster (`aws.rds.Cluster`, Aurora) the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging, Update
from orchestrator.engines.local.providers.base import ProviderError

_NAME = Naming(prefix=None, lower=True, charset="a-z0-9-", pattern=r"[a-z][a-z0-9-]{0,254}",
               rule="lower-case letters, digits and hyphens, starting with a letter")
_TAGGING = Tagging(
    in_doc="TagList",
    tag=Call("add_tags_to_resource", {"ResourceName": "{outputs.arn}", "Tags": "{tags}"}),
    untag=Call("remove_tags_from_resource", {"ResourceName": "{outputs.arn}", "TagKeys": "{keys}"}),
)


class SubnetGroupCode(DeclaredResource):
    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"DBSubnetGroupDescription": inputs["description"]}  # required, even when it is the default

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        live = sorted(s["SubnetIdentifier"] for s in doc.get("Subnets") or ())
        outputs["subnetIds"] = list(inputs["subnetIds"]) if sorted(inputs.get("subnetIds") or ()) == live else live
        return outputs


SUBNET_GROUP = AwsType(
    token="aws:rds/subnetGroup:SubnetGroup",
    client="rds",
    naming=_NAME,
    props=(
        Prop("name", api="DBSubnetGroupName", read="DBSubnetGroupName", replace=True),
        Prop("namePrefix", replace=True),
        Prop("description", api="DBSubnetGroupDescription", read="DBSubnetGroupDescription",
             default="Managed by Pulumi"),
        Prop("subnetIds", kind="list", api="SubnetIds", read="", required=True),
        Prop("arn", read="DBSubnetGroupArn", output=True),
        Prop("vpcId", read="VpcId", output=True),
        Prop("supportedNetworkTypes", kind="list", read="SupportedNetworkTypes", output=True),
    ),
    create=Call("create_db_subnet_group"),
    read=(Call("describe_db_subnet_groups", {"DBSubnetGroupName": "{id}"}, result="DBSubnetGroups[0]",
               absent=("DBSubnetGroupNotFoundFault",)),
          Call("list_tags_for_resource", {"ResourceName": "{doc.DBSubnetGroupArn}"}, result="TagList",
               into="TagList")),
    updates=(Update(Call("modify_db_subnet_group", {"DBSubnetGroupName": "{id}"}),
                    props=("description", "subnetIds")),),
    delete=Call("delete_db_subnet_group", {"DBSubnetGroupName": "{id}"}, absent=("DBSubnetGroupNotFoundFault",)),
    tagging=_TAGGING,
    impl=SubnetGroupCode,
)

_GONE = ("DBInstanceNotFound", "DBInstanceNotFoundFault")
_MODIFIABLE = ("allocatedStorage", "instanceClass", "engineVersion", "password", "backupRetentionPeriod",
               "backupWindow", "maintenanceWindow", "multiAz", "publiclyAccessible", "vpcSecurityGroupIds",
               "dbSubnetGroupName", "storageType", "iops", "deletionProtection", "parameterGroupName", "port",
               "autoMinorVersionUpgrade", "copyTagsToSnapshot", "iamDatabaseAuthenticationEnabled",
               "monitoringInterval", "performanceInsightsEnabled", "caCertIdentifier", "maxAllocatedStorage",
               "allowMajorVersionUpgrade")


class DatabaseCode(DeclaredResource):
    """An instance or a cluster: a final snapshot plan up front, security groups read back as
    ids, deleted with the plan and waited on until gone."""

    KIND = "DBInstance"  # the API's word: DBInstanceIdentifier, delete_db_instance, db_instance_deleted

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if not news.get("skipFinalSnapshot") and not news.get("finalSnapshotIdentifier"):
            # As pulumi-aws: deleting would fail at the end of the stack's life, so say it now.
            raise ProviderError(f"{self.type_token} {name}: set `finalSnapshotIdentifier`, or `skipFinalSnapshot` "
                                "to delete it without a final snapshot")
        return news

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        groups = sorted(g["VpcSecurityGroupId"] for g in doc.get("VpcSecurityGroups") or ())
        given = inputs.get("vpcSecurityGroupIds")
        outputs["vpcSecurityGroupIds"] = list(given) if given and sorted(given) == groups else groups
        return outputs

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        how: dict[str, Any] = {"SkipFinalSnapshot": bool(inputs.get("skipFinalSnapshot"))}
        if self.KIND == "DBInstance":
            how["DeleteAutomatedBackups"] = inputs.get("deleteAutomatedBackups", True) is not False
        if not inputs.get("skipFinalSnapshot"):
            how["FinalDBSnapshotIdentifier"] = inputs["finalSnapshotIdentifier"]
        from orchestrator.engines.local.providers.aws.client import missing

        snake = "db_instance" if self.KIND == "DBInstance" else "db_cluster"
        with self.errors(id, inputs), missing(*self.spec.read[0].absent) as probe:
            getattr(self.client(inputs), f"delete_{snake}")(**{f"{self.KIND}Identifier": id}, **how)
        if not probe.gone:
            with self.errors(id, inputs):
                self.client(inputs).get_waiter(f"{snake}_deleted").wait(
                    **{f"{self.KIND}Identifier": id}, WaiterConfig={"Delay": 5, "MaxAttempts": 360})


class InstanceCode(DatabaseCode):
    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        outputs = super().finish_outputs(outputs, doc, inputs)
        if outputs.get("address") and outputs.get("port"):
            outputs["endpoint"] = f"{outputs['address']}:{outputs['port']}"
        return outputs


INSTANCE = AwsType(
    token="aws:rds/instance:Instance",
    client="rds",
    naming=Naming(prop="identifier", prefix="identifierPrefix", lower=True, max_len=63, charset="a-z0-9-",
                  pattern=r"[a-z][a-z0-9-]{0,62}", rule=_NAME.rule),
    props=(
        Prop("identifier", api="DBInstanceIdentifier", read="DBInstanceIdentifier", replace=True),
        Prop("identifierPrefix", replace=True),
        Prop("engine", api="Engine", read="Engine", replace=True),
        Prop("engineVersion", api="EngineVersion", read="EngineVersion", computed=True),
        Prop("instanceClass", api="DBInstanceClass", read="DBInstanceClass", required=True),
        Prop("allocatedStorage", kind="int", api="AllocatedStorage", read="AllocatedStorage", computed=True),
        Prop("maxAllocatedStorage", kind="int", api="MaxAllocatedStorage", read="MaxAllocatedStorage"),
        Prop("storageType", api="StorageType", read="StorageType", computed=True),
        Prop("iops", kind="int", api="Iops", read="Iops", computed=True),
        Prop("storageEncrypted", kind="bool", api="StorageEncrypted", read="StorageEncrypted", replace=True,
             default=False),
        Prop("kmsKeyId", api="KmsKeyId", read="KmsKeyId", replace=True, computed=True),
        Prop("dbName", api="DBName", read="DBName", replace=True),
        Prop("username", api="MasterUsername", read="MasterUsername", replace=True),
        Prop("password", api="MasterUserPassword", read="", secret=True),
        Prop("port", kind="int", api="Port", read="Endpoint.Port", computed=True),
        Prop("dbSubnetGroupName", api="DBSubnetGroupName", read="DBSubnetGroup.DBSubnetGroupName", computed=True),
        Prop("vpcSecurityGroupIds", kind="list", api="VpcSecurityGroupIds", read="", computed=True),
        Prop("parameterGroupName", api="DBParameterGroupName", read="DBParameterGroups[0].DBParameterGroupName",
             computed=True),
        Prop("availabilityZone", api="AvailabilityZone", read="AvailabilityZone", replace=True, computed=True),
        Prop("multiAz", kind="bool", api="MultiAZ", read="MultiAZ", computed=True),
        Prop("publiclyAccessible", kind="bool", api="PubliclyAccessible", read="PubliclyAccessible", default=False),
        Prop("backupRetentionPeriod", kind="int", api="BackupRetentionPeriod", read="BackupRetentionPeriod",
             computed=True),
        Prop("backupWindow", api="PreferredBackupWindow", read="PreferredBackupWindow", computed=True),
        Prop("maintenanceWindow", api="PreferredMaintenanceWindow", read="PreferredMaintenanceWindow",
             computed=True),
        Prop("autoMinorVersionUpgrade", kind="bool", api="AutoMinorVersionUpgrade", read="AutoMinorVersionUpgrade",
             default=True),
        Prop("copyTagsToSnapshot", kind="bool", api="CopyTagsToSnapshot", read="CopyTagsToSnapshot", default=False),
        Prop("deletionProtection", kind="bool", api="DeletionProtection", read="DeletionProtection", default=False),
        Prop("iamDatabaseAuthenticationEnabled", kind="bool", api="EnableIAMDatabaseAuthentication",
             read="IAMDatabaseAuthenticationEnabled", default=False),
        Prop("monitoringInterval", kind="int", api="MonitoringInterval", read="MonitoringInterval", default=0),
        Prop("performanceInsightsEnabled", kind="bool", api="EnablePerformanceInsights",
             read="PerformanceInsightsEnabled", default=False),
        Prop("caCertIdentifier", api="CACertificateIdentifier", read="CACertificateIdentifier", computed=True),
        Prop("licenseModel", api="LicenseModel", read="LicenseModel", computed=True),
        Prop("characterSetName", api="CharacterSetName", read="CharacterSetName", replace=True, computed=True),
        Prop("skipFinalSnapshot", kind="bool", default=False),
        Prop("finalSnapshotIdentifier"),
        Prop("deleteAutomatedBackups", kind="bool", default=True),
        Prop("applyImmediately", kind="bool", default=False),
        Prop("allowMajorVersionUpgrade", kind="bool", api="AllowMajorVersionUpgrade", read="", on_create=False),
        Prop("arn", read="DBInstanceArn", output=True),
        Prop("address", read="Endpoint.Address", output=True),
        Prop("hostedZoneId", read="Endpoint.HostedZoneId", output=True),
        Prop("endpoint", output=True),
        Prop("resourceId", read="DbiResourceId", output=True),
        Prop("status", read="DBInstanceStatus", output=True),
        Prop("engineVersionActual", read="EngineVersion", output=True),
    ),
    create=Call("create_db_instance", waiter="db_instance_available", waiter_args={"DBInstanceIdentifier": "{id}"}),
    read=(Call("describe_db_instances", {"DBInstanceIdentifier": "{id}"}, result="DBInstances[0]", absent=_GONE),),
    updates=(Update(Call("modify_db_instance", {"DBInstanceIdentifier": "{id}",
                                                "ApplyImmediately": "{inputs.applyImmediately}"},
                         waiter="db_instance_available", waiter_args={"DBInstanceIdentifier": "{id}"}),
                    props=_MODIFIABLE, changed_only=True,
                    paths={"port": "DBPortNumber", "parameterGroupName": "DBParameterGroupName"}),),
    delete=None,
    tagging=_TAGGING,
    impl=InstanceCode,
)


class ClusterCode(DatabaseCode):
    KIND = "DBCluster"


_CLUSTER_GONE = ("DBClusterNotFoundFault", "DBClusterNotFound")
_CLUSTER_MODIFIABLE = ("engineVersion", "masterPassword", "port", "vpcSecurityGroupIds", "backupRetentionPeriod",
                       "preferredBackupWindow", "preferredMaintenanceWindow", "deletionProtection",
                       "copyTagsToSnapshot", "iamDatabaseAuthenticationEnabled", "dbClusterParameterGroupName",
                       "enableHttpEndpoint", "allowMajorVersionUpgrade")

CLUSTER = AwsType(
    token="aws:rds/cluster:Cluster",
    client="rds",
    naming=Naming(prop="clusterIdentifier", prefix="clusterIdentifierPrefix", lower=True, max_len=63,
                  charset="a-z0-9-", pattern=r"[a-z][a-z0-9-]{0,62}", rule=_NAME.rule),
    props=(
        Prop("clusterIdentifier", api="DBClusterIdentifier", read="DBClusterIdentifier", replace=True),
        Prop("clusterIdentifierPrefix", replace=True),
        Prop("engine", api="Engine", read="Engine", replace=True, required=True),
        Prop("engineMode", api="EngineMode", read="EngineMode", replace=True, default="provisioned"),
        Prop("engineVersion", api="EngineVersion", read="EngineVersion", computed=True),
        Prop("databaseName", api="DatabaseName", read="DatabaseName", replace=True),
        Prop("masterUsername", api="MasterUsername", read="MasterUsername", replace=True),
        Prop("masterPassword", api="MasterUserPassword", read="", secret=True),
        Prop("port", kind="int", api="Port", read="Port", computed=True),
        Prop("dbSubnetGroupName", api="DBSubnetGroupName", read="DBSubnetGroup", replace=True, computed=True),
        Prop("vpcSecurityGroupIds", kind="list", api="VpcSecurityGroupIds", read="", computed=True),
        Prop("availabilityZones", kind="list", api="AvailabilityZones", read="", replace=True, computed=True),
        Prop("backupRetentionPeriod", kind="int", api="BackupRetentionPeriod", read="BackupRetentionPeriod",
             default=1),
        Prop("preferredBackupWindow", api="PreferredBackupWindow", read="PreferredBackupWindow", computed=True),
        Prop("preferredMaintenanceWindow", api="PreferredMaintenanceWindow", read="PreferredMaintenanceWindow",
             computed=True),
        Prop("storageEncrypted", kind="bool", api="StorageEncrypted", read="StorageEncrypted", replace=True,
             computed=True),
        Prop("kmsKeyId", api="KmsKeyId", read="KmsKeyId", replace=True, computed=True),
        Prop("deletionProtection", kind="bool", api="DeletionProtection", read="DeletionProtection", default=False),
        Prop("copyTagsToSnapshot", kind="bool", api="CopyTagsToSnapshot", read="CopyTagsToSnapshot", default=False),
        Prop("iamDatabaseAuthenticationEnabled", kind="bool", api="EnableIAMDatabaseAuthentication",
             read="IAMDatabaseAuthenticationEnabled", default=False),
        Prop("dbClusterParameterGroupName", api="DBClusterParameterGroupName", read="DBClusterParameterGroup",
             computed=True),
        Prop("enableHttpEndpoint", kind="bool", api="EnableHttpEndpoint", read="HttpEndpointEnabled", default=False),
        Prop("skipFinalSnapshot", kind="bool", default=False),
        Prop("finalSnapshotIdentifier"),
        Prop("applyImmediately", kind="bool", default=False),
        Prop("allowMajorVersionUpgrade", kind="bool", api="AllowMajorVersionUpgrade", read="", on_create=False),
        Prop("arn", read="DBClusterArn", output=True),
        Prop("endpoint", read="Endpoint", output=True),
        Prop("readerEndpoint", read="ReaderEndpoint", output=True),
        Prop("hostedZoneId", read="HostedZoneId", output=True),
        Prop("clusterResourceId", read="DbClusterResourceId", output=True),
        Prop("engineVersionActual", read="EngineVersion", output=True),
    ),
    create=Call("create_db_cluster", waiter="db_cluster_available", waiter_args={"DBClusterIdentifier": "{id}"}),
    read=(Call("describe_db_clusters", {"DBClusterIdentifier": "{id}"}, result="DBClusters[0]",
               absent=_CLUSTER_GONE),),
    updates=(Update(Call("modify_db_cluster", {"DBClusterIdentifier": "{id}",
                                               "ApplyImmediately": "{inputs.applyImmediately}"},
                         waiter="db_cluster_available", waiter_args={"DBClusterIdentifier": "{id}"}),
                    props=_CLUSTER_MODIFIABLE, changed_only=True),),
    delete=None,
    tagging=_TAGGING,
    impl=ClusterCode,
)

TYPES = (SUBNET_GROUP, INSTANCE, CLUSTER)
