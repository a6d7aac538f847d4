"""EKS through its provider against moto, quickly (the whole-engine case is in
tests/aws/test_eks.py under the `types` marker): a cluster and a managed node group created, read
back, changed in place, replaced on a replace-on-change property, deleted, then gone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.engines.local.providers.base import ProviderContext
from tests.providers.test_more_services import _life
from tests.support.providers import provider

Boto = Callable[[str], Any]


def test_cluster_and_node_group(ctx: ProviderContext, boto: Boto) -> None:
    ec2 = boto("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    role = "arn:aws:iam::123456789012:role/eks"
    vpc_config = {"subnetIds": subnets, "publicAccessCidrs": ["0.0.0.0/0"]}
    cluster = _life(ctx, "aws:eks/cluster:Cluster", "eks", {"roleArn": role, "vpcConfig": vpc_config},
                    {"vpcConfig": {**vpc_config, "publicAccessCidrs": ["10.0.0.0/8"]}}, {"roleArn": role + "-2"})
    assert cluster["endpoint"].startswith("https://") and cluster["certificateAuthority"]["data"]
    assert cluster["identities"][0]["oidcs"][0]["issuer"].startswith("https://oidc.eks.")
    assert cluster["tagsAll"] == {"ManagedBy": "orchestrator-tests"}

    holder = provider("aws:eks/cluster:Cluster", ctx)
    inputs = holder.check("urn", "holder", None, {"roleArn": role, "vpcConfig": vpc_config})
    name, outputs = holder.create("urn", inputs)
    group = _life(ctx, "aws:eks/nodeGroup:NodeGroup", "nodes",
                  {"clusterName": name, "nodeRoleArn": role, "subnetIds": subnets, "labels": {"tier": "a"},
                   "scalingConfig": {"desiredSize": 2.0, "maxSize": 2.0, "minSize": 1.0}},
                  {"scalingConfig": {"desiredSize": 3.0, "maxSize": 4.0, "minSize": 1.0}, "labels": {"tier": "b"}},
                  {"diskSize": 50.0})
    assert group["arn"].startswith(f"arn:aws:eks:us-east-1:123456789012:nodegroup/{name}/nodes-")
    assert group["scalingConfig"] == {"desiredSize": 3, "maxSize": 4, "minSize": 1} and group["labels"] == {"tier": "b"}
    holder.delete("urn", name, inputs, outputs)
    assert holder.read("urn", name, inputs, outputs) is None
