"""Unmanaged resources: what exists in the account (of the types we know) that no stack owns.

Pulumi only offers this in its paid tier; here it is a listing with boto3 (`drift.cloud`)
compared with the identifiers found in the stacks' state (`drift.owned`). A scan that fails
anywhere returns no findings and sets `UnmanagedScan.error`: a partial listing would make
the resources it missed look resolved.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import replace

from orchestrator.config.resolved import UnmanagedSettings
from orchestrator.drift.cloud import CloudResource, describe_failure, list_resources
from orchestrator.drift.model import Finding, UnmanagedScan
from orchestrator.drift.owned import OwnedIndex
from orchestrator.globs import match
from orchestrator.models import AwsSettings


def scan_unmanaged(
    environment: str,
    aws: AwsSettings,
    endpoint: str | None,
    owned: Collection[str],
    settings: UnmanagedSettings,
) -> tuple[list[Finding], UnmanagedScan]:
    """List the account's resources in the environment's region and report the unowned ones.

    `endpoint` is the resolved AWS endpoint URL (None: real AWS), overriding `aws.endpoint`
    (which may be the word `sandbox`). `owned` holds ARNs, queue URLs, type-qualified names
    (see `owned_identifiers`) or plain names. Never raises for a cloud failure: the scan's
    `error` says what failed and the findings are empty.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    started = time.monotonic()
    region = aws.region
    try:
        resources = list_resources(replace(aws, endpoint=endpoint), need_role_tags=bool(settings.exclude_tags))
    except (BotoCoreError, ClientError) as exc:  # the cloud's failures are reported; bugs still raise
        return [], UnmanagedScan(
            environment=environment,
            region=region,
            scanned=0,
            excluded=0,
            error=describe_failure(exc, endpoint=endpoint, region=region),
            duration_s=time.monotonic() - started,
        )
    is_owned = OwnedIndex(owned).owns
    findings: list[Finding] = []
    excluded = 0
    for resource in resources:
        if is_owned(resource):
            continue
        if is_excluded(resource, settings):
            excluded += 1
            continue
        findings.append(_finding(environment, resource))
    findings.sort(key=lambda f: (f.type, f.name, f.key))
    scan = UnmanagedScan(
        environment=environment,
        region=region,
        scanned=len(resources),
        excluded=excluded,
        duration_s=time.monotonic() - started,
    )
    return findings, scan


def _finding(environment: str, resource: CloudResource) -> Finding:
    return Finding(
        key=f"{environment}:unmanaged:{resource.arn}",
        environment=environment,
        kind="unmanaged",
        type=resource.type,
        name=resource.name,
        resource_id=resource.arn,
    )



def is_excluded(resource: CloudResource, settings: UnmanagedSettings) -> bool:
    """Exclusion rules: a name glob matching the name or the ARN, or a tag rule
    (key exact, value glob; `*` is any value, even one holding `/`)."""
    for glob in settings.exclude_names:
        if match(glob, resource.name) or match(glob, resource.arn):
            return True
    for key, value_glob in settings.exclude_tags:
        value = resource.tags.get(key)
        if value is not None and (value_glob == "*" or match(value_glob, value)):
            return True
    return False

