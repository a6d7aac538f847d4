"""A bucket's policy, public access block, website, ownership controls and ACL. Names, defaults
and ForceNew as pulumi-aws `aws.s3.BucketPolicy`, `BucketPublicAccessBlock`,
`BucketWebsiteConfiguration` (and its `...V2` alias), `BucketOwnershipControls`, `BucketAcl`
(and `BucketAclV2`) (terraform-provider-aws `internal/service/s3/bucket_policy.go`,
`bucket_public_access_block.go`, `bucket_website_configuration.go`,
`bucket_ownership_controls.go`, `bucket_acl.go`). Each is one `Put...` call on the bucket, its
id the bucket's name.

A helper module of `s3.py` (its leading underscore keeps the catalog from listing it twice).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.put_again import PutAgain
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop, Update

_NO_BUCKET = ("404", "NoSuchBucket", "NotFound")
_BUCKET = {"Bucket": "{id}"}
_OWNER = {"Bucket": "{id}", "ExpectedBucketOwner": "{inputs.expectedBucketOwner?}"}


def _bucket_prop() -> Prop:
    return Prop("bucket", api="Bucket", read="", required=True, replace=True)


BUCKET_POLICY = AwsType(
    token="aws:s3/bucketPolicy:BucketPolicy",
    client="s3",
    props=(_bucket_prop(), Prop("policy", api="Policy", read="Policy", kind="json", required=True)),
    create=Call("put_bucket_policy"),
    read=(Call("get_bucket_policy", _BUCKET, absent=(*_NO_BUCKET, "NoSuchBucketPolicy")),),
    updates=(Update(Call("put_bucket_policy", _BUCKET), props=("policy",)),),
    delete=Call("delete_bucket_policy", _BUCKET, absent=_NO_BUCKET),
    id="{inputs.bucket}",
)


class PublicAccessBlockCode(DeclaredResource):
    """All four flags travel every time (the create call leaves out values equal to defaults)."""

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"PublicAccessBlockConfiguration": {
            flag[0].upper() + flag[1:]: bool(inputs.get(flag)) for flag in _FLAGS}}

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        if not inputs.get("skipDestroy"):
            super().delete(urn, id, inputs, outputs)


_BLOCK = "PublicAccessBlockConfiguration."
_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

PUBLIC_ACCESS_BLOCK = AwsType(
    token="aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    client="s3",
    props=(
        _bucket_prop(),
        *(Prop(flag, api=_BLOCK + flag[0].upper() + flag[1:], kind="bool", default=False)
          for flag in _FLAGS),
        Prop("skipDestroy", kind="bool", default=False),
    ),
    create=Call("put_public_access_block"),
    read=(Call("get_public_access_block", _BUCKET,
               absent=(*_NO_BUCKET, "NoSuchPublicAccessBlockConfiguration")),),
    updates=(Update(Call("put_public_access_block", _BUCKET), props=_FLAGS),),
    delete=Call("delete_public_access_block", _BUCKET, absent=_NO_BUCKET),
    id="{inputs.bucket}",
    impl=PublicAccessBlockCode,
)


# S3 website endpoints: the older regions write `s3-website-<region>`, the newer `s3-website.<region>`.
_DASH_REGIONS = frozenset({"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2",
                           "ap-northeast-1", "sa-east-1", "us-gov-west-1"})


class WebsiteCode(PutAgain):
    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        region = self.region(inputs)
        domain = f"s3-website{'-' if region in _DASH_REGIONS else '.'}{region}.amazonaws.com"
        outputs["websiteDomain"] = domain
        outputs["websiteEndpoint"] = f"{outputs['id']}.{domain}"
        return outputs


_SITE = "WebsiteConfiguration."

WEBSITE = AwsType(
    token="aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration",
    client="s3",
    props=(
        _bucket_prop(),
        Prop("expectedBucketOwner", api="ExpectedBucketOwner", read="", replace=True),
        Prop("indexDocument", api=_SITE + "IndexDocument", read="IndexDocument", kind="object",
             props=(Prop("suffix", api="Suffix", read="Suffix"),)),
        Prop("errorDocument", api=_SITE + "ErrorDocument", read="ErrorDocument", kind="object",
             props=(Prop("key", api="Key", read="Key"),)),
        Prop("redirectAllRequestsTo", api=_SITE + "RedirectAllRequestsTo", read="RedirectAllRequestsTo",
             kind="object", props=(Prop("hostName", api="HostName", read="HostName"),
                                   Prop("protocol", api="Protocol", read="Protocol"))),
        Prop("websiteDomain", read="", output=True),
        Prop("websiteEndpoint", read="", output=True),
    ),
    create=Call("put_bucket_website"),
    read=(Call("get_bucket_website", _OWNER, absent=(*_NO_BUCKET, "NoSuchWebsiteConfiguration")),),
    delete=Call("delete_bucket_website", _OWNER, absent=_NO_BUCKET),
    id="{inputs.bucket}",
    impl=WebsiteCode,
)


class OwnershipCode(PutAgain):
    """The one rule travels as a list of one."""

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"OwnershipControls": {"Rules": [{"ObjectOwnership": inputs["rule"]["objectOwnership"]}]}}


OWNERSHIP_CONTROLS = AwsType(
    token="aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    client="s3",
    props=(
        _bucket_prop(),
        Prop("rule", read="OwnershipControls.Rules[0]", kind="object", required=True, props=(
            Prop("objectOwnership", read="ObjectOwnership", required=True,
                 choices=("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced")),
        )),
    ),
    create=Call("put_bucket_ownership_controls"),
    read=(Call("get_bucket_ownership_controls", _BUCKET, absent=(*_NO_BUCKET, "OwnershipControlsNotFoundError")),),
    delete=Call("delete_bucket_ownership_controls", _BUCKET, absent=(*_NO_BUCKET, "OwnershipControlsNotFoundError")),
    id="{inputs.bucket}",
    impl=OwnershipCode,
)


class AclCode(PutAgain):
    """A canned ACL cannot be read back (S3 answers grants): it is kept as written. Deleting
    leaves the bucket's ACL as it is, as pulumi-aws does."""


ACL = AwsType(
    token="aws:s3/bucketAcl:BucketAcl",
    client="s3",
    props=(
        _bucket_prop(),
        Prop("expectedBucketOwner", api="ExpectedBucketOwner", read="", replace=True),
        Prop("acl", api="ACL", read="", required=True,
             choices=("private", "public-read", "public-read-write", "aws-exec-read", "authenticated-read",
                      "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write")),
    ),
    create=Call("put_bucket_acl"),
    read=(Call("get_bucket_acl", _BUCKET, absent=_NO_BUCKET),),
    delete=None,
    id="{inputs.bucket}",
    impl=AclCode,
)

TYPES = (
    BUCKET_POLICY, PUBLIC_ACCESS_BLOCK, WEBSITE, OWNERSHIP_CONTROLS, ACL,
    replace(WEBSITE, token="aws:s3/bucketWebsiteConfigurationV2:BucketWebsiteConfigurationV2"),
    replace(ACL, token="aws:s3/bucketAclV2:BucketAclV2"),
)
