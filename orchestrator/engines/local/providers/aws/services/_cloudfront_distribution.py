"""CloudFront distributions. Names, defaults and ForceNew as pulumi-aws (terraform-provider-aws
`internal/service/cloudfront/distribution.go`: only `staging` forces a replace).

CloudFront takes a distribution's configuration as one document, created with its tags
(CreateDistributionWithTags) and replaced whole on every update (UpdateDistribution, with the
current ETag as If-Match); every list in it is wrapped as `{Quantity, Items}`. The properties
say where each value lives in that document; `with_quantities` adds the wrappers' counts from
botocore's model. AWS deletes only a disabled distribution: a delete disables it first (an
update with `Enabled: false`), waits for it to be deployed, then deletes it with the new ETag,
as terraform-provider-aws does; `retainOnDelete` stops after disabling it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.convert import to_api
from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop, Tagging
from orchestrator.engines.local.providers.aws.tags import tag_list
from orchestrator.engines.local.providers.aws.values import set_path
from orchestrator.engines.local.providers.base import ProviderError

_NO_DISTRIBUTION = ("NoSuchDistribution",)
# CloudFront's own hosted zone, the alias target of every distribution (Route 53 `aliases`).
HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"
# A distribution takes minutes to deploy on AWS (terraform waits up to 90); the sandbox is at once.
_DEPLOYED = {"Delay": 15, "MaxAttempts": 360}
_EMPTY = (("", None),)  # CloudFront answers "" for a string that was never set


def _text(name: str, api: str, **more: Any) -> Prop:
    return Prop(name, api=api, values=_EMPTY, **more)


def _cache_behavior(*extra: Prop) -> tuple[Prop, ...]:
    """The properties a default and an ordered cache behavior share."""
    return (
        *extra,
        Prop("allowedMethods", api="AllowedMethods.Items", kind="list"),
        Prop("cachedMethods", api="AllowedMethods.CachedMethods.Items", kind="list"),
        _text("cachePolicyId", "CachePolicyId"),
        Prop("compress", api="Compress", kind="bool", default=False),
        Prop("defaultTtl", api="DefaultTTL", kind="int"),
        Prop("maxTtl", api="MaxTTL", kind="int"),
        Prop("minTtl", api="MinTTL", kind="int", default=0),
        _text("fieldLevelEncryptionId", "FieldLevelEncryptionId"),
        Prop("forwardedValues", api="ForwardedValues", kind="object", props=(
            Prop("cookies", api="Cookies", kind="object", props=(
                Prop("forward", api="Forward"),
                Prop("whitelistedNames", api="WhitelistedNames.Items", kind="list"),
            )),
            Prop("headers", api="Headers.Items", kind="list"),
            Prop("queryString", api="QueryString", kind="bool"),
            Prop("queryStringCacheKeys", api="QueryStringCacheKeys.Items", kind="list"),
        )),
        Prop("functionAssociations", api="FunctionAssociations.Items", kind="list", set_key="eventType", props=(
            Prop("eventType", api="EventType"), Prop("functionArn", api="FunctionARN"))),
        Prop("lambdaFunctionAssociations", api="LambdaFunctionAssociations.Items", kind="list", set_key="eventType",
             props=(Prop("eventType", api="EventType"),
                    Prop("includeBody", api="IncludeBody", kind="bool", default=False),
                    Prop("lambdaArn", api="LambdaFunctionARN"))),
        _text("originRequestPolicyId", "OriginRequestPolicyId"),
        _text("realtimeLogConfigArn", "RealtimeLogConfigArn"),
        _text("responseHeadersPolicyId", "ResponseHeadersPolicyId"),
        Prop("smoothStreaming", api="SmoothStreaming", kind="bool"),
        Prop("targetOriginId", api="TargetOriginId"),
        Prop("trustedKeyGroups", api="TrustedKeyGroups.Items", kind="list"),
        Prop("trustedSigners", api="TrustedSigners.Items", kind="list"),
        Prop("viewerProtocolPolicy", api="ViewerProtocolPolicy"),
    )


_ORIGIN = (
    Prop("originId", api="Id"),
    Prop("domainName", api="DomainName"),
    Prop("originPath", api="OriginPath", default=""),
    _text("originAccessControlId", "OriginAccessControlId"),
    Prop("connectionAttempts", api="ConnectionAttempts", kind="int", default=3),
    Prop("connectionTimeout", api="ConnectionTimeout", kind="int", default=10),
    Prop("customHeaders", api="CustomHeaders.Items", kind="list", set_key="name", props=(
        Prop("name", api="HeaderName"), Prop("value", api="HeaderValue"))),
    Prop("customOriginConfig", api="CustomOriginConfig", kind="object", props=(
        Prop("httpPort", api="HTTPPort", kind="int"),
        Prop("httpsPort", api="HTTPSPort", kind="int"),
        Prop("originProtocolPolicy", api="OriginProtocolPolicy"),
        Prop("originSslProtocols", api="OriginSslProtocols.Items", kind="list"),
        Prop("originKeepaliveTimeout", api="OriginKeepaliveTimeout", kind="int", default=5),
        Prop("originReadTimeout", api="OriginReadTimeout", kind="int", default=30),
        Prop("ipAddressType", api="IpAddressType"),
    )),
    Prop("originShield", api="OriginShield", kind="object", props=(
        Prop("enabled", api="Enabled", kind="bool"), Prop("originShieldRegion", api="OriginShieldRegion"))),
    Prop("s3OriginConfig", api="S3OriginConfig", kind="object", props=(
        Prop("originAccessIdentity", api="OriginAccessIdentity"),)),
)


def with_quantities(value: Any, shape: Any) -> Any:
    """`value` with CloudFront's list wrappers completed from the botocore `shape`: `Quantity`
    counts `Items` (an empty list sends no `Items`), and `Enabled` of trusted signers and key
    groups says whether there are any."""
    if shape.type_name == "list" and isinstance(value, list):
        return [with_quantities(v, shape.member) for v in value]
    if shape.type_name != "structure" or not isinstance(value, Mapping):
        return value
    out = {k: with_quantities(v, shape.members[k]) for k, v in value.items() if k in shape.members}
    if "Quantity" in shape.members:
        items = out.pop("Items", None) or []
        out["Quantity"] = len(items)
        if items:
            out["Items"] = items
        if "Enabled" in shape.required_members:
            out.setdefault("Enabled", bool(items))
    return out


def _undeclared(props: tuple[Prop, ...], block: Mapping[str, Any], path: str) -> Iterator[str]:
    """Paths of nested settings the description does not have (they would be dropped unsaid)."""
    known = {p.name: p for p in props}
    for key, value in block.items():
        prop = known.get(key)
        if value is None or key.startswith("__"):
            continue
        if prop is None:
            yield f"{path}{key}"
        elif prop.props and isinstance(value, Mapping):
            yield from _undeclared(prop.props, value, f"{path}{key}.")
        elif prop.props and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    yield from _undeclared(prop.props, item, f"{path}{key}[{index}].")


class DistributionCode(DeclaredResource):
    """The configuration document in, the distribution out; versioned updates and the
    disable-then-delete AWS requires."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        nested = {p.name: news[p.name] for p in self.spec.inputs if p.props and news.get(p.name) is not None}
        unsupported = list(_undeclared(self.spec.inputs, nested, ""))
        if unsupported:
            raise ProviderError(f"{self.type_token} {name}: the local engine does not support "
                                f"{', '.join(unsupported)} (see `orchestrator stack types`)")
        return news

    def configuration(self, inputs: Mapping[str, Any], caller_reference: str) -> dict[str, Any]:
        config: dict[str, Any] = {"CallerReference": caller_reference, "Comment": ""}
        for prop in self.spec.inputs:
            value = inputs.get(prop.name)
            if prop.api and value is not None:
                set_path(config, prop.api, to_api(prop, value))
        logging = config.get("Logging")
        config["Logging"] = {"Enabled": bool(logging), "IncludeCookies": False, "Bucket": "", "Prefix": "",
                             **(logging or {})}
        certificate = config.setdefault("ViewerCertificate", {"CloudFrontDefaultCertificate": True})
        if certificate.get("ACMCertificateArn") or certificate.get("IAMCertificateId"):
            certificate.setdefault("CloudFrontDefaultCertificate", False)
        model = self.client(inputs).meta.service_model.shape_for("DistributionConfig")
        return dict(with_quantities(config, model))

    def _wait_deployed(self, inputs: Mapping[str, Any], id: str) -> None:
        self.client(inputs).get_waiter("distribution_deployed").wait(Id=id, WaiterConfig=_DEPLOYED)

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = urn.rsplit("::", 1)[-1]
        config = self.configuration(inputs, uuid.uuid4().hex)
        with self.errors(name, inputs):
            created = self.client(inputs).create_distribution_with_tags(DistributionConfigWithTags={
                "DistributionConfig": config, "Tags": {"Items": tag_list(self.desired_tags(inputs))}})
        id_ = str(created["Distribution"]["Id"])
        with self.rollback_on_failure(id_, inputs), self.errors(id_, inputs):
            if inputs.get("waitForDeployment", True):
                self._wait_deployed(inputs, id_)
        return id_, self.described(id_, inputs)

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        from orchestrator.engines.local.providers.aws.client import missing

        with missing(*_NO_DISTRIBUTION) as probe:
            answer = self.client(inputs).get_distribution(Id=id)
        if probe.gone:
            return None
        found = dict(answer["Distribution"])
        doc = {**found.pop("DistributionConfig"), **found, "ETag": answer["ETag"]}
        logging = doc.pop("Logging", None) or {}
        doc["LoggingV1Enabled"] = bool(logging.get("Enabled"))
        if logging.get("Enabled"):  # a disabled logging block is no `loggingConfig`
            doc["Logging"] = logging
        return doc

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        outputs["trustedKeyGroups"] = [_active(doc.get("ActiveTrustedKeyGroups"), "keyGroupId", "KeyGroupId")]
        outputs["trustedSigners"] = [_active(doc.get("ActiveTrustedSigners"), "awsAccountNumber", "AwsAccountNumber")]
        return outputs

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        client = self.client(news)
        documented = [p.name for p in self.spec.inputs if p.api]
        with self.errors(id, news, old_inputs):
            if any(news.get(n) != old_inputs.get(n) for n in documented):
                current = client.get_distribution_config(Id=id)  # the current ETag, whoever changed it last
                config = self.configuration(news, current["DistributionConfig"]["CallerReference"])
                client.update_distribution(Id=id, IfMatch=current["ETag"], DistributionConfig=config)
                if news.get("waitForDeployment", True):
                    self._wait_deployed(news, id)
            self._write_tags(self.fields(news, id=id, outputs=old_outputs), old_outputs.get("tagsAll") or {},
                             self.desired_tags(news))
        return self.described(id, news)

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        from orchestrator.engines.local.providers.aws.client import missing

        client = self.client(inputs)
        with self.errors(id, inputs), missing(*_NO_DISTRIBUTION):
            current = client.get_distribution_config(Id=id)
            etag, config = current["ETag"], current["DistributionConfig"]
            if config.get("Enabled"):
                disabled = {**config, "Enabled": False}
                etag = client.update_distribution(Id=id, IfMatch=etag, DistributionConfig=disabled)["ETag"]
                self._wait_deployed(inputs, id)
            if inputs.get("retainOnDelete"):
                return  # left disabled, as pulumi-aws leaves it
            client.delete_distribution(Id=id, IfMatch=etag)


def _active(block: Any, key: str, api_key: str) -> dict[str, Any]:
    """ActiveTrustedKeyGroups / ActiveTrustedSigners as pulumi-aws's one-element output list."""
    block = block if isinstance(block, Mapping) else {}
    items = [{key: i.get(api_key), "keyPairIds": list((i.get("KeyPairIds") or {}).get("Items") or [])}
             for i in block.get("Items") or [] if isinstance(i, Mapping)]
    return {"enabled": bool(block.get("Enabled")), "items": items}


DISTRIBUTION = AwsType(
    token="aws:cloudfront/distribution:Distribution",
    client="cloudfront",
    props=(
        Prop("enabled", api="Enabled", kind="bool", required=True),
        Prop("origins", api="Origins.Items", kind="list", required=True, set_key="originId", props=_ORIGIN),
        Prop("defaultCacheBehavior", api="DefaultCacheBehavior", kind="object", required=True,
             props=_cache_behavior()),
        Prop("orderedCacheBehaviors", api="CacheBehaviors.Items", kind="list",
             props=_cache_behavior(Prop("pathPattern", api="PathPattern"))),
        Prop("restrictions", api="Restrictions", kind="object", required=True, props=(
            Prop("geoRestriction", api="GeoRestriction", kind="object", props=(
                Prop("locations", api="Items", kind="list"), Prop("restrictionType", api="RestrictionType"))),)),
        Prop("viewerCertificate", api="ViewerCertificate", kind="object", required=True, props=(
            _text("acmCertificateArn", "ACMCertificateArn"),
            Prop("cloudfrontDefaultCertificate", api="CloudFrontDefaultCertificate", kind="bool"),
            _text("iamCertificateId", "IAMCertificateId"),
            Prop("minimumProtocolVersion", api="MinimumProtocolVersion", default="TLSv1"),
            Prop("sslSupportMethod", api="SSLSupportMethod"),
        )),
        Prop("aliases", api="Aliases.Items", kind="list"),
        _text("comment", "Comment"),
        _text("continuousDeploymentPolicyId", "ContinuousDeploymentPolicyId"),
        Prop("customErrorResponses", api="CustomErrorResponses.Items", kind="list", set_key="errorCode", props=(
            Prop("errorCode", api="ErrorCode", kind="int"),
            Prop("responseCode", api="ResponseCode", kind="int", stringly=True),  # the API's is text
            _text("responsePagePath", "ResponsePagePath"),
            Prop("errorCachingMinTtl", api="ErrorCachingMinTTL", kind="int"),
        )),
        _text("defaultRootObject", "DefaultRootObject"),
        Prop("httpVersion", api="HttpVersion", default="http2"),
        Prop("isIpv6Enabled", api="IsIPV6Enabled", kind="bool", default=False),
        Prop("loggingConfig", api="Logging", kind="object", props=(
            Prop("bucket", api="Bucket"), Prop("includeCookies", api="IncludeCookies", kind="bool", default=False),
            Prop("prefix", api="Prefix", default=""))),
        Prop("originGroups", api="OriginGroups.Items", kind="list", set_key="originId", props=(
            Prop("originId", api="Id"),
            Prop("failoverCriteria", api="FailoverCriteria", kind="object", props=(
                Prop("statusCodes", api="StatusCodes.Items", kind="list"),)),
            Prop("members", api="Members.Items", kind="list", props=(Prop("originId", api="OriginId"),)),
        )),
        Prop("priceClass", api="PriceClass", default="PriceClass_All"),
        Prop("staging", api="Staging", kind="bool", default=False, replace=True),
        _text("webAclId", "WebACLId"),
        Prop("retainOnDelete", kind="bool", default=False),  # the provider's own: kept in state
        Prop("waitForDeployment", kind="bool", default=True),
        Prop("arn", read="ARN", output=True),
        Prop("callerReference", read="CallerReference", output=True),
        Prop("domainName", read="DomainName", output=True),
        Prop("etag", read="ETag", output=True),
        Prop("status", read="Status", output=True),
        Prop("lastModifiedTime", read="LastModifiedTime", output=True),
        Prop("inProgressValidationBatches", read="InProgressInvalidationBatches", kind="int", output=True),
        Prop("loggingV1Enabled", read="LoggingV1Enabled", kind="bool", output=True),
        Prop("hostedZoneId", template=HOSTED_ZONE_ID),
        Prop("trustedKeyGroups", kind="list", read="", output=True),
        Prop("trustedSigners", kind="list", read="", output=True),
    ),
    create=Call("create_distribution_with_tags"),
    read=(),
    delete=None,
    tagging=Tagging(
        on_create=None,
        read=Call("list_tags_for_resource", {"Resource": "{doc.ARN}"}, result="Tags.Items"),
        tag=Call("tag_resource", {"Resource": "{outputs.arn}", "Tags": {"Items": "{tags}"}}),
        untag=Call("untag_resource", {"Resource": "{outputs.arn}", "TagKeys": {"Items": "{keys}"}}),
    ),
    impl=DistributionCode,
)
