"""boto3 clients for the built-in AWS providers, and AWS's failures turned into messages a
user can act on.

boto3 and botocore are imported inside functions so `orchestrator --help` stays fast.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from orchestrator.engines.local.providers.base import ProviderContext, ProviderError

# Credentials for an emulator endpoint when the environment holds none (moto accepts any).
_DUMMY_CREDENTIAL = "testing"

_clients: dict[tuple[str, ...], Any] = {}
_clients_lock = threading.Lock()


def _has_env_credentials() -> bool:
    return bool(os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))


def aws_client(ctx: ProviderContext, service: str, region: str) -> Any:
    """A cached boto3 client for `service` in `region`, at the context's endpoint."""
    aws = ctx.aws
    key = (service, region, ctx.endpoints.get(service) or aws.endpoint or "", aws.profile or "", aws.role_arn or "",
           str(sorted(ctx.assume_role.items())))
    with _clients_lock:  # boto3 sessions are not thread-safe; clients are.
        client = _clients.get(key)
        if client is None:
            client = _new_client(ctx, service, region)
            _clients[key] = client
        return client


def _new_client(ctx: ProviderContext, service: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    aws = ctx.aws
    config = Config(
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
    )
    credentials: dict[str, str] = {}
    if aws.endpoint and not _has_env_credentials() and not aws.profile:
        credentials = {"aws_access_key_id": _DUMMY_CREDENTIAL, "aws_secret_access_key": _DUMMY_CREDENTIAL}
    session: Any = boto3.session.Session(profile_name=aws.profile, region_name=region)
    if aws.role_arn:
        credentials = _assumed_role_credentials(session, ctx, region)
    endpoint = ctx.endpoints.get(service) or aws.endpoint
    return session.client(service, region_name=region, endpoint_url=endpoint, config=config, **credentials)


def _assumed_role_credentials(session: Any, ctx: ProviderContext, region: str) -> dict[str, str]:
    sts = session.client("sts", region_name=region, endpoint_url=ctx.endpoints.get("sts") or ctx.aws.endpoint)
    with aws_errors("aws:iam/role", ctx.aws.role_arn or "", ctx):
        extra = {"ExternalId": str(ctx.assume_role["externalId"])} if ctx.assume_role.get("externalId") else {}
        session_name = str(ctx.assume_role.get("sessionName") or f"orchestrator-{ctx.stack}")
        granted = sts.assume_role(RoleArn=ctx.aws.role_arn, RoleSessionName=session_name, **extra)
    creds = granted["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


class missing:
    """Suppresses AWS's "no such object" answers (`codes`); `.gone` says one came.

    Reads turn it into "the resource is gone", deletes into "already gone".
    """

    def __init__(self, *codes: str) -> None:
        self.codes = codes
        self.gone = False

    def __enter__(self) -> missing:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if exc is not None and error_code(exc) in self.codes:
            self.gone = True
            return True
        return False


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    # AWS validation messages may echo the offending value back.
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")
    return text


@contextmanager
def aws_errors(type_token: str, name: str, ctx: ProviderContext, secrets: tuple[str, ...] = ()) -> Iterator[None]:
    """Turn boto3's failures into ProviderErrors a user can act on (never echoing `secrets`)."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    where = ctx.aws.endpoint or f"AWS ({ctx.aws.region})"
    try:
        yield
    except (EndpointConnectionError, ConnectTimeoutError, ConnectionClosedError, ReadTimeoutError) as exc:
        hint = " Is the sandbox running? (`orchestrator sandbox status`)" if ctx.aws.endpoint else ""
        raise ProviderError(f"{type_token} {name}: the AWS endpoint {where} cannot be reached ({exc}).{hint}") from exc
    except NoCredentialsError as exc:
        raise ProviderError(
            f"{type_token} {name}: no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID"
        ) from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        message = _scrub(str(error.get("Message", "")), secrets)
        raise ProviderError(
            f"{type_token} {name}: {where} refused {exc.operation_name}: {error.get('Code', 'Error')}: {message}"
        ) from None
    except BotoCoreError as exc:
        raise ProviderError(f"{type_token} {name}: AWS call failed: {_scrub(str(exc), secrets)}") from None


_accounts: dict[tuple[str, ...], str] = {}


def account_id(ctx: ProviderContext, region: str) -> str:
    """The account the credentials belong to (STS GetCallerIdentity), asked once per endpoint."""
    key = (ctx.aws.endpoint or "", ctx.aws.profile or "", ctx.aws.role_arn or "")
    found = _accounts.get(key)
    if found is None:
        with aws_errors("aws:sts", "GetCallerIdentity", ctx):
            found = str(aws_client(ctx, "sts", region).get_caller_identity()["Account"])
        _accounts[key] = found
    return found
