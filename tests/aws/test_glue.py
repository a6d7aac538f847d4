"""Glue through the engine: a catalog database, a JDBC connection with a secret password, a
crawler over an S3 path, a job and the schedule that runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.engines.base import SECRET
from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
step = config.require("step")
later = step != "create"
suffix = "one" if step != "replace" else "two"
role = "arn:aws:iam::123456789012:role/etl"
catalog = aws.glue.CatalogDatabase("catalog", name=f"sales_{suffix}",
                                   description="orders" if not later else "orders and refunds")
jdbc = aws.glue.Connection("jdbc", name=f"warehouse-{suffix}", description="one" if not later else "two",
                           connection_properties={"JDBC_CONNECTION_URL": "jdbc:redshift://wh:5439/events",
                                                  "USERNAME": "loader", "PASSWORD": config.require_secret("password")},
                           physical_connection_requirements={"availability_zone": "us-east-1a"})
crawl = aws.glue.Crawler("crawl", name=f"raw-{suffix}", database_name=catalog.name, role=role,
                         s3_targets=[{"path": "s3://raw-events"}],
                         schedule="cron(0/15 * * * ? *)" if not later else "cron(0/30 * * * ? *)")
job = aws.glue.Job("etl", name=f"load-{suffix}", role_arn=role, glue_version="3.0", connections=[jdbc.name],
                   command={"script_location": "s3://scripts/load.py", "python_version": "3"},
                   worker_type="G.1X", number_of_workers=2 if not later else 4,
                   default_arguments={"--table": "events"})
trigger = aws.glue.Trigger("every", type="SCHEDULED" if step != "replace" else "ON_DEMAND",
                           schedule=None if step == "replace" else ("cron(0 * * * ? *)" if not later
                                                                    else "cron(30 * * * ? *)"),
                           actions=[{"job_name": job.name}])
pulumi.export("catalog", catalog.name)
pulumi.export("connection", jdbc.name)
pulumi.export("crawler", crawl.name)
pulumi.export("job", job.name)
pulumi.export("trigger", trigger.name)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    glue = clients("glue")
    glue.update_database(Name=outputs["catalog"], DatabaseInput={"Name": outputs["catalog"], "Description": "hand"})
    connection = glue.get_connection(Name=outputs["connection"])["Connection"]
    glue.update_connection(Name=outputs["connection"], ConnectionInput={
        "Name": outputs["connection"], "ConnectionType": "JDBC", "Description": "hand",
        "ConnectionProperties": connection["ConnectionProperties"]})
    glue.update_crawler(Name=outputs["crawler"], Schedule="cron(0 12 * * ? *)")
    job = glue.get_job(JobName=outputs["job"])["Job"]
    glue.update_job(JobName=outputs["job"], JobUpdate={"Role": job["Role"], "Command": job["Command"],
                                                       "MaxRetries": 3})
    glue.update_trigger(Name=outputs["trigger"], TriggerUpdate={
        "Actions": [{"JobName": outputs["job"], "Arguments": {"--day": "yesterday"}}]})


@pytest.mark.types
def test_glue_catalog_connection_crawler_job_and_trigger(tmp_path: Path, endpoint: str) -> None:
    names = ("catalog", "jdbc", "crawl", "etl", "every")
    run = run_type_case(TypeCase(
        program=PROGRAM,
        config={"password": "Loader-passw0rd"},
        updated={name: "update" for name in names},
        replaced={name: "replace" for name in names},
        drift=_hand_edit,
        drifted={name: "update" for name in names},
    ), tmp_path, endpoint)
    assert run.outputs("create")["catalog"] == "sales_one"
    created = {c.name: c for c in run.results["create"].changes}
    assert all(d.new == SECRET for d in created["jdbc"].diffs if d.path.startswith("connectionProperties"))
