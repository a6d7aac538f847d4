"""RDS and KMS through the engine: a subnet group and a database instance; a key and its alias."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.engines.base import SECRET
from tests.aws.harness import Clients, TypeCase, boto_clients, run_type_case

PROGRAM = '''
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
step = config.require("step")
subnets = config.require("subnets").split(",")
key = aws.kms.Key("data", description="data one" if step == "create" else "data two",
                  enable_key_rotation=step != "create", deletion_window_in_days=7, tags={"team": "core"})
alias = aws.kms.Alias("data-alias", target_key_id=key.key_id)
# moto's ModifyDBSubnetGroup loses the group: the subnet group is not changed in place here.
group = aws.rds.SubnetGroup("db-subnets", subnet_ids=subnets)
db = aws.rds.Instance("db", engine="postgres", instance_class="db.t3.micro", allocated_storage=20,
                      db_subnet_group_name=group.name, username="admin", skip_final_snapshot=True,
                      password=config.require_secret("password"), apply_immediately=True,
                      backup_retention_period=1 if step == "create" else 3,
                      db_name="app" if step != "replace" else "app2")
pulumi.export("db", db.identifier)
pulumi.export("endpoint", db.endpoint)
pulumi.export("key", key.key_id)
pulumi.export("alias", alias.name)
'''


def _subnets(endpoint: str) -> str:
    ec2 = boto_clients(endpoint)("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    return ",".join(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
                    ["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b")))


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    clients("rds").modify_db_instance(DBInstanceIdentifier=outputs["db"], BackupRetentionPeriod=9,
                                      ApplyImmediately=True)
    clients("kms").disable_key_rotation(KeyId=outputs["key"])


@pytest.mark.types
def test_databases_and_keys(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        config={"subnets": _subnets(endpoint), "password": "s3cr3t-passw0rd"},
        updated={"data": "update", "db": "update"},
        replaced={"db": "replace"},
        drift=_hand_edit,
        drifted={"db": "update", "data": "update"},
        lingering=(":key/",),  # a key waits out its deletion window, tagged, as in AWS
    ), tmp_path, endpoint)
    created = run.outputs("create")
    assert created["alias"].startswith("alias/data-alias-")
    assert created["endpoint"].endswith(":5432")
    updated = {c.name: c for c in run.results["update"].changes}
    assert all(d.new == SECRET for d in updated["db"].diffs if d.path == "password")
