"""CloudFront: distributions (`_cloudfront_distribution.py`), origin access controls and origin
access identities. Names, defaults and ForceNew as pulumi-aws (terraform-provider-aws
`internal/service/cloudfront/origin_access_control.go`, `origin_access_identity.go`: nothing
but the region forces a replace).

CloudFront versions each configuration with an ETag: an update or delete names the current one
(If-Match), read just before the call, so a change made elsewhere in between does not make it
fail with PreconditionFailed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.services._cloudfront_distribution import DISTRIBUTION
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Naming, Prop, Update


class Versioned(DeclaredResource):
    """Updates and deletes send the ETag the object has now, not the one recorded in state."""

    def _current(self, id: str, inputs: Mapping[str, Any], outputs: dict[str, Any]) -> dict[str, Any] | None:
        with self.errors(id, inputs):
            doc = self.live(id, inputs, outputs)
        return None if doc is None else {**outputs, "etag": doc.get("ETag")}

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        current = self._current(id, news, old_outputs)
        return super().update(urn, id, old_inputs, current if current is not None else old_outputs, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        current = self._current(id, inputs, outputs)
        if current is not None:
            super().delete(urn, id, inputs, current)


class IdentityCode(Versioned):
    """Each identity is created with a caller reference of its own; the comment is required
    (empty when the program gives none)."""

    def create_args(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {"CloudFrontOriginAccessIdentityConfig": {"CallerReference": uuid.uuid4().hex,
                                                         "Comment": inputs.get("comment") or ""}}


_CONTROL = "OriginAccessControl.OriginAccessControlConfig."
_CONTROL_PROPS = ("name", "description", "originAccessControlOriginType", "signingBehavior", "signingProtocol")

ORIGIN_ACCESS_CONTROL = AwsType(
    token="aws:cloudfront/originAccessControl:OriginAccessControl",
    client="cloudfront",
    props=(
        Prop("name", api="OriginAccessControlConfig.Name", read=_CONTROL + "Name"),
        Prop("description", api="OriginAccessControlConfig.Description", read=_CONTROL + "Description",
             default="Managed by Pulumi"),
        Prop("originAccessControlOriginType", api="OriginAccessControlConfig.OriginAccessControlOriginType",
             read=_CONTROL + "OriginAccessControlOriginType", required=True),
        Prop("signingBehavior", api="OriginAccessControlConfig.SigningBehavior", read=_CONTROL + "SigningBehavior",
             required=True),
        Prop("signingProtocol", api="OriginAccessControlConfig.SigningProtocol", read=_CONTROL + "SigningProtocol",
             required=True),
        Prop("etag", read="ETag", output=True),
        Prop("arn", template="arn:{partition}:cloudfront::{account}:origin-access-control/{id}"),
    ),
    create=Call("create_origin_access_control", id="OriginAccessControl.Id"),
    read=(Call("get_origin_access_control", {"Id": "{id}"}, absent=("NoSuchOriginAccessControl",)),),
    # The configuration is replaced whole: every property is sent on each update.
    updates=(Update(Call("update_origin_access_control", {"Id": "{id}", "IfMatch": "{outputs.etag}"}),
                    props=_CONTROL_PROPS),),
    delete=Call("delete_origin_access_control", {"Id": "{id}", "IfMatch": "{outputs.etag}"},
                absent=("NoSuchOriginAccessControl",)),
    naming=Naming(prop="name", prefix=None, max_len=64),
    impl=Versioned,
)

_IDENTITY = "CloudFrontOriginAccessIdentity."

ORIGIN_ACCESS_IDENTITY = AwsType(
    token="aws:cloudfront/originAccessIdentity:OriginAccessIdentity",
    client="cloudfront",
    props=(
        Prop("comment", api="CloudFrontOriginAccessIdentityConfig.Comment",
             read=_IDENTITY + "CloudFrontOriginAccessIdentityConfig.Comment", reset=""),
        Prop("callerReference", read=_IDENTITY + "CloudFrontOriginAccessIdentityConfig.CallerReference", output=True),
        Prop("etag", read="ETag", output=True),
        Prop("s3CanonicalUserId", read=_IDENTITY + "S3CanonicalUserId", output=True),
        Prop("cloudfrontAccessIdentityPath", template="origin-access-identity/cloudfront/{id}"),
        Prop("iamArn", template="arn:{partition}:iam::cloudfront:user/CloudFront Origin Access Identity {id}"),
        Prop("arn", template="arn:{partition}:cloudfront::{account}:origin-access-identity/{id}"),
    ),
    create=Call("create_cloud_front_origin_access_identity", id="CloudFrontOriginAccessIdentity.Id"),
    read=(Call("get_cloud_front_origin_access_identity", {"Id": "{id}"},
               absent=("NoSuchCloudFrontOriginAccessIdentity",)),),
    updates=(Update(Call("update_cloud_front_origin_access_identity", {
        "Id": "{id}", "IfMatch": "{outputs.etag}",
        "CloudFrontOriginAccessIdentityConfig": {"CallerReference": "{outputs.callerReference}"}}),
        props=("comment",)),),
    delete=Call("delete_cloud_front_origin_access_identity", {"Id": "{id}", "IfMatch": "{outputs.etag}"},
                absent=("NoSuchCloudFrontOriginAccessIdentity",)),
    impl=IdentityCode,
)

TYPES = (DISTRIBUTION, ORIGIN_ACCESS_CONTROL, ORIGIN_ACCESS_IDENTITY)
