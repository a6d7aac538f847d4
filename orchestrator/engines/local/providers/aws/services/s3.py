"""S3: buckets and their versioning here; objects in `_s3_objects.py`, a bucket's policy, public
access block, website, ownership controls and ACL in `_s3_config.py`. Names, defaults and
ForceNew as pulumi-aws v7 `aws.s3.Bucket` and `aws.s3.BucketVersioning` (terraform-provider-aws
`internal/service/s3/bucket.go`, `bucket_versioning.go`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.client import error_code, missing
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services import _s3_config, _s3_objects
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Tagging
from orchestrator.engines.local.providers.base import ProviderError

_NO_BUCKET = ("404", "NoSuchBucket", "NotFound")


def bucket_exists(s3: Any, bucket: str) -> bool:
    with missing(*_NO_BUCKET) as probe:
        s3.head_bucket(Bucket=bucket)
    return not probe.gone


class BucketCode(DeclaredResource):
    """A name taken elsewhere is refused before anything is made; outside us-east-1 the
    region goes into the create call; `forceDestroy` empties the bucket before deleting it."""

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        bucket = str(inputs["bucket"])
        with self.errors(bucket):
            if bucket_exists(self.client(inputs), bucket):
                raise ProviderError(
                    f"{self.type_token}: bucket {bucket!r} already exists; choose another name or import it"
                )
        return super().create(urn, inputs)

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        region = self.region(inputs)
        return {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        outputs["bucket"] = outputs["id"]
        return outputs

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        s3 = self.client(inputs)
        with self.errors(id):
            if not bucket_exists(s3, id):
                return
            if inputs.get("forceDestroy"):
                _empty(s3, id)
            try:
                s3.delete_bucket(Bucket=id)
            except ClientError as exc:
                if error_code(exc) == "BucketNotEmpty":
                    raise ProviderError(
                        f"{self.type_token} {id}: the bucket is not empty; set forceDestroy=True to let "
                        "Pulumi delete its objects, or empty it first"
                    ) from exc
                raise


def _empty(s3: Any, bucket: str) -> None:
    """Delete every object version and delete marker (forceDestroy)."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        keys = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        for start in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True})


BUCKET = AwsType(
    token="aws:s3/bucket:Bucket",
    client="s3",
    naming=Naming(
        prop="bucket", prefix="bucketPrefix", max_len=63, charset="a-z0-9.-", lower=True,
        pattern=r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
        rule="S3 wants 3-63 characters, lower-case letters, digits, dots and hyphens, starting and ending "
             "with a letter or digit",
    ),
    props=(
        Prop("bucket", replace=True),
        Prop("bucketPrefix", replace=True),
        Prop("forceDestroy", kind="bool", default=False),
        Prop("objectLockEnabled", api="ObjectLockEnabledForBucket", read="lock.ObjectLockEnabled", kind="bool",
             values=(("Enabled", True),), default=False, replace=True),
        Prop("arn", template="arn:{partition}:s3:::{id}"),
        Prop("bucketDomainName", template="{id}.s3.{dns_suffix}"),
        Prop("bucketRegionalDomainName", template="{id}.s3.{region}.{dns_suffix}"),
    ),
    create=Call("create_bucket", {"Bucket": "{name}"}),
    read=(
        Call("head_bucket", {"Bucket": "{id}"}, absent=_NO_BUCKET),
        Call("get_object_lock_configuration", {"Bucket": "{id}"}, result="ObjectLockConfiguration", into="lock",
             absent=("ObjectLockConfigurationNotFoundError",)),
    ),
    delete=None,
    tagging=Tagging(
        on_create=None,
        replace_all=True,
        read=Call("get_bucket_tagging", {"Bucket": "{id}"}, result="TagSet", absent=("NoSuchTagSet",)),
        tag=Call("put_bucket_tagging", {"Bucket": "{id}", "Tagging": {"TagSet": "{tags}"}}),
        untag=Call("delete_bucket_tagging", {"Bucket": "{id}"}),
    ),
    id="{inputs.bucket}",
    impl=BucketCode,
)


_VERSIONING_STATUSES = ("Enabled", "Suspended", "Disabled")


class BucketVersioningCode(DeclaredResource):
    """S3 cannot be told "Disabled": a new bucket already is, and versioning once enabled can
    only be suspended, which is also what deleting this resource does."""

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        bucket = str(inputs["bucket"])
        with self.errors(bucket):
            if inputs["versioningConfiguration"].get("status") != "Disabled":
                self._put(bucket, str(inputs["versioningConfiguration"]["status"]), inputs)
        return bucket, self.described(bucket, inputs)

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        status = str(news["versioningConfiguration"].get("status"))
        self._put(id, "Suspended" if status == "Disabled" else status, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        s3 = self.client(inputs)
        with self.errors(id):
            if not bucket_exists(s3, id):
                return
            live = s3.get_bucket_versioning(**self._bucket_args(id, inputs))
            if live.get("Status") == "Enabled":
                self._put(id, "Suspended", inputs)

    def _put(self, bucket: str, status: str, inputs: Mapping[str, Any]) -> None:
        config: dict[str, str] = {"Status": status}
        mfa_delete = inputs["versioningConfiguration"].get("mfaDelete")
        if mfa_delete:
            config["MFADelete"] = str(mfa_delete)
        self.client(inputs).put_bucket_versioning(**self._bucket_args(bucket, inputs), VersioningConfiguration=config)

    @staticmethod
    def _bucket_args(bucket: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {"Bucket": bucket}
        if inputs.get("expectedBucketOwner"):
            args["ExpectedBucketOwner"] = inputs["expectedBucketOwner"]
        return args


BUCKET_VERSIONING = AwsType(
    token="aws:s3/bucketVersioning:BucketVersioning",
    client="s3",
    props=(
        Prop("bucket", required=True, replace=True),
        Prop("expectedBucketOwner", replace=True),
        Prop("versioningConfiguration", kind="object", required=True, read="versioning", props=(
            Prop("status", read="Status", choices=_VERSIONING_STATUSES, default="Disabled"),
            Prop("mfaDelete", read="MFADelete"),
        )),
    ),
    create=Call("put_bucket_versioning"),
    read=(
        Call("head_bucket", {"Bucket": "{id}"}, absent=_NO_BUCKET),
        Call("get_bucket_versioning", {"Bucket": "{id}", "ExpectedBucketOwner": "{inputs.expectedBucketOwner?}"},
             into="versioning"),
    ),
    delete=None,
    id="{inputs.bucket}",
    impl=BucketVersioningCode,
)

TYPES = (BUCKET, BUCKET_VERSIONING, *_s3_objects.TYPES, *_s3_config.TYPES)
