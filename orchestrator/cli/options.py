"""What the command modules share: options, the progress printer, JSON output, and opening a
repository's configuration, store and VCS client.

Only click is imported at module level; everything else loads when a command runs, so
`orchestrator --help` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from orchestrator.config.resolved import RepoConfig
    from orchestrator.engines.base import StackResult
    from orchestrator.execute import OnEvent
    from orchestrator.models import PlannedStack
    from orchestrator.store.sql import SqlStore
    from orchestrator.vcs.base import VcsClient

F = TypeVar("F", bound=Callable[..., Any])
E = TypeVar("E")

# Numbers from the command line have bounds, so an absurd value is a usage error naming the
# option, never an overflow deep in SQLite, a thread pool or an API call.
MAX_PR_NUMBER = 2**31 - 1  # GitHub and GitLab numbers are 32-bit integers
PR_NUMBER = click.IntRange(min=1, max=MAX_PR_NUMBER)
RESULT_LIMIT = click.IntRange(min=1, max=100_000)
CONCURRENCY = click.IntRange(min=1, max=1024)
WEEK_S = 7 * 24 * 3600.0
SECONDS_WAITED = click.FloatRange(min=0, max=WEEK_S)
LEASE_SECONDS = click.FloatRange(min=1, max=WEEK_S)
PORT = click.IntRange(min=0, max=65535)


def repo_option(help_text: str = "The infrastructure repository.") -> Callable[[F], F]:
    """`--repo PATH`, default the current directory: every command works on that repository."""
    return click.option(
        "--repo",
        "repo",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help=help_text,
    )


def json_option(help_text: str = "Machine-readable output.") -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help=help_text)


def vcs_option(help_text: str = "Where reports go.") -> Callable[[F], F]:
    return click.option("--vcs", type=click.Choice(["github", "gitlab", "files"]), help=help_text)


def vcs_out_option(flag: str = "--out", name: str = "out_dir") -> Callable[[F], F]:
    return click.option(flag, name, type=click.Path(file_okay=False, path_type=Path), help="Directory for --vcs files.")


def apply(*options: Callable[[F], F]) -> Callable[[F], F]:
    """Several options as one decorator, in the order given (as if stacked in that order)."""

    def decorate(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def print_json(data: Any) -> None:
    # Indented for people at a terminal; compact (and several times faster) for tools.
    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(data, indent=indent, default=str))


def open_context(repo: Path, vcs: str | None, out_dir: Path | None) -> tuple[RepoConfig, SqlStore, VcsClient | None]:
    """The repository's configuration, its run store and, with `vcs`, the VCS client reports go to."""
    from orchestrator.config import load_repository
    from orchestrator.git import GitRepo
    from orchestrator.store import open_store
    from orchestrator.vcs import make_vcs

    config = load_repository(GitRepo(repo).root)
    store = open_store(config.settings.database, config.root)
    client = None if vcs is None else make_vcs(config.settings, provider=vcs, out_dir=out_dir)
    return config, store, client


def read_ci_event(ci: str, expected: type[E], *, what: str, hint: str) -> E:
    """The event the CI (`github` or `gitlab`) runs for, which must be an `expected` (`what`)."""
    from orchestrator.errors import UserError

    if ci == "github":
        from orchestrator.ci.github_actions import read_event
    else:
        from orchestrator.ci.gitlab_ci import read_event
    event = read_event()
    if not isinstance(event, expected):
        raise UserError(f"the CI event is a {type(event).__name__}, not {what}", hint=hint)
    return event


def progress_printer() -> OnEvent:
    """One line on stderr as each stack starts and ends (CI logs read as they come)."""
    from rich.markup import escape

    from orchestrator.cli.text import make_console
    from orchestrator.engines.base import format_counts
    from orchestrator.flows.publish import error_headline

    console = make_console(stderr=True)  # CI logs: no wrapping at 80 columns

    def on_event(kind: str, stack: PlannedStack, result: StackResult | None) -> None:
        if kind == "start":
            console.print(f"[dim]▶ {stack.operation} {escape(stack.id)}[/dim]")
        elif result is not None:
            mark = {"succeeded": "[green]✔[/green]", "skipped": "[yellow]⏭[/yellow]"}.get(result.status, "[red]✖[/red]")
            c = result.counts
            detail = format_counts(c) if result.ok else error_headline(result.error)
            # Escaped: error text holds brackets ("[secret]", "[Errno 111]") rich would take as markup.
            console.print(f"{mark} {escape(stack.id)} {result.status} {escape(detail)} ({result.duration_s:.1f}s)")

    return on_event


def actor_name(actor: str | None) -> str:
    """Who acts, for the run, the audit log and the gates. In CI it is the CI's user, never a
    name given on the command line: gates and promotions trust this name."""
    import getpass

    from orchestrator.errors import UserError

    ci_user = os.environ.get("GITHUB_ACTOR") if os.environ.get("GITHUB_ACTIONS") == "true" else None
    ci_user = ci_user or (os.environ.get("GITLAB_USER_LOGIN") if os.environ.get("GITLAB_CI") else None)
    if ci_user:
        if actor and actor != ci_user:
            raise UserError(
                f"--actor {actor} differs from the CI's user {ci_user}",
                hint="in CI the actor is whoever triggered the job; drop --actor",
            )
        return ci_user
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no passwd entry for this uid (a bare container)
        return "unknown"
