"""The root command group, the commands that only read the configuration (plan,
environments, projects, explain), and the console entry point.

Command line: thin. Parses arguments, calls a use case, prints its result.

One error boundary: a user error exits 1 with a hint, a bug exits 3, Ctrl-C exits 130.
Nothing heavy is imported at start-up so `orchestrator --help` stays fast.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from pathlib import Path

import click

from orchestrator import __version__
from orchestrator.cli.options import json_option, print_json, repo_option
from orchestrator.cli.terminal import echo

EXIT_USER_ERROR = 1
EXIT_BUG = 3
EXIT_INTERRUPTED = 130
GC_YOUNG_THRESHOLD = 50_000  # allocations between collections of the youngest generation (Python's default: 700)

# Subcommand groups living in their own modules, imported only when used.
_LAZY_COMMANDS = {
    "stack": ("orchestrator.cli.stack", "stack"),
    "sandbox": ("orchestrator.cli.sandbox", "sandbox"),
    "preview": ("orchestrator.cli.preview", "preview"),
    "review": ("orchestrator.cli.review", "review"),
    "deploy": ("orchestrator.cli.deploy", "deploy"),
    "promote": ("orchestrator.cli.deploy", "promote"),
    "rollback": ("orchestrator.cli.deploy", "rollback"),
    "reconcile": ("orchestrator.cli.reconcile", "reconcile"),
    "history": ("orchestrator.cli.store", "history"),
    "insights": ("orchestrator.cli.insights", "insights"),
    "locks": ("orchestrator.cli.store", "locks"),
    "drift": ("orchestrator.cli.drift", "drift"),
    "init": ("orchestrator.cli.init", "init"),
    "serve": ("orchestrator.cli.serve", "serve"),
    "trust": ("orchestrator.cli.trust", "trust"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._available_lazy()])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LAZY_COMMANDS and cmd_name not in self.commands:
            module_name, attr = _LAZY_COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module_name), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    @staticmethod
    def _available_lazy() -> list[str]:
        import importlib.util

        return [name for name, (module, _) in _LAZY_COMMANDS.items() if importlib.util.find_spec(module) is not None]


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from orchestrator.init.install import installed_from

    source, _ = installed_from()
    echo(f"orchestrator {__version__}" + (f" (installed from {source.describe()})" if source else ""))
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version, and the pinned source it was installed from when pip recorded one, and exit.",
)
def cli() -> None:
    """GitOps for Pulumi: previews on pull requests, ordered updates on merge, drift on schedule."""


@cli.command()
@repo_option()
@click.option("--base", help="PR: the base branch. Push: the commit before the push (default: head's parent).")
@click.option("--head", default="HEAD", show_default=True, help="The commit to plan for.")
@click.option("--branch", help="PR: the target branch. Push: the pushed branch (default: from --base or HEAD).")
@click.option("--event", type=click.Choice(["pr", "push"]), default="pr", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "matrix"]), default="text", show_default=True)
def plan(repo: Path, base: str | None, head: str, branch: str | None, event: str, fmt: str) -> None:
    """Which stacks run, with which operation, in which order, and why."""
    from orchestrator.flows.plan import PlanRequest, make_plan

    result, _config = make_plan(PlanRequest(repo=repo, head=head, base=base, branch=branch, event=event))  # type: ignore[arg-type]
    if fmt == "json":
        print_json(result.to_json())
    elif fmt == "matrix":
        print_json(result.to_matrix())
    else:
        from orchestrator.cli.text import print_plan

        print_plan(result)


@cli.command()
@repo_option()
@json_option()
def environments(repo: Path, as_json: bool) -> None:
    """The environments, their branch rules, order and gates."""
    from orchestrator.cli.text import environments_json, print_environments
    from orchestrator.config import load_repository

    config = load_repository(_repo_root(repo))
    if as_json:
        print_json(environments_json(config))
    else:
        print_environments(config)


@cli.command()
@repo_option()
@json_option()
def projects(repo: Path, as_json: bool) -> None:
    """The projects, their directories, dependencies and environments."""
    from orchestrator.cli.text import print_projects, projects_json
    from orchestrator.config import load_repository

    config = load_repository(_repo_root(repo))
    if as_json:
        print_json(projects_json(config))
    else:
        print_projects(config)


@cli.command()
@repo_option()
@click.option("--branch", required=True, help="The branch to explain.")
@click.option("--path", "paths", multiple=True, help="A changed file (repeatable).")
def explain(repo: Path, branch: str, paths: tuple[str, ...]) -> None:
    """Which environments and projects a branch (and changed files) map to, and the rule that decided."""
    from orchestrator.cli.text import print_explanation
    from orchestrator.config import load_repository

    config = load_repository(_repo_root(repo))
    print_explanation(config, branch, paths)


def _repo_root(repo: Path) -> Path:
    from orchestrator.git import GitRepo

    return GitRepo(repo).root


def main(argv: list[str] | None = None) -> None:
    """Console entry point: the one error boundary. What it prints passes the redactor."""
    from orchestrator.ci.command_guard import guard_workflow_commands
    from orchestrator.cli.terminal import install_cli_logging
    from orchestrator.errors import UserError
    from orchestrator.redact import Redactor

    # A command allocates hundreds of thousands of small objects that live until it ends (syntax
    # trees, YAML nodes, configuration and plan records): with the default threshold of 700 the
    # collector ran 117 times in a plan of 2,000 projects, for 6% of its time, and freed 765 objects.
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    redact = Redactor().text
    guard_workflow_commands(os.environ)
    install_cli_logging()
    try:
        # Without standalone mode click returns the code of `ctx.exit(code)` instead of exiting.
        code = cli.main(args=argv, prog_name="orchestrator", standalone_mode=False)
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except UserError as exc:
        echo(f"error: {redact(exc.message)}", fg="red", err=True)
        if exc.hint:
            echo(f"hint: {redact(exc.hint)}", err=True)
        sys.exit(EXIT_USER_ERROR)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        if isinstance(exc, click.UsageError):  # echoes the command line the user typed
            exc.show()
        else:
            echo(f"Error: {redact(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: one line, and the redacted traceback in a file
        from orchestrator.cli.crash import report_crash

        report_crash(exc, redact)
        sys.exit(EXIT_BUG)
