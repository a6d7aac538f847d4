"""End-to-end fixtures for the preview flow: the sample infrastructure in a real Git repository,
its base state deployed by the real local engine on moto (loopback), once per test module.

Each test starts a branch off `develop` (the dev environment's branch), commits its change and
previews it, through the CLI in a child process (tests/support/cli.py) or through `run_preview`
in-process (when the test must control the engine or the VCS client).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.sandbox import InProcessSandbox
from tests.support.preview_repo import ENV, PASSPHRASE, SampleRepo, make_sample_repo
from tests.support.sample import deploy_stacks
from tests.support.sandbox import running_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[InProcessSandbox]:
    """moto on loopback; the passphrase: the sample's SSM value is a secret."""
    with running_sandbox(PASSPHRASE) as running:
        yield running


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, sandbox: InProcessSandbox) -> SampleRepo:
    """The sample repository with network, data and app (dev) deployed at `develop`'s tip."""
    repo = make_sample_repo(tmp_path_factory.mktemp("flows") / "infra")
    deploy_stacks(repo.root, ENV)
    return repo
