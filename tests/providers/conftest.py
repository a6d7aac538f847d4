"""Fixtures for the provider tests: one moto server on loopback per test module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.engines.local.providers.base import ProviderContext
from orchestrator.models import AwsSettings
from orchestrator.sandbox import InProcessSandbox
from tests.support.providers import DEFAULT_TAGS
from tests.support.sandbox import aws_client


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
        config={"aws:defaultTags": json.dumps({"tags": DEFAULT_TAGS})},
    )


@pytest.fixture
def boto(sandbox: InProcessSandbox) -> Any:
    """A factory of plain boto3 clients at the sandbox: the 'someone changed it by hand' side."""
    return lambda service: aws_client(service, sandbox.endpoint)
