"""Fixtures for the deploy (merge) flow: the embedded AWS for the module. The lean
infrastructure the tests deploy is in tests/support/lean_infra.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.sandbox import InProcessSandbox
from tests.support.lean_infra import PASSPHRASE
from tests.support.sandbox import running_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[InProcessSandbox]:
    """moto on loopback for the module; child processes (CLI, engine) inherit its endpoint."""
    with running_sandbox(PASSPHRASE) as running:
        yield running
