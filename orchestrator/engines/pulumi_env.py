"""The environment the Pulumi CLI and its provider plugins run in: the backend, the AWS region,
endpoint and credentials (an assumed role's, when the environment names one).

boto3 is imported inside functions: the CLI must start fast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from orchestrator.errors import UserError
from orchestrator.models import AwsSettings, StackSpec
from orchestrator.redact import Redactor


def aws_env_vars(aws: AwsSettings, endpoint: str | None, environ: Mapping[str, str]) -> dict[str, str]:
    """Environment variables for the AWS SDKs in the CLI and its provider plugins."""
    env = {"AWS_REGION": aws.region, "AWS_DEFAULT_REGION": aws.region}
    if aws.profile and not aws.role_arn:
        env["AWS_PROFILE"] = aws.profile
    has_credentials = "AWS_ACCESS_KEY_ID" in environ or "AWS_PROFILE" in environ or aws.profile or aws.role_arn
    if endpoint and not has_credentials:
        # Emulators accept any key; pulumi-aws refuses to start with none at all.
        env["AWS_ACCESS_KEY_ID"] = "test"
        env["AWS_SECRET_ACCESS_KEY"] = "test"
    return env


def default_endpoint(spec: StackSpec) -> str | None:
    """The AWS endpoint URL: `sandbox` → the running embedded AWS; a URL as is; None → AWS."""
    if spec.aws.endpoint is None:
        return None
    from orchestrator.sandbox import resolve_endpoint

    return resolve_endpoint(spec.aws, spec.repo_root)


def assume_role_env(aws: AwsSettings, endpoint: str | None, session_name: str) -> dict[str, str]:
    """Temporary credentials of `aws.role_arn` (boto3 STS), as environment variables."""
    import boto3
    import botocore.exceptions

    try:
        session = boto3.Session(profile_name=aws.profile, region_name=aws.region)
        sts = session.client("sts", endpoint_url=endpoint) if endpoint else session.client("sts")
        response = sts.assume_role(RoleArn=aws.role_arn, RoleSessionName=session_name)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise UserError(
            f"cannot assume role {aws.role_arn}: {Redactor().text(str(exc))}",
            hint="check the environment's aws.role_arn and aws.profile, and the credentials allowed to assume it",
        ) from exc
    credentials = response["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": str(credentials["AccessKeyId"]),
        "AWS_SECRET_ACCESS_KEY": str(credentials["SecretAccessKey"]),
        "AWS_SESSION_TOKEN": str(credentials["SessionToken"]),
    }


def session_name(spec: StackSpec) -> str:
    """An STS session name (≤ 64 chars of [\\w+=,.@-]) saying who assumed the role for what."""
    raw = f"gitops-orchestrator-{spec.project}-{spec.environment}"
    return re.sub(r"[^\w+=,.@-]", "-", raw)[:64]
