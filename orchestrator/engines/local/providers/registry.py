"""Which built-in provider handles a type token.

The engine core handles `pulumi-python:dynamic:Resource` and `pulumi:pulumi:StackReference`
itself; everything else comes through `get_provider`, which refuses, never skips, a type it
does not know.
"""

from __future__ import annotations

from orchestrator.engines.local.providers.base import ProviderContext, ProviderError, ResourceProvider
from orchestrator.engines.local.providers.kubernetes import (
    NAMED_KINDS,
    KubernetesObject,
    is_kubernetes_type,
    unsupported_reason,
)

AWS_TYPES: tuple[str, ...] = (
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:sqs/queue:Queue",
    "aws:sns/topic:Topic",
    "aws:dynamodb/table:Table",
    "aws:iam/role:Role",
    "aws:ssm/parameter:Parameter",
)
KUBERNETES_GENERIC = "kubernetes:<group>/<version>:<Kind> (any plain object)"

SUPPORTED_TYPES: tuple[str, ...] = (*AWS_TYPES, *NAMED_KINDS)


def _supported_list() -> str:
    return ", ".join((*SUPPORTED_TYPES, KUBERNETES_GENERIC))


def is_supported(type_token: str) -> bool:
    if type_token in AWS_TYPES:
        return True
    return is_kubernetes_type(type_token) and unsupported_reason(type_token) is None


def get_provider(type_token: str, ctx: ProviderContext) -> ResourceProvider:
    """The provider for `type_token`, or a ProviderError naming it and the supported types."""
    if type_token in AWS_TYPES:
        from orchestrator.engines.local.providers import aws

        by_token = {cls.type_token: cls for cls in aws.AWS_RESOURCES}
        return by_token[type_token](ctx)
    if is_kubernetes_type(type_token):
        reason = unsupported_reason(type_token)
        if reason is None:
            return KubernetesObject(ctx, type_token)
        raise ProviderError(
            f"resource type {type_token} is not supported by the local engine: {reason}; supported: {_supported_list()}"
        )
    raise ProviderError(
        f"resource type {type_token} is not supported by the local engine; supported: {_supported_list()}"
    )
