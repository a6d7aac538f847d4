"""The sample infrastructure committed on `develop`, as the preview flow's tests use it."""

from __future__ import annotations

from pathlib import Path

from tests.support.gitrepo import InfraRepo
from tests.support.sample import copy_sample

BASE_BRANCH = "develop"  # environments/dev.yaml: PRs into develop preview the dev stacks
ENV = "dev"
PASSPHRASE = "flows-test-passphrase"


class SampleRepo(InfraRepo):
    """The sample repository; a pull request's branch starts from `develop` unless told."""

    def start_branch(self, name: str, start: str = BASE_BRANCH) -> None:
        super().start_branch(name, start)


def make_sample_repo(root: Path) -> SampleRepo:
    """The sample (orchestrator.yaml, environments/, stacks/, lib/, policies/) committed on `develop`."""
    copy_sample(root)
    repo = SampleRepo(root)
    repo.git("init", "-q", "-b", BASE_BRANCH)
    repo.commit("the sample infrastructure")
    return repo
