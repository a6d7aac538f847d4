"""Stacks with policy packs on the local engine, against moto on loopback.

`guarded(program, packs)` writes a project and returns its StackSpec with the packs; the
sample packs are the repository's own (`policies/`), test packs live in tests/fixtures/policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.models import AwsSettings, PolicyPackRef, StackSpec
from tests.engine.programs import write_project
from tests.support.policy_packs import GuardedStack


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from orchestrator.sandbox import InProcessSandbox

    with InProcessSandbox() as sandbox:
        yield sandbox.endpoint


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def guarded(tmp_path: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> GuardedStack:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "policy tests")

    def make(program: str, packs: tuple[PolicyPackRef, ...], *, name: str = "guarded", stack: str = "dev",
             config: dict[str, Any] | None = None) -> StackSpec:
        directory = write_project(tmp_path / name, name, program)
        return StackSpec(
            project=name, environment=stack, stack_name=stack, directory=directory,
            backend=f"file://{tmp_path / 'backend'}", config=config or {},
            aws=AwsSettings(region="us-east-1", endpoint=endpoint), policy_packs=packs,
        )

    return make
