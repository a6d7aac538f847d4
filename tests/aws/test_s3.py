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


SITE_PROGRAM = '''
import json
import pathlib
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
pathlib.Path("www").mkdir(exist_ok=True)
pathlib.Path("www/index.html").write_text("<h1>%s</h1>" % ("one" if step == "create" else "two"))
site = aws.s3.Bucket("site", force_destroy=True)
ownership = aws.s3.BucketOwnershipControls("site-ownership", bucket=site.bucket, rule={
    "object_ownership": "BucketOwnerPreferred" if step == "create" else "ObjectWriter"})
block = aws.s3.BucketPublicAccessBlock("site-block", bucket=site.id, block_public_acls=False,
                                       block_public_policy=step == "create")
aws.s3.BucketAcl("site-acl", bucket=site.bucket, acl="private" if step == "create" else "public-read",
                 opts=pulumi.ResourceOptions(depends_on=[ownership, block]))
web = aws.s3.BucketWebsiteConfiguration("site-web", bucket=site.bucket, index_document={
    "suffix": "index.html" if step == "create" else "home.html"})
aws.s3.BucketObject("index.html", bucket=site.id, source=pulumi.FileAsset("www/index.html"),
                    content_type="text/html")
note = aws.s3.BucketObjectv2("note", bucket=site.id, key="notes/b.txt" if step == "replace" else "notes/a.txt",
                             content="hello", content_type="text/plain", tags={"kind": "note"})
aws.s3.BucketPolicy("site-policy", bucket=site.id, policy=site.arn.apply(lambda arn: json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
    "Action": ["s3:GetObject"] if step == "create" else ["s3:GetObject", "s3:GetObjectVersion"],
    "Resource": [arn + "/*"]}]})), opts=pulumi.ResourceOptions(depends_on=[block]))
pulumi.export("bucket", site.bucket)
pulumi.export("endpoint", web.website_endpoint)
pulumi.export("note", note.key)
'''


def _hand_edit_site(clients: Clients, outputs: dict[str, Any]) -> None:
    s3 = clients("s3")
    bucket, key = outputs["bucket"], outputs["note"]
    # Before the edit: the FileAsset's new contents were uploaded by the update (same path, new hash).
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"<h1>two</h1>"
    s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key},
                   ContentType="application/json", MetadataDirective="REPLACE")
    s3.delete_bucket_policy(Bucket=bucket)


def test_objects_policy_and_website(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=SITE_PROGRAM,
        updated={"site-ownership": "update", "site-block": "update", "site-acl": "update", "site-web": "update",
                 "index.html": "update", "site-policy": "update"},
        replaced={"note": "replace"},
        drift=_hand_edit_site,
        drifted={"note": "update", "site-policy": "delete"},
    ), tmp_path, endpoint)
    bucket = run.outputs("create")["bucket"]
    assert run.outputs("create")["endpoint"] == f"{bucket}.s3-website-us-east-1.amazonaws.com"
