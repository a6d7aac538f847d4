"""EKS through the engine: a cluster and its managed node group, with the kubeconfig a program
builds from the cluster's endpoint and certificate authority."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.aws.harness import Clients, TypeCase, boto_clients, run_type_case

PROGRAM = '''
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
step = config.require("step")
subnets = config.require("subnets").split(",")
role = "arn:aws:iam::123456789012:role/eks"
cluster = aws.eks.Cluster("eks", role_arn=role, tags={"team": "core"},
                          vpc_config={"subnet_ids": subnets,
                                      "public_access_cidrs": ["0.0.0.0/0" if step == "create" else "10.0.0.0/8"]})
nodes = aws.eks.NodeGroup("nodes", cluster_name=cluster.name, node_role_arn=role, subnet_ids=subnets,
                          disk_size=20 if step != "replace" else 40,
                          scaling_config={"desired_size": 2, "max_size": 2 if step == "create" else 3, "min_size": 1})
pulumi.export("cluster", cluster.name)
pulumi.export("nodes", nodes.node_group_name)
pulumi.export("kubeconfig", pulumi.Output.json_dumps({
    "server": cluster.endpoint, "ca": cluster.certificate_authority.apply(lambda ca: ca.data)}))
'''


def _subnets(endpoint: str) -> str:
    ec2 = boto_clients(endpoint)("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    return ",".join(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2))


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("eks").update_nodegroup_config(clusterName=outputs["cluster"], nodegroupName=outputs["nodes"],
                                           scalingConfig={"desiredSize": 1, "maxSize": 5, "minSize": 1})


@pytest.mark.types
def test_cluster_and_node_group(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        config={"subnets": _subnets(endpoint)},
        updated={"eks": "update", "nodes": "update"},
        replaced={"nodes": "replace"},
        drift=_hand_edit,
        drifted={"nodes": "update"},
    ), tmp_path, endpoint)
    kubeconfig = json.loads(run.outputs("create")["kubeconfig"])
    assert kubeconfig["server"].startswith("https://") and kubeconfig["ca"]
