"""The drift flow's tests: the sample infrastructure in a Git repository on `main` (the test
commits it once it has adjusted it), the runs' clock, and what a webhook received."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.gitrepo import InfraRepo
from tests.support.sample import copy_sample

PASSPHRASE = "drift-test-passphrase"


def make_repo(root: Path, environments: tuple[str, ...]) -> InfraRepo:
    """The sample with the named environments, in a repository on `main` with nothing committed."""
    copy_sample(root, environments=environments)
    repo = InfraRepo(root)
    repo.git("init", "-q", "-b", "main")
    return repo


class Clock:
    """The runs' clock: far in the future (so `--until` dates given relative to it are valid
    for the real clock too) and moving forward only."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


@dataclass
class Webhook:
    """A Slack-compatible webhook receiver on loopback: records every POSTed JSON body."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
