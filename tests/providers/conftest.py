"""Fixtures for the provider tests: one moto server on loopback per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.base import ProviderContext
from orchestrator.engines.local.providers.registry import get_provider
from orchestrator.models import AwsSettings
from orchestrator.sandbox import InProcessSandbox

DEFAULT_TAGS = {"ManagedBy": "orchestrator-tests"}


def provider(token: str, ctx: ProviderContext) -> DeclaredResource:
    """The built-in provider of an AWS type, as the engine gets it."""
    found = get_provider(token, ctx)
    assert isinstance(found, DeclaredResource)
    return found


@pytest.fixture(scope="module")
def sandbox() -> Iterator[InProcessSandbox]:
    with InProcessSandbox() as running:
        yield running


@pytest.fixture
def ctx(sandbox: InProcessSandbox, tmp_path: Path) -> ProviderContext:
    return ProviderContext(
        project="proj",
        stack="dev",
        aws=AwsSettings(region="us-east-1", endpoint=sandbox.endpoint),
        manifests_dir=tmp_path / "manifests",
        config={"aws:defaultTags": '{"tags": {"ManagedBy": "orchestrator-tests"}}'},
    )


@pytest.fixture
def boto(sandbox: InProcessSandbox) -> Any:
    """A factory of plain boto3 clients at the sandbox: the 'someone changed it by hand' side."""
    import boto3

    def client(service: str) -> Any:
        session: Any = boto3.session.Session()
        return session.client(
            service,
            region_name="us-east-1",
            endpoint_url=sandbox.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return client
