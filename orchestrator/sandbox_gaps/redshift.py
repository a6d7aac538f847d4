"""Redshift in the sandbox: stand-ins for two calls moto lacks.

ModifyClusterSubnetGroup (a subnet group's description and subnets) and ModifyClusterIamRoles
(roles added to and removed from a cluster) behave as the Redshift API reference documents
them: the changed subnet group or cluster is returned, a missing one fails with
ClusterSubnetGroupNotFoundFault or ClusterNotFound, and a subnet that does not exist with
InvalidSubnet.
"""

from __future__ import annotations

from typing import Any


def close() -> None:
    from moto.core.responses import ActionResult
    from moto.redshift.exceptions import InvalidSubnetError
    from moto.redshift.responses import RedshiftResponse

    def modify_cluster_subnet_group(self: Any) -> Any:
        backend = self.redshift_backend
        group = backend.describe_cluster_subnet_groups(self._get_param("ClusterSubnetGroupName"))[0]
        subnet_ids = self._get_param("SubnetIds", [])
        had = group.subnet_ids
        group.subnet_ids = subnet_ids
        if not group.subnets:  # every subnet is looked up, as on create
            group.subnet_ids = had
            raise InvalidSubnetError(subnet_ids)
        if self._get_param("Description") is not None:
            group.description = self._get_param("Description")
        return ActionResult({"ClusterSubnetGroup": group})

    def modify_cluster_iam_roles(self: Any) -> Any:
        cluster = self.redshift_backend.describe_clusters(self._get_param("ClusterIdentifier"))[0]
        removed = set(self._get_param("RemoveIamRoles", []))
        roles = [r for r in cluster.iam_roles_arn if r not in removed]
        roles += [r for r in self._get_param("AddIamRoles", []) if r not in roles]
        cluster.iam_roles_arn = roles
        if self._get_param("DefaultIamRoleArn"):
            cluster.default_iam_role_arn = self._get_param("DefaultIamRoleArn")
        return ActionResult({"Cluster": cluster})

    RedshiftResponse.modify_cluster_subnet_group = modify_cluster_subnet_group  # type: ignore[attr-defined]
    RedshiftResponse.modify_cluster_iam_roles = modify_cluster_iam_roles  # type: ignore[attr-defined]
