"""CloudFront through its providers against the sandbox, whose CloudFront keeps AWS's rules
(an ETag per configuration, If-Match on every update and delete, no delete of an enabled
distribution): a distribution's life, and the origin access control and identity a private
bucket origin uses (the identities through the sandbox's stand-in for the API moto lacks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from orchestrator.engines.local.providers.aws.services._cloudfront_distribution import HOSTED_ZONE_ID
from orchestrator.engines.local.providers.base import ProviderContext, ProviderError
from tests.providers.test_more_services import _life
from tests.support.providers import provider

Boto = Callable[[str], Any]
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
URN = f"urn:pulumi:dev::proj::{DISTRIBUTION}::cdn"


def _site(**more: Any) -> dict[str, Any]:
    """A distribution in front of a website bucket, as the SDK sends it (numbers as floats)."""
    return {
        "enabled": True,
        "origins": [{"originId": "site", "domainName": "site.s3-website-us-east-1.amazonaws.com",
                     "customOriginConfig": {"httpPort": 80.0, "httpsPort": 443.0, "originProtocolPolicy": "http-only",
                                            "originSslProtocols": ["TLSv1.2"]}}],
        "defaultCacheBehavior": {"targetOriginId": "site", "viewerProtocolPolicy": "redirect-to-https",
                                 "allowedMethods": ["GET", "HEAD"], "cachedMethods": ["GET", "HEAD"],
                                 "forwardedValues": {"queryString": False, "cookies": {"forward": "none"}},
                                 "defaultTtl": 600.0, "maxTtl": 600.0},
        "customErrorResponses": [{"errorCode": 404.0, "responseCode": 404.0, "responsePagePath": "/404.html"}],
        "restrictions": {"geoRestriction": {"restrictionType": "none"}},
        "viewerCertificate": {"cloudfrontDefaultCertificate": True},
        "defaultRootObject": "index.html",
        "tags": {"site": "docs"},
        **more,
    }


def test_a_distribution_lives_by_its_etag_and_is_disabled_before_it_is_deleted(
    ctx: ProviderContext, boto: Boto
) -> None:
    cdn = provider(DISTRIBUTION, ctx)
    cloudfront = boto("cloudfront")
    inputs = cdn.check(URN, "cdn", None, _site())
    id_, created = cdn.create(URN, inputs)
    assert created["domainName"].endswith(".cloudfront.net") and created["hostedZoneId"] == HOSTED_ZONE_ID
    assert created["arn"].endswith(f":distribution/{id_}") and created["status"] == "Deployed"
    assert created["customErrorResponses"] == [{"errorCode": 404, "responseCode": 404, "responsePagePath": "/404.html"}]
    assert created["tagsAll"] == {"ManagedBy": "orchestrator-tests", "site": "docs"}
    live = cdn.read(URN, id_, inputs, created)
    assert live is not None and live.outputs == created

    # An update sends the whole configuration with the current ETag and gets a new one.
    news = cdn.check(URN, "cdn", inputs, _site(comment="v2", priceClass="PriceClass_100", tags={"site": "blog"}))
    diff = cdn.diff(URN, id_, inputs, created, news)
    assert diff.changed and not diff.replace
    updated = cdn.update(URN, id_, inputs, created, news)
    assert updated["comment"] == "v2" and updated["etag"] != created["etag"] and updated["tags"] == {"site": "blog"}
    config = cloudfront.get_distribution_config(Id=id_)["DistributionConfig"]
    assert config["PriceClass"] == "PriceClass_100" and config["Origins"]["Quantity"] == 1
    assert cdn.diff(URN, id_, news, updated, cdn.check(URN, "cdn", news, _site(staging=True))).replace

    # Changed behind the engine's back: read as drift; the next update still names the right ETag.
    behind = cloudfront.get_distribution_config(Id=id_)
    elsewhere = {**behind["DistributionConfig"], "DefaultRootObject": "home.html"}
    cloudfront.update_distribution(Id=id_, IfMatch=behind["ETag"], DistributionConfig=elsewhere)
    drifted = cdn.read(URN, id_, news, updated)
    assert drifted is not None and drifted.outputs["defaultRootObject"] == "home.html"
    again = cdn.update(URN, id_, news, updated, cdn.check(URN, "cdn", news, _site(comment="v3")))
    assert again["defaultRootObject"] == "index.html" and again["comment"] == "v3"

    # AWS refuses to delete an enabled distribution; the provider disables it first.
    with pytest.raises(ClientError, match="DistributionNotDisabled"):
        cloudfront.delete_distribution(Id=id_, IfMatch=cloudfront.get_distribution(Id=id_)["ETag"])
    cdn.delete(URN, id_, news, again)
    assert cdn.read(URN, id_, news, again) is None
    cdn.delete(URN, id_, news, again)  # already gone: nothing to do


def test_retain_on_delete_leaves_the_distribution_disabled(ctx: ProviderContext, boto: Boto) -> None:
    cdn = provider(DISTRIBUTION, ctx)
    inputs = cdn.check(URN, "cdn", None, _site(retainOnDelete=True, waitForDeployment=False))
    id_, created = cdn.create(URN, inputs)
    cdn.delete(URN, id_, inputs, created)
    assert boto("cloudfront").get_distribution(Id=id_)["Distribution"]["DistributionConfig"]["Enabled"] is False


def test_origin_access_control_and_identity(ctx: ProviderContext, boto: Boto) -> None:
    control = _life(ctx, "aws:cloudfront/originAccessControl:OriginAccessControl", "oac",
                    {"originAccessControlOriginType": "s3", "signingBehavior": "always", "signingProtocol": "sigv4"},
                    {"signingBehavior": "no-override"}, {"region": "us-west-2"})
    assert control["name"].startswith("oac-") and control["description"] == "Managed by Pulumi"
    identity = _life(ctx, "aws:cloudfront/originAccessIdentity:OriginAccessIdentity", "oai", {"comment": "site"},
                     {"comment": "site, v2"}, {"region": "us-west-2"})
    assert identity["cloudfrontAccessIdentityPath"] == f"origin-access-identity/cloudfront/{identity['id']}"
    assert identity["iamArn"].endswith(f":user/CloudFront Origin Access Identity {identity['id']}")
    assert len(identity["s3CanonicalUserId"]) == 96
    with pytest.raises(ClientError, match="NoSuchCloudFrontOriginAccessIdentity"):
        boto("cloudfront").get_cloud_front_origin_access_identity(Id=identity["id"])


def test_a_setting_the_engine_does_not_know_is_refused_by_name(ctx: ProviderContext) -> None:
    site = _site()
    site["origins"][0]["vpcOriginConfig"] = {"vpcOriginId": "vo-1"}
    with pytest.raises(ProviderError, match=r"does not support origins\[0\]\.vpcOriginConfig"):
        provider(DISTRIBUTION, ctx).check(URN, "cdn", None, site)
