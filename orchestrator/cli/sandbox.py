"""`orchestrator sandbox start|stop|status`: the embedded AWS (moto) as a background process.

The sandbox module (HTTP client, process control) loads when a command runs, not for `--help`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchestrator.cli.options import json_option, repo_option
from orchestrator.cli.terminal import echo

if TYPE_CHECKING:
    from orchestrator.sandbox import SandboxStatus

_repo_option = repo_option("Repository whose .orchestrator/ holds the sandbox's pid and port files.")
_json_option = json_option("Print the status as JSON.")


def _repo_root(repo: Path) -> Path:
    """The repository's top directory (so every command finds the same `.orchestrator/`), or
    the directory itself when it is not in a Git repository."""
    from orchestrator.errors import UserError
    from orchestrator.git import GitRepo

    path = repo.resolve()
    try:
        return GitRepo(path).root
    except UserError:
        return path


def _show(found: SandboxStatus, *, as_json: bool, stopped_text: str = "not running") -> None:
    if as_json:
        click.echo(json.dumps({"running": found.running, "endpoint": found.endpoint, "pid": found.pid}))
    elif found.running:
        echo(f"sandbox running at {found.endpoint} (pid {found.pid})")
    else:
        echo(f"sandbox {stopped_text}")


@click.group("sandbox")
def sandbox() -> None:
    """The embedded AWS endpoint (moto on 127.0.0.1) for environments with `aws.endpoint: sandbox`."""


@sandbox.command("start")
@_repo_option
@_json_option
def start(repo: Path, as_json: bool) -> None:
    """Start the sandbox in the background (does nothing if it already runs)."""
    from orchestrator import sandbox as sandbox_module

    _show(sandbox_module.start_background(_repo_root(repo)), as_json=as_json)


@sandbox.command("stop")
@_repo_option
@_json_option
def stop(repo: Path, as_json: bool) -> None:
    """Stop the sandbox; everything it held is forgotten."""
    from orchestrator import sandbox as sandbox_module

    _show(sandbox_module.stop(_repo_root(repo)), as_json=as_json, stopped_text="stopped")


@sandbox.command("status")
@_repo_option
@_json_option
def status(repo: Path, as_json: bool) -> None:
    """Whether the sandbox runs, and its endpoint."""
    from orchestrator import sandbox as sandbox_module

    _show(sandbox_module.status(_repo_root(repo)), as_json=as_json)
