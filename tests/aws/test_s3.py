"""S3 through the engine: buckets and their versioning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
bucket = aws.s3.Bucket("data", force_destroy=True, object_lock_enabled=step == "replace",
                       tags={"team": "core" if step == "create" else "platform"})
aws.s3.BucketVersioning("data-versioning", bucket=bucket.id,
                        versioning_configuration={"status": "Enabled" if step == "create" else "Suspended"})
pulumi.export("bucket", bucket.bucket)
'''


def _hand_edit(clients: Clients, outputs: dict[str, Any]) -> None:
    s3 = clients("s3")
    s3.put_bucket_tagging(Bucket=outputs["bucket"], Tagging={"TagSet": [{"Key": "team", "Value": "someone"}]})
    s3.put_bucket_versioning(Bucket=outputs["bucket"], VersioningConfiguration={"Status": "Enabled"})


def test_bucket_and_versioning(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        updated={"data": "update", "data-versioning": "update"},
        # A new bucket means a new versioning resource too: its `bucket` input changes.
        replaced={"data": "replace", "data-versioning": "replace"},
        drift=_hand_edit,
        drifted={"data": "update", "data-versioning": "update"},
    ), tmp_path, endpoint)
    assert run.outputs("replace")["bucket"] != run.outputs("create")["bucket"]
