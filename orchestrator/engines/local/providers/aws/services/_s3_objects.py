"""S3 objects: `aws.s3.BucketObject` and `BucketObjectv2` (the same resource in pulumi-aws v7;
terraform-provider-aws `internal/service/s3/object.go`). The body is `source` (a FileAsset,
StringAsset or file:// RemoteAsset), `content` (text) or `contentBase64`; the asset's hash is
part of the input, so a changed file behind an unchanged path uploads again. Any change but the
tags puts the object again; its tags are the object's tag set.

A helper module of `s3.py` (its leading underscore keeps the catalog from listing it twice).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from orchestrator.engines.local.providers.assets import asset_bytes, is_asset, with_hash
from orchestrator.engines.local.providers.aws.client import missing
from orchestrator.engines.local.providers.aws.put_again import PutAgain
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop, Tagging
from orchestrator.engines.local.providers.base import UNKNOWN_MARKER, ProviderError

NO_KEY = ("404", "NoSuchKey", "NotFound", "NoSuchBucket")
_BODIES = ("source", "content", "contentBase64")


class ObjectCode(PutAgain):
    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        if news.get("key") is None:
            news["key"] = name  # pulumi-aws names the key after the resource, with no random suffix
        given = [b for b in _BODIES if news.get(b) is not None]
        if len(given) > 1:
            raise ProviderError(f"{self.type_token} {name}: give one of `source`, `content`, `contentBase64`, "
                                f"not {' and '.join(given)}")
        if news.get("source") not in (None, UNKNOWN_MARKER):  # unknown until an apply runs, in a preview
            if not is_asset(news["source"]):
                raise ProviderError(f"{self.type_token} {name}: `source` must be an asset (pulumi.FileAsset, "
                                    "StringAsset or RemoteAsset)")
            news["source"] = with_hash(news["source"])
        return news

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if inputs.get("source") is not None:
            body = asset_bytes(inputs["source"])
        elif inputs.get("contentBase64") is not None:
            body = base64.b64decode(str(inputs["contentBase64"]))
        else:
            body = str(inputs.get("content") or "").encode()
        return {"Body": body}

    def tags_on_create(self, inputs: Mapping[str, Any]) -> bool:
        return False

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(id, inputs, outputs)
        if doc is not None:
            doc["ETag"] = str(doc.get("ETag") or "").strip('"') or None
            doc.setdefault("StorageClass", "STANDARD")
        return doc

    def after_update(
        self, id: str, old_inputs: Mapping[str, Any], old_outputs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> None:
        super().after_update(id, old_inputs, old_outputs, news)
        # A new body comes without tags: the declared tagging then writes them again.
        if old_outputs.get("tagsAll"):
            self.client(news).put_object_tagging(Bucket=news["bucket"], Key=id, Tagging={"TagSet": [
                {"Key": k, "Value": v} for k, v in self.desired_tags(news).items()]})

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        """Every version of the key, as pulumi-aws does, so a versioned bucket can go too."""
        s3 = self.client(inputs)
        bucket = inputs["bucket"]
        with self.errors(id), missing(*NO_KEY):
            pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=id)
            versions = [v for page in pages for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
                        if v["Key"] == id]
            for version in versions:
                s3.delete_object(Bucket=bucket, Key=id, VersionId=version["VersionId"])
            if not versions:
                s3.delete_object(Bucket=bucket, Key=id)


_OBJECT = {"Bucket": "{inputs.bucket}", "Key": "{id}"}

BUCKET_OBJECT = AwsType(
    token="aws:s3/bucketObject:BucketObject",
    client="s3",
    props=(
        Prop("bucket", api="Bucket", read="", required=True, replace=True),
        Prop("key", api="Key", read="", replace=True),
        Prop("source", read=""),
        Prop("content", read=""),
        Prop("contentBase64", read=""),
        Prop("sourceHash", read=""),
        Prop("contentType", api="ContentType", read="ContentType", computed=True),
        Prop("cacheControl", api="CacheControl", read="CacheControl"),
        Prop("contentDisposition", api="ContentDisposition", read="ContentDisposition"),
        Prop("contentEncoding", api="ContentEncoding", read="ContentEncoding"),
        Prop("contentLanguage", api="ContentLanguage", read="ContentLanguage"),
        Prop("websiteRedirect", api="WebsiteRedirectLocation", read="WebsiteRedirectLocation"),
        Prop("metadata", api="Metadata", read="Metadata", kind="map"),
        Prop("storageClass", api="StorageClass", read="StorageClass", computed=True),
        Prop("serverSideEncryption", api="ServerSideEncryption", read="ServerSideEncryption", computed=True),
        Prop("kmsKeyId", api="SSEKMSKeyId", read="SSEKMSKeyId", computed=True),
        Prop("bucketKeyEnabled", api="BucketKeyEnabled", read="BucketKeyEnabled", kind="bool", computed=True),
        Prop("acl", api="ACL", read=""),
        Prop("etag", read="ETag", computed=True),
        Prop("forceDestroy", kind="bool", default=False),
        Prop("versionId", read="VersionId", output=True),
        Prop("arn", template="arn:{partition}:s3:::{inputs.bucket}/{id}"),
    ),
    create=Call("put_object"),
    read=(Call("head_object", _OBJECT, absent=NO_KEY),),
    delete=None,
    tagging=Tagging(
        on_create=None,
        replace_all=True,
        read=Call("get_object_tagging", _OBJECT, result="TagSet", absent=NO_KEY),
        tag=Call("put_object_tagging", {**_OBJECT, "Tagging": {"TagSet": "{tags}"}}),
        untag=Call("delete_object_tagging", _OBJECT),
    ),
    id="{inputs.key}",
    impl=ObjectCode,
)

TYPES = (BUCKET_OBJECT, replace(BUCKET_OBJECT, token="aws:s3/bucketObjectv2:BucketObjectv2"))
