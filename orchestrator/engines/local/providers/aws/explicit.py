"""An explicit `aws.Provider` resource's inputs as the context its resources run in.

Pulumi sends a provider's inputs with every non-string value as JSON text
(`defaultTags: '{"tags": {...}}'`, `skipCredentialsValidation: "true"`), nested keys as the
program wrote them (`role_arn` from a plain dict, `roleArn` from `ProviderAssumeRoleArgs`). An explicit provider
does not read the stack's `aws:` configuration: only its own inputs (region, profile,
`assumeRole`, `defaultTags`, `endpoints`, the `skip*` flags), over the environment's endpoint
(the sandbox stays the sandbox).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.engines.local.providers.base import ProviderError
from orchestrator.models import AwsSettings

_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}")
# pulumi-aws `endpoints` keys that boto3 names differently.
_SERVICE_NAMES = {"cloudwatchlogs": "logs", "cloudwatchevents": "events", "eventbridge": "events",
                  "elb": "elb", "lb": "elbv2", "alb": "elbv2", "cloudwatch": "cloudwatch"}
# Inputs that change nothing in how the local engine calls AWS, accepted as Pulumi accepts them.
_ACCEPTED = frozenset({
    "version", "skipCredentialsValidation", "skipRequestingAccountId", "skipMetadataApiCheck",
    "skipRegionValidation", "accessKey", "secretKey", "token", "maxRetries", "sharedCredentialsFiles",
    "sharedConfigFiles", "s3UsePathStyle", "ignoreTags", "retryMode", "httpProxy", "httpsProxy", "noProxy",
    "insecure", "useFipsEndpoint", "useDualstackEndpoint", "stsRegion", "allowedAccountIds",
    "forbiddenAccountIds", "customCaBundle", "ec2MetadataServiceEndpoint", "ec2MetadataServiceEndpointMode",
    "tokenBucketRateLimiterCapacity", "region", "profile", "assumeRole", "assumeRoles", "defaultTags", "endpoints",
})


@dataclass(frozen=True)
class ExplicitProvider:
    aws: AwsSettings
    default_tags: Mapping[str, Any] | None = None  # as `aws:defaultTags` config: {"tags": {...}}
    endpoints: Mapping[str, str] = field(default_factory=dict)
    assume_role: Mapping[str, Any] = field(default_factory=dict)


def _value(raw: Any, where: str) -> Any:
    if isinstance(raw, str) and raw[:1] in "{[":
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ProviderError(f"{where} is not valid JSON: {exc}") from exc
    return raw


def _camel(key: str) -> str:
    """A nested key as the program wrote it (`role_arn` in a plain dict) in pulumi-aws's form."""
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def _flag(raw: Any) -> bool:
    return raw is True or (isinstance(raw, str) and raw.lower() == "true")


def explicit_provider(name: str, inputs: Mapping[str, Any], environment: AwsSettings) -> ExplicitProvider:
    """The settings of provider `name` from its inputs; a clear error for what it cannot honour."""
    where = f"pulumi:providers:aws {name}"
    unknown = sorted(k for k, v in inputs.items() if v is not None and k not in _ACCEPTED and not k.startswith("__"))
    if unknown:
        raise ProviderError(f"{where}: the local engine does not support the input(s) {', '.join(unknown)}")
    region = str(inputs.get("region") or environment.region)
    if not _flag(inputs.get("skipRegionValidation")) and not _REGION.fullmatch(region):
        raise ProviderError(f"{where}: {region!r} is not an AWS region name; set skipRegionValidation to use it")
    # pulumi-aws v7 takes a list (`assumeRoles`), earlier majors one block (`assumeRole`).
    assume_role = _value(inputs.get("assumeRoles") or inputs.get("assumeRole"), f"{where} assumeRoles") or {}
    if isinstance(assume_role, list):
        if len(assume_role) > 1:
            raise ProviderError(f"{where}: the local engine assumes one role, not a chain of {len(assume_role)}")
        assume_role = assume_role[0] if assume_role else {}
    if not isinstance(assume_role, Mapping):
        raise ProviderError(f"{where}: assumeRoles must hold an object with roleArn")
    assume_role = {_camel(str(k)): v for k, v in assume_role.items()}
    endpoints: dict[str, str] = {}
    for entry in _value(inputs.get("endpoints"), f"{where} endpoints") or []:
        for service, url in (entry.items() if isinstance(entry, Mapping) else ()):
            if url:
                endpoints[_SERVICE_NAMES.get(str(service), str(service))] = str(url)
    tags = _value(inputs.get("defaultTags"), f"{where} defaultTags")
    # On an emulator endpoint (the sandbox) any credentials do: a profile named for real AWS is not used.
    profile = str(inputs["profile"]) if inputs.get("profile") and not environment.endpoint else environment.profile
    aws = AwsSettings(region=region, endpoint=environment.endpoint,
                      role_arn=str(assume_role["roleArn"]) if assume_role.get("roleArn") else environment.role_arn,
                      profile=profile)
    return ExplicitProvider(aws=aws, default_tags=tags if isinstance(tags, Mapping) else None,
                            endpoints=endpoints, assume_role=dict(assume_role))
