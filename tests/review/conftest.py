"""End-to-end fixtures for review stacks: the embedded AWS (the deploy tests' `sandbox`), the
review repository deployed once per module (tests/support/review_repo.py), a job summary file.
GitHub is the validating stand-in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.sandbox import InProcessSandbox
from tests.deploy.conftest import sandbox  # noqa: F401  (a fixture)
from tests.support.gitrepo import InfraRepo
from tests.support.review_repo import make_review_repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, sandbox: InProcessSandbox) -> InfraRepo:  # noqa: F811
    return make_review_repo(tmp_path_factory.mktemp("review") / "infra")


@pytest.fixture
def summary(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "summary.md"
