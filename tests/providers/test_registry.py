"""Type tokens → providers; anything else is refused with the supported list."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.engines.local.providers.aws_common import AwsResource
from orchestrator.engines.local.providers.base import ProviderContext, ProviderError
from orchestrator.engines.local.providers.kubernetes import KubernetesObject
from orchestrator.engines.local.providers.registry import AWS_TYPES, SUPPORTED_TYPES, get_provider, is_supported
from orchestrator.models import AwsSettings


@pytest.fixture
def rctx(tmp_path: Path) -> ProviderContext:
    return ProviderContext(project="p", stack="s", aws=AwsSettings(), manifests_dir=tmp_path)


def test_every_aws_type_has_its_class(rctx: ProviderContext) -> None:
    assert len(AWS_TYPES) == 7
    for token in AWS_TYPES:
        provider = get_provider(token, rctx)
        assert isinstance(provider, AwsResource) and provider.type_token == token
        assert token in SUPPORTED_TYPES and is_supported(token)


def test_kubernetes_types_resolve(rctx: ProviderContext) -> None:
    assert isinstance(get_provider("kubernetes:apps/v1:Deployment", rctx), KubernetesObject)
    assert is_supported("kubernetes:policy/v1:PodDisruptionBudget")
    assert not is_supported("kubernetes:helm.sh/v4:Chart")


def test_unknown_type_names_itself_and_the_supported_list(rctx: ProviderContext) -> None:
    with pytest.raises(ProviderError) as caught:
        get_provider("aws:ec2/instance:Instance", rctx)
    message = str(caught.value)
    assert "aws:ec2/instance:Instance" in message and "not supported" in message
    for token in AWS_TYPES:
        assert token in message
    assert "kubernetes:<group>/<version>:<Kind>" in message
