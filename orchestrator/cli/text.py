"""Terminal output for people (rich). Tools read the JSON forms instead."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from orchestrator import graph
from orchestrator.cli.terminal import printable
from orchestrator.config.resolved import RepoConfig
from orchestrator.engines.base import format_counts
from orchestrator.models import FileChange, Plan
from orchestrator.planner import direct_reasons, owner_of, project_graph

if TYPE_CHECKING:
    from orchestrator.flows.deploy import DeployOutcome
    from orchestrator.flows.reconcile import GitDriftReport

_OP_STYLE = {"preview": "cyan", "update": "green", "destroy": "red", "drift": "yellow"}


class SafeConsole(Console):
    """A rich console whose strings are printable before markup is read (markup itself holds no
    control characters); its own styles still reach the terminal."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(printable(text), **kwargs)


def make_console(**options: Any) -> SafeConsole:
    """The CLI's rich console: no highlighting of numbers and paths, lines not wrapped at 80
    columns in CI logs."""
    return SafeConsole(**{"highlight": False, "soft_wrap": True, **options})


def _plain(*cells: str) -> list[Text]:
    """Table cells shown as written: globs like `release/[0-9]*` are not rich markup."""
    return [Text(printable(cell)) for cell in cells]


def print_plan(plan: Plan) -> None:
    console = make_console()
    console.print(
        f"[bold]Plan[/bold] for {plan.event} on branch [bold]{escape(plan.branch)}[/bold]: "
        f"{plan.base[:12]}..{plan.head[:12]}, {len(plan.changed_files)} changed file(s)"
    )
    for note in plan.notes:
        console.print(f"  {note}", markup=False)
    if not plan.stacks:
        console.print("Nothing to run." if plan.environments else "")
        return
    for index, wave in enumerate(plan.waves):
        console.print(f"\n[bold]Wave {index}[/bold]")
        for stack in (s for s in plan.stacks if s.wave == index):
            style = _OP_STYLE.get(stack.operation, "white")
            after = f" (after {', '.join(stack.depends_on)})" if stack.depends_on else ""
            line = escape(f"{stack.id}  stack {stack.stack}{after}")
            console.print(f"  [{style}]{stack.operation:8}[/{style}] {line}")
            for reason in stack.reasons:
                console.print(f"           - {reason}", markup=False)
            if stack.refusal:
                console.print(f"           [red]refused[/red]: {escape(stack.refusal)}")
        del wave


def environments_json(config: RepoConfig) -> list[dict[str, Any]]:
    return [
        {
            "name": env.name,
            "branch": list(env.branch_rules),
            "order": env.order,
            "engine": env.engine,
            "backend": env.backend,
            "requires": list(env.requires),
            "protected": env.protected,
            "approvals": env.approvals,
            "projects": None if env.projects is None else list(env.projects),
            "source": env.source,
        }
        for env in sorted(config.environments.values(), key=lambda e: (e.order, e.name))
    ]


def print_environments(config: RepoConfig) -> None:
    table = Table(title="Environments")
    for column in ("name", "branch", "order", "engine", "requires", "gates", "projects"):
        table.add_column(column, overflow="fold")  # names are never cut short: a "…" hides which one
    for env in sorted(config.environments.values(), key=lambda e: (e.order, e.name)):
        gates = []
        if env.protected:
            gates.append("protected")
        if env.approvals:
            gates.append(f"{env.approvals} approval(s)")
        table.add_row(
            *_plain(
                env.name,
                ", ".join(env.branch_rules),
                str(env.order),
                env.engine,
                ", ".join(env.requires) or "-",
                ", ".join(gates) or "-",
                "all" if env.projects is None else ", ".join(env.projects),
            )
        )
    print_table(table)


def print_table(table: Table) -> None:
    """A table whose cells are never cut short: as wide as it needs in a pipe or CI log (no
    terminal to fit), folded into the terminal's width otherwise."""
    console = make_console()
    if not console.is_terminal:
        console.width = max(console.width, console.measure(table, options=console.options.update_width(1000)).maximum)
    console.print(table)


def projects_json(config: RepoConfig) -> list[dict[str, Any]]:
    return [
        {
            "name": p.name,
            "directory": p.directory,
            "depends_on": list(p.dependencies),
            "explicit_depends_on": list(p.depends_on),
            "stack_references": list(p.stack_references),
            "references": [
                {
                    "project": r.project,
                    "file": r.file,
                    "line": r.line,
                    "language": r.language,
                    "name": r.name,
                    "config": r.config_file or None,  # the stack file whose configuration named it
                }
                for r in p.stack_reference_sites
            ],
            "watch": list(p.watch),
            "environments": [e for e in sorted(config.environments) if config.deploys(p.name, e)],
        }
        for p in sorted(config.projects.values(), key=lambda p: p.name)
    ]


def print_projects(config: RepoConfig) -> None:
    table = Table(title="Projects")
    for column in ("name", "directory", "depends on", "watch", "environments"):
        table.add_column(column, overflow="fold")  # names are never cut short: a "…" hides which one
    for row in projects_json(config):
        origins = config.projects[row["name"]].dependency_origins()
        table.add_row(
            *_plain(
                row["name"],
                row["directory"],
                "\n".join(f"{d} ({', '.join(origins.get(d, ()))})" for d in row["depends_on"]) or "-",  # one a line
                ", ".join(row["watch"]) or "-",
                ", ".join(row["environments"]) or "-",
            )
        )
    print_table(table)
    console = make_console()
    unresolved = [site for p in sorted(config.projects) for site in config.projects[p].unresolved_references]
    for site in unresolved:
        console.print(
            f"note: {site.where}: StackReference({site.written or site.name}): the project it reads is known only "
            "when the program runs; add `depends_on` in orchestrator.yaml if it is a project of this repository",
            markup=False,
        )


def print_explanation(config: RepoConfig, branch: str, paths: Sequence[str]) -> None:
    console = make_console()
    envs = config.environments_for_branch(branch)
    if not envs:
        console.print(f"no environment tracks branch {branch}", markup=False)
        rules = ", ".join(f"{e.name}: {'/'.join(e.branch_rules)}" for e in config.environments.values())
        console.print(f"  branch rules: {rules or 'none (no environments/*.yaml)'}", markup=False)
        return
    console.print(f"Branch [bold]{escape(branch)}[/bold] feeds, in order:")
    for env, rule in envs:
        gates = [f"requires {', '.join(env.requires)}"] if env.requires else []
        if env.protected:
            gates.append(f"protected, {env.approvals} approval(s)")
        extra = escape(f" [{'; '.join(gates)}]") if gates else ""
        console.print(escape(f"  {env.name} (order {env.order}): rule `{rule}` in {env.source}") + extra)
    if not paths:
        return
    changes = [FileChange(path=p, kind="modified") for p in paths]
    direct = direct_reasons(config, changes)
    for path in paths:
        owner = owner_of(path, list(config.projects.values()))
        console.print(f"\n[bold]{escape(path)}[/bold]")
        console.print(f"  in project directory of: {owner.name if owner else 'no project'}", markup=False)
    deps = project_graph(config)
    for env, _rule in envs:
        affected = {
            name: reasons
            for name in config.projects
            if config.deploys(name, env.name)
            and (reasons := direct.for_stack(name, env.name, env.stack_name(name)))
        }
        deployed = {n: d for n, d in deps.items() if config.deploys(n, env.name)}
        via = graph.dependents(deployed, list(affected))
        console.print(f"\n[bold]{env.name}[/bold]:")
        if not affected and not via:
            console.print("  no stack affected")
        for name in sorted(affected):
            for reason in affected[name]:
                console.print(f"  {name}: {reason}", markup=False)
        for name, source in sorted(via.items()):
            if name not in affected:
                console.print(f"  {name}: depends on {source}", markup=False)


def print_deploy(outcome: DeployOutcome) -> None:
    console = make_console()
    plan = outcome.plan
    console.print(
        f"\n[bold]Run {outcome.run_id}[/bold]: {plan.head[:12]} on {plan.branch or '-'}"
        f" → {', '.join(plan.environments) or 'no environment'}",
        markup=True,
    )
    for run_id in outcome.interrupted_runs:
        console.print(f"  an earlier run {run_id} was interrupted (its process is gone); see `orchestrator history`",
                      markup=False)
    for note in plan.notes:
        console.print(f"  {note}", markup=False)
    for current in plan.current:
        console.print(f"  {'current':9} {current.id}  {current.reason}", markup=False)
    if not plan.stacks and plan.current:
        console.print(f"  nothing to deploy: every stack is up to date with {plan.head[:12]}",
                      markup=False)
    for gate in outcome.gates:
        mark = "[green]gate passed[/green]" if gate.passed else "[yellow]gate not met[/yellow]"
        console.print(f"  {escape(gate.environment)}: {mark}: {escape('; '.join(gate.reasons) or 'no gates')}")
    for stack_id, result in outcome.results.items():
        c = result.counts
        detail = format_counts(c) if result.ok else (result.error or "")
        console.print(f"  {result.status:9} {stack_id}  {detail}", markup=False)
    for pending in outcome.pending_destroys:
        console.print(f"  destroy pending: {pending}", markup=False)
    if outcome.report_path is not None:
        console.print(f"  full report: {outcome.report_path}", markup=False)
    for line in outcome.skipped:
        console.print(f"  {line}", markup=False, style="yellow")
    for gate in outcome.stopped_by:
        console.print(
            f"  rollback stopped by the gate of {gate.environment}: nothing was rolled back. In an emergency a "
            "trusted user can bypass it: add --break-glass --reason \"...\" (recorded in the audit log and "
            "the comment)",
            markup=False, style="red",
        )
    if outcome.publish_error:
        console.print(f"  publishing failed: {outcome.publish_error}", markup=False, style="red")


def print_git_drift(report: GitDriftReport) -> None:
    """The stacks of one environment behind their branch (Git drift), and the ones up to date."""
    console = make_console()
    console.print(f"[bold]{escape(report.environment)}[/bold]: branch {escape(report.branch)} is at "
                  f"{report.head[:12]}")
    for note in report.notes:
        console.print(f"  {note}", markup=False)
    if not report.drifted:
        console.print("  no Git drift: every stack runs its branch's tip, or nothing since affects it", markup=False)
    for drift in report.drifted:
        if drift.operation == "destroy":
            where = "its project is deleted"
        elif drift.applied is None:
            where = "never deployed" if drift.standing == "never" else f"{drift.standing}"
        else:
            where = f"at {drift.applied[:12]}" + (" (rolled back)" if drift.rolled_back else "")
        behind = f", {drift.commits_behind} commit(s) behind" if drift.commits_behind else ""
        console.print(f"  {'behind':9} {drift.stack}  {where}{behind}", markup=False)
        for reason in drift.reasons:
            console.print(f"            - {reason}", markup=False)
    for current in report.current:
        console.print(f"  {'current':9} {current.id}  {current.reason}", markup=False)
