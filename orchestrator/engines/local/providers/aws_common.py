"""What every built-in AWS resource shares: boto3 clients, error translation, tags, the base class.

boto3 and botocore are imported inside functions so `orchestrator --help` stays fast.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any, ClassVar

from orchestrator.engines.local.providers.base import (
    UNKNOWN_MARKER,
    DiffResult,
    ProviderContext,
    ProviderError,
    ReadResult,
)
from orchestrator.engines.local.providers.props import (
    as_tags,
    diff_inputs,
    diff_values,
)

# Credentials for an emulator endpoint when the environment holds none (moto accepts any).
_DUMMY_CREDENTIAL = "testing"

_clients: dict[tuple[str, ...], Any] = {}
_clients_lock = threading.Lock()


def _has_env_credentials() -> bool:
    return bool(os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))


def aws_client(ctx: ProviderContext, service: str, region: str) -> Any:
    """A cached boto3 client for `service` in `region`, at the context's endpoint."""
    aws = ctx.aws
    key = (service, region, aws.endpoint or "", aws.profile or "", aws.role_arn or "")
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
    return session.client(service, region_name=region, endpoint_url=aws.endpoint, config=config, **credentials)


def _assumed_role_credentials(session: Any, ctx: ProviderContext, region: str) -> dict[str, str]:
    sts = session.client("sts", region_name=region, endpoint_url=ctx.aws.endpoint)
    with aws_errors("aws:iam/role", ctx.aws.role_arn or "", ctx):
        granted = sts.assume_role(RoleArn=ctx.aws.role_arn, RoleSessionName=f"orchestrator-{ctx.stack}")
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


def default_tags(ctx: ProviderContext) -> dict[str, str]:
    """The provider's `defaultTags.tags`, from stack config `aws:defaultTags` (JSON or object)."""
    raw = ctx.config.get("aws:defaultTags", ctx.config.get("defaultTags"))
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ProviderError(f"config aws:defaultTags is not valid JSON: {exc}") from exc
    tags = raw.get("tags") if isinstance(raw, Mapping) else None
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise ProviderError("config aws:defaultTags.tags must map tag names to strings")
    return {str(k): str(v) for k, v in tags.items()}


def tags_outputs(ctx: ProviderContext, live: Mapping[str, str], input_tags: Mapping[str, str]) -> dict[str, Any]:
    """`tags` and `tagsAll` as pulumi-aws reports them: tagsAll is everything on the object,
    tags is that minus the provider's default tags (unless the resource sets the key itself)."""
    defaults = default_tags(ctx)
    own = {k: v for k, v in live.items() if k in input_tags or k not in defaults or defaults[k] != v}
    return {"tags": dict(sorted(own.items())), "tagsAll": dict(sorted(live.items()))}


class AwsResource:
    """Base of one pulumi-aws type: check/diff/preview shared, cloud calls in subclasses."""

    type_token: ClassVar[str]
    # Input properties whose change forces a replace.
    replace_on: ClassVar[tuple[str, ...]] = ()
    # Input properties accepted (besides `region` and `tags`); anything else is refused, never ignored.
    inputs_known: ClassVar[tuple[str, ...]] = ()
    # Inputs that only live in state (no API call needed to change them).
    state_only: ClassVar[tuple[str, ...]] = ()
    # Inputs whose values are secret (diffs show `[secret]`).
    secret_inputs: ClassVar[tuple[str, ...]] = ()
    # Optional inputs the cloud computes when absent: leaving one out means "not managed here"
    # (as in pulumi-aws), so its removal is no change.
    unmanaged_when_absent: ClassVar[tuple[str, ...]] = ()
    # Outputs computed by the cloud: unknown during a preview of a create.
    computed: ClassVar[tuple[str, ...]] = ("id", "arn")

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx

    # -- helpers -------------------------------------------------------------------------
    def region(self, inputs: Mapping[str, Any]) -> str:
        region = inputs.get("region")
        return region if isinstance(region, str) and region else self.ctx.aws.region

    def client(self, service: str, inputs: Mapping[str, Any]) -> Any:
        return aws_client(self.ctx, service, self.region(inputs))

    def errors(self, name: str, secrets: tuple[str, ...] = ()) -> Any:
        return aws_errors(self.type_token, name, self.ctx, secrets)

    @contextmanager
    def rollback_on_failure(self, id: str, inputs: Mapping[str, Any]) -> Iterator[None]:
        """Delete a just-created object when a follow-up call fails, so no orphan is left
        behind that the state never recorded."""
        try:
            yield
        except ProviderError:
            with suppress(Exception):
                self.delete("", id, dict(inputs), {})
            raise

    def desired_tags(self, inputs: Mapping[str, Any]) -> dict[str, str]:
        """tagsAll to apply: default tags merged under the resource's own tags."""
        return {**default_tags(self.ctx), **as_tags(inputs, "tags", self.type_token)}

    def tags_outputs(self, live: Mapping[str, str], inputs: Mapping[str, Any]) -> dict[str, Any]:
        return tags_outputs(self.ctx, live, as_tags(inputs, "tags", self.type_token))

    def refuse_unknown_inputs(self, news: Mapping[str, Any]) -> None:
        allowed = {*self.inputs_known, "region", "tags"}
        extra = sorted(k for k, v in news.items() if v is not None and k not in allowed and not k.startswith("__"))
        if extra:
            raise ProviderError(
                f"{self.type_token}: the local engine does not support the input(s) {', '.join(extra)}; "
                f"supported: {', '.join(sorted(allowed))}"
            )

    # -- protocol ------------------------------------------------------------------------
    def check(self, urn: str, name: str, olds: dict[str, Any] | None, news: dict[str, Any]) -> dict[str, Any]:
        self.refuse_unknown_inputs(news)
        if news.get("tags") not in (None, UNKNOWN_MARKER):
            as_tags(news, "tags", self.type_token)
        return self.normalize(name, olds or {}, dict(news))

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        return news

    def diff(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> DiffResult:
        compared = dict(news)
        for key in self.unmanaged_when_absent:
            if compared.get(key) is None and old_inputs.get(key) is not None:
                compared[key] = old_inputs[key]
        result = diff_inputs(old_inputs, compared, replace_on=self.replace_on, redact=self.secret_inputs)
        if "tagsAll" in old_outputs and news.get("tags") != UNKNOWN_MARKER:
            # A change of the provider's default tags changes tagsAll, not the inputs.
            extra = diff_values(old_outputs.get("tagsAll") or {}, self.desired_tags(news), "tagsAll")
            if extra and not result.diffs:
                return DiffResult(changed=True, diffs=tuple(extra))
        return result

    def preview_outputs(self, urn: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        outputs = {k: v for k, v in inputs.items() if v is not None}
        for key in self.computed:
            outputs.setdefault(key, UNKNOWN_MARKER)
        outputs["region"] = self.region(inputs)
        if inputs.get("tags") != UNKNOWN_MARKER:
            outputs["tagsAll"] = self.desired_tags(inputs)
        return self.preview_extra(outputs)

    def preview_extra(self, outputs: dict[str, Any]) -> dict[str, Any]:
        return outputs

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def read(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> ReadResult | None:
        raise NotImplementedError

    def update(
        self, urn: str, id: str, old_inputs: dict[str, Any], old_outputs: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        raise NotImplementedError

    def delete(self, urn: str, id: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        raise NotImplementedError

    # -- shared by create and update -----------------------------------------------------
    def described(self, id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Outputs right after a write, through the same code path as `read` (so a fresh
        read of an untouched object shows no drift)."""
        found = self.read("", id, dict(inputs), {})
        if found is None:
            raise ProviderError(f"{self.type_token} {id}: written, but the endpoint no longer finds it")
        return found.outputs


def tag_changes(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Tags to set and tag keys to remove to go from `old` to `new`."""
    to_set = {k: v for k, v in new.items() if old.get(k) != v}
    to_remove = [k for k in old if k not in new]
    return to_set, to_remove
