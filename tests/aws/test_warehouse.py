"""A VPC endpoint and a Redshift cluster through the engine: a gateway endpoint to S3 in two
route tables, a Redshift subnet group, and a single-node cluster with an IAM role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.engines.base import SECRET
from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import json
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
step = config.require("step")
vpc = aws.ec2.Vpc("net", cidr_block="10.7.0.0/16")
subnets = [aws.ec2.Subnet(f"net-{i}", vpc_id=vpc.id, cidr_block=f"10.7.{i}.0/24") for i in (1, 2)]
tables = [aws.ec2.RouteTable(f"routes-{i}", vpc_id=vpc.id) for i in (1, 2)]
service = "s3" if step != "replace" else "dynamodb"
endpoint = aws.ec2.VpcEndpoint("s3", vpc_id=vpc.id, service_name=f"com.amazonaws.us-east-1.{service}",
                               route_table_ids=[t.id for t in (tables[:1] if step == "create" else tables)])
group = aws.redshift.SubnetGroup("warehouse-subnets", name="wh-subnets" if step != "replace" else "wh-subnets-2",
                                 description="one" if step == "create" else "two",
                                 subnet_ids=[s.id for s in (subnets[:1] if step == "create" else subnets)])
role = aws.iam.Role("loader", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "redshift.amazonaws.com"}}]}))
cluster = aws.redshift.Cluster("warehouse", cluster_identifier="wh-one" if step != "replace" else "wh-two",
                               node_type="dc2.large", cluster_type="single-node", database_name="events",
                               master_username="loader", master_password=config.require_secret("password"),
                               cluster_subnet_group_name=group.name, publicly_accessible=False,
                               skip_final_snapshot=True, vpc_security_group_ids=[vpc.default_security_group_id],
                               automated_snapshot_retention_period=1 if step == "create" else 5,
                               iam_roles=[] if step == "create" else [role.arn])
pulumi.export("endpoint", endpoint.id)
pulumi.export("group", group.name)
pulumi.export("cluster", cluster.id)
pulumi.export("address", cluster.endpoint)
pulumi.export("tables", [t.id for t in tables])
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("ec2").modify_vpc_endpoint(VpcEndpointId=outputs["endpoint"], RemoveRouteTableIds=outputs["tables"][1:])
    redshift = clients("redshift")
    group = redshift.describe_cluster_subnet_groups(ClusterSubnetGroupName=outputs["group"])["ClusterSubnetGroups"][0]
    redshift.modify_cluster_subnet_group(ClusterSubnetGroupName=outputs["group"], Description="by hand",
                                         SubnetIds=[s["SubnetIdentifier"] for s in group["Subnets"]])
    redshift.modify_cluster(ClusterIdentifier=outputs["cluster"], AutomatedSnapshotRetentionPeriod=9)


@pytest.mark.types
def test_vpc_endpoint_and_redshift_cluster(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        config={"password": "Loader-passw0rd"},
        updated={"s3": "update", "warehouse-subnets": "update", "warehouse": "update"},
        replaced={"s3": "replace", "warehouse-subnets": "replace", "warehouse": "replace"},
        drift=_hand_edit,
        drifted={"s3": "update", "warehouse-subnets": "update", "warehouse": "update"},
    ), tmp_path, endpoint)
    assert run.outputs("create")["address"].endswith(":5439")
    updated = {c.name: c for c in run.results["update"].changes}
    changed = {d.path.split("[")[0] for d in updated["warehouse"].diffs}
    assert changed == {"automatedSnapshotRetentionPeriod", "iamRoles"}
    assert all(d.new == SECRET for c in run.results["replace"].changes for d in c.diffs if d.path == "masterPassword")
