"""The orchestrator CLI run as a child process, as CI runs it: everything it prints captured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.support.gitrepo import InfraRepo


@dataclass(frozen=True)
class CliRun:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def cli_command(repo: InfraRepo, *args: str) -> list[str]:
    """`orchestrator ARGS --repo <repo>` (last, so it reaches subcommands of groups too)."""
    return [sys.executable, "-m", "orchestrator", *args, "--repo", str(repo.root)]


def run_cli(repo: InfraRepo, *args: str, env: Mapping[str, str] | None = None, timeout: float = 180) -> CliRun:
    """`orchestrator ARGS --repo <repo>` in a child process, in the repository."""
    done = subprocess.run(
        cli_command(repo, *args),
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        cwd=repo.root,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)
