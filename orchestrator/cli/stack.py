"""`orchestrator stack ...`: run one stack by hand with the local engine.

Everything these commands print (results, `--json`, outputs, progress, errors) passes through
the same `Redactor` the flows use, knowing the stack's `secure:` values (`secret_values`).
Heavy modules are imported inside the commands so `orchestrator --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orchestrator.cli.options import json_option, repo_option
from orchestrator.cli.terminal import echo

if TYPE_CHECKING:
    from orchestrator.engines.base import StackResult
    from orchestrator.engines.local.engine import LocalEngine
    from orchestrator.models import StackSpec
    from orchestrator.redact import Redactor

_OPS = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " ", "read": ">"}


def _options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--allow-pending", is_flag=True,
                      help="Continue despite pending operations left by an interrupted run.")(fn)
    fn = json_option("Print the result as JSON.")(fn)
    fn = repo_option()(fn)
    fn = click.option("--env", "-e", "env", required=True, help="Environment name.")(fn)
    fn = click.option("--project", "-p", "project", required=True, help="Project name.")(fn)
    return fn


def _spec(repo: Path, project: str, env: str) -> StackSpec:
    from orchestrator.config import load_repository

    root = repo.resolve()
    spec = load_repository(root).stack_spec(project, env)
    if spec.engine != "local":
        from orchestrator.errors import UserError

        raise UserError(
            f"environment {env} uses engine {spec.engine!r}; `orchestrator stack` runs the local engine only",
            "run the Pulumi CLI for this stack, or use the orchestrator flows",
        )
    return spec


def _redactor(spec: StackSpec) -> Redactor:
    """The flows' redactor for one stack: its `secure:` values and credential-looking text."""
    from orchestrator.flows.redaction import secret_values
    from orchestrator.redact import Redactor

    return Redactor(secret_values([spec]))


def _engine(*, allow_pending: bool, interactive: bool, redactor: Redactor) -> tuple[LocalEngine, Any]:
    from orchestrator.engines.local.engine import LocalEngine

    progress = None
    status = None
    if interactive:
        from rich.markup import escape

        from orchestrator.cli.text import make_console

        console = make_console(stderr=True, highlight=True, soft_wrap=False)
        status = console.status("starting")

        def progress(raw: dict[str, Any]) -> None:
            event: dict[str, Any] = redactor.value(raw)
            if event.get("event") == "step":
                verb = event["op"] if not event.get("dry_run") else f"{event['op']} (planned)"
                status.update(escape(f"{verb}: {event.get('name')}"))
                if event["op"] not in ("same", "read"):
                    console.print(f"  {_OPS.get(event['op'], '?'):2} {event['type']} {event['name']}"
                                  f"{'' if not event.get('dry_run') else '  (preview)'}", markup=False)
            elif event.get("event") == "diagnostic":
                console.print(f"  [red]{escape(str(event.get('severity')))}[/red]: {escape(str(event.get('message')))}")

    return LocalEngine(allow_pending=allow_pending, progress=progress), status


def _print_result(result: StackResult) -> None:
    from rich.markup import escape

    from orchestrator.cli.text import make_console
    from orchestrator.engines.base import format_counts

    console = make_console(highlight=True, soft_wrap=False)
    colour = {"succeeded": "green", "failed": "red", "locked": "yellow", "skipped": "dim"}[result.status]
    c = result.counts
    console.print(
        f"[bold]{escape(result.stack)}[/bold] {result.operation}: [{colour}]{result.status}[/{colour}]  "
        f"{format_counts(c)} ={c.same}  ({result.duration_s:.1f}s)"
    )
    for change in result.changes:
        console.print(
            f"  {_OPS.get(change.op, '?'):2} {escape(change.type)} [bold]{escape(change.name)}[/bold] ({change.op})",
            highlight=False,
        )
        for diff in change.diffs:
            old = json.dumps(diff.old, default=str)
            new = json.dumps(diff.new, default=str)
            text = {"add": f"+ {diff.path}: {new}", "delete": f"- {diff.path}: {old}"}.get(
                diff.kind, f"~ {diff.path}: {old} => {new}"
            )
            console.print(f"      {text}", highlight=False, markup=False)
    for diag in result.diagnostics:
        if diag.message != result.error:
            console.print(f"  {diag.severity}: {diag.message}", highlight=False, markup=False)
    if result.outputs:
        console.print("  outputs:")
        for key, value in result.outputs.items():
            console.print(f"    {key}: {json.dumps(value, default=str)}", highlight=False, markup=False)
    if result.error:
        console.print(f"[red]error:[/red] {escape(result.error)}", highlight=False)


def _run(op: str, project: str, env: str, repo: Path, as_json: bool, allow_pending: bool) -> None:
    spec = _spec(repo, project, env)
    redactor = _redactor(spec)
    interactive = not as_json and sys.stderr.isatty()
    engine, status = _engine(allow_pending=allow_pending, interactive=interactive, redactor=redactor)
    if status is not None:
        status.start()
    try:
        if op == "preview":
            result = engine.preview(spec)
        elif op == "update":
            result = engine.update(spec)
        elif op == "destroy":
            result = engine.destroy(spec, preview_only=False)
        elif op == "destroy-preview":
            result = engine.destroy(spec, preview_only=True)
        else:
            result = engine.drift(spec)
    finally:
        if status is not None:
            status.stop()
    from orchestrator.engines.base import redact_result
    from orchestrator.engines.canonical import canonical

    result = redact_result(canonical(result), redactor)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, default=str))
    else:
        _print_result(result)
    if not result.ok:
        # SystemExit, not click's Exit: `orchestrator.cli.main` runs click with
        # standalone_mode=False, where click returns an Exit's code instead of exiting.
        raise SystemExit(1)


@click.group("stack")
def stack() -> None:
    """Run one stack by hand with the local engine."""


@stack.command("preview")
@_options
def preview_cmd(project: str, env: str, repo: Path, as_json: bool, allow_pending: bool) -> None:
    """Show what an update would change."""
    _run("preview", project, env, repo, as_json, allow_pending)


@stack.command("update")
@_options
def update_cmd(project: str, env: str, repo: Path, as_json: bool, allow_pending: bool) -> None:
    """Apply the program: create, update, replace and delete resources."""
    _run("update", project, env, repo, as_json, allow_pending)


@stack.command("destroy")
@_options
@click.option("--preview-only", is_flag=True, help="Only show what would be deleted.")
def destroy_cmd(
    project: str, env: str, repo: Path, as_json: bool, allow_pending: bool, preview_only: bool
) -> None:
    """Delete every resource of the stack."""
    _run("destroy-preview" if preview_only else "destroy", project, env, repo, as_json, allow_pending)


@stack.command("drift")
@_options
def drift_cmd(project: str, env: str, repo: Path, as_json: bool, allow_pending: bool) -> None:
    """Compare the live cloud with the recorded state; writes nothing."""
    _run("drift", project, env, repo, as_json, allow_pending)


@stack.command("outputs")
@_options
def outputs_cmd(project: str, env: str, repo: Path, as_json: bool, allow_pending: bool) -> None:
    """Print the stack's outputs (secrets shown as [secret])."""
    from orchestrator.engines.local.engine import LocalEngine

    spec = _spec(repo, project, env)
    outputs = _redactor(spec).value(LocalEngine().outputs(spec))
    if as_json:
        click.echo(json.dumps(outputs, indent=2, default=str))
        return
    for key, value in outputs.items():
        echo(f"{key}: {json.dumps(value, default=str)}")


@stack.command("repair")
@_options
def repair_cmd(project: str, env: str, repo: Path, as_json: bool, allow_pending: bool) -> None:
    """Clear pending operations left by an interrupted run."""
    from orchestrator.engines.local.engine import LocalEngine

    spec = _spec(repo, project, env)
    result = LocalEngine().repair(spec)
    redactor = _redactor(spec)
    if as_json:
        click.echo(json.dumps(redactor.value(result.to_json()), indent=2))
    else:
        echo(redactor.text(result.message))
        for note in result.cleared:
            echo(f"  {redactor.text(note)}")
    if result.status != "succeeded":
        raise SystemExit(1)


@stack.command("types")
@json_option("Print the lists as JSON.")
def types_cmd(as_json: bool) -> None:
    """List the resource types and provider functions the local engine supports."""
    from orchestrator.engines.local.providers.registry import functions, supported_types

    listing = {"types": list(supported_types()), "functions": list(functions())}
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    for title, key in (("resource types", "types"), ("provider functions", "functions")):
        echo(f"{title} ({len(listing[key])}):")
        for token in listing[key]:
            echo(f"  {token}")
