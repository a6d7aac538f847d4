"""The AWS type tests: one moto server on loopback per module, dummy credentials, a passphrase."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.sandbox import InProcessSandbox


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with InProcessSandbox() as sandbox:
        yield sandbox.endpoint


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "type tests")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
