"""CloudFront through the engine: a distribution in front of a private bucket, reached through
an origin access control, with a second origin through an origin access identity, and its DNS
name aliased in Route 53. Create, an in-place update of each type, a replace (a distribution
made a staging one), drift of the distribution and the access control, and a destroy that
leaves nothing: the sandbox refuses, as AWS does, to delete an enabled distribution or an
access control a distribution still uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.aws.harness import Clients, TypeCase, run_type_case

PROGRAM = '''
import pulumi
import pulumi_aws as aws

step = pulumi.Config().require("step")
later = step != "create"

content = aws.s3.Bucket("content", force_destroy=True)
archive = aws.s3.Bucket("archive", force_destroy=True)
control = aws.cloudfront.OriginAccessControl("content-access", origin_access_control_origin_type="s3",
                                             signing_behavior="no-override" if later else "always",
                                             signing_protocol="sigv4")
identity = aws.cloudfront.OriginAccessIdentity("archive-access", comment="archive, v2" if later else "archive")
cdn = aws.cloudfront.Distribution("cdn",
    enabled=True,
    comment="site, v2" if later else "site",
    staging=step == "replace",
    default_root_object="index.html",
    price_class="PriceClass_100" if later else "PriceClass_All",
    origins=[
        {"origin_id": "content", "domain_name": content.bucket_regional_domain_name,
         "origin_access_control_id": control.id},
        {"origin_id": "archive", "domain_name": archive.bucket_regional_domain_name,
         "s3_origin_config": {"origin_access_identity": identity.cloudfront_access_identity_path}},
    ],
    default_cache_behavior={
        "target_origin_id": "content", "viewer_protocol_policy": "redirect-to-https",
        "allowed_methods": ["GET", "HEAD", "OPTIONS"], "cached_methods": ["GET", "HEAD"],
        "forwarded_values": {"query_string": later, "cookies": {"forward": "none"}},
        "min_ttl": 0, "default_ttl": 300, "max_ttl": 3600,
    },
    ordered_cache_behaviors=[{
        "path_pattern": "/old/*", "target_origin_id": "archive", "viewer_protocol_policy": "https-only",
        "allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"],
        "forwarded_values": {"query_string": False, "cookies": {"forward": "none"}},
    }],
    custom_error_responses=[{"error_code": 404, "response_code": 404, "response_page_path": "/404.html"}],
    restrictions={"geo_restriction": {"restriction_type": "whitelist" if later else "none",
                                      "locations": ["DE", "FR"] if later else []}},
    viewer_certificate={"cloudfront_default_certificate": True},
    tags={"site": "docs"},
    wait_for_deployment=False)
zone = aws.route53.Zone("zone", name="cdn-case.example.test")
aws.route53.Record("www", zone_id=zone.zone_id, name="www", type="A",
                   aliases=[{"name": cdn.domain_name, "zone_id": cdn.hosted_zone_id, "evaluate_target_health": False}])
pulumi.export("distribution", cdn.id)
pulumi.export("control", control.id)
'''


def _by_hand(clients: Clients, outputs: dict[str, Any]) -> None:
    cloudfront = clients("cloudfront")
    current = cloudfront.get_distribution_config(Id=outputs["distribution"])
    cloudfront.update_distribution(Id=outputs["distribution"], IfMatch=current["ETag"], DistributionConfig={
        **current["DistributionConfig"], "DefaultRootObject": "home.html"})
    control = cloudfront.get_origin_access_control(Id=outputs["control"])
    config = control["OriginAccessControl"]["OriginAccessControlConfig"]
    cloudfront.update_origin_access_control(Id=outputs["control"], IfMatch=control["ETag"],
                                            OriginAccessControlConfig={**config, "SigningBehavior": "never"})


@pytest.mark.types
def test_distribution_with_its_origin_access(tmp_path: Path, endpoint: str) -> None:
    run = run_type_case(TypeCase(
        program=PROGRAM,
        updated={"content-access": "update", "archive-access": "update", "cdn": "update"},
        # A new distribution has a new domain name: the alias record follows it.
        replaced={"cdn": "replace", "www": "update"},
        drift=_by_hand,
        drifted={"cdn": "update", "content-access": "update"},
    ), tmp_path, endpoint)
    assert run.outputs("replace")["distribution"] != run.outputs("create")["distribution"]
