"""Type tokens → providers, function tokens → answers; anything else is refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.base import ProviderContext
from orchestrator.engines.local.providers.kubernetes import KubernetesObject
from orchestrator.engines.local.providers.registry import (
    Unsupported,
    aws_types,
    call_function,
    get_provider,
    is_supported,
    supported_types,
)
from orchestrator.models import AwsSettings

FIRST_SEVEN = {
    "aws:s3/bucket:Bucket", "aws:s3/bucketVersioning:BucketVersioning", "aws:sqs/queue:Queue",
    "aws:sns/topic:Topic", "aws:dynamodb/table:Table", "aws:iam/role:Role", "aws:ssm/parameter:Parameter",
}


@pytest.fixture
def rctx(tmp_path: Path) -> ProviderContext:
    return ProviderContext(project="p", stack="s", aws=AwsSettings(), manifests_dir=tmp_path)


def test_every_aws_type_resolves_to_its_description(rctx: ProviderContext) -> None:
    assert set(aws_types()) >= FIRST_SEVEN
    for token in aws_types():
        provider = get_provider(token, rctx)
        assert isinstance(provider, DeclaredResource) and provider.type_token == token
        assert token in supported_types() and is_supported(token)


def test_kubernetes_types_resolve(rctx: ProviderContext) -> None:
    assert isinstance(get_provider("kubernetes:apps/v1:Deployment", rctx), KubernetesObject)
    assert is_supported("kubernetes:policy/v1:PodDisruptionBudget")
    assert not is_supported("kubernetes:helm.sh/v4:Chart")


@pytest.mark.parametrize("token", [
    "aws:glue/catalogTable:CatalogTable", "aws:nosuchmodule/thing:Thing", "acme:widgets:Widget"])
def test_unknown_type_is_one_short_line(rctx: ProviderContext, token: str) -> None:
    with pytest.raises(Unsupported) as caught:
        get_provider(token, rctx)
    message = str(caught.value)
    assert message == (f"resource type {token} is not supported by the local engine; "
                       "`orchestrator stack types` lists what it supports")
    assert caught.value.kind == "type" and caught.value.token == token


def test_unknown_function_is_one_short_line(rctx: ProviderContext) -> None:
    with pytest.raises(Unsupported, match=r"^provider function aws:glue/getScript:getScript is not supported"):
        call_function("aws:glue/getScript:getScript", rctx, {})
    assert call_function("aws:index/getPartition:getPartition", rctx, {})["partition"] == "aws"


def test_stack_types_lists_what_the_engine_has() -> None:
    import json

    from click.testing import CliRunner

    from orchestrator.cli.stack import stack

    shown = CliRunner().invoke(stack, ["types"])
    assert shown.exit_code == 0, shown.output
    assert "  aws:sqs/queue:Queue\n" in shown.output
    assert "  aws:iam/getPolicyDocument:getPolicyDocument\n" in shown.output
    listed = json.loads(CliRunner().invoke(stack, ["types", "--json"]).output)
    assert listed["types"] == list(supported_types()) and "aws:index/getRegion:getRegion" in listed["functions"]
