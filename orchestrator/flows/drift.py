"""Use case: the schedule. Check every stack of the chosen environments against the live cloud.

Drift is a workflow with memory, not a failed job: each run compares what the engines find
with what the store remembers (new, ongoing, resolved, acknowledged), writes the reports,
keeps one tracking issue per environment (`drift.issues`), notifies a webhook of what
changed (`drift.notify`), and may put drifted stacks of unprotected environments back
(`flows.remediate`).

Exit codes: 0 no drift, 2 drift found (in the cloud, or stacks behind their branch: Git drift),
1 a check (or its reporting) failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.alerts.send import Dispatch
from orchestrator.config.load import load_repository
from orchestrator.config.resolved import RepoConfig
from orchestrator.drift.accounts import Scanner, scan_accounts
from orchestrator.drift.findings import (
    Scope,
    StackFindings,
    assign_states,
    in_report_order,
    parse_ignore_rules,
    stack_findings,
    with_active_counts,
)
from orchestrator.drift.issues import IssueAction, track_issues
from orchestrator.drift.model import DriftReport
from orchestrator.drift.notify import Notification, Poster, http_post, notify
from orchestrator.drift.schedule import due_environments
from orchestrator.drift.unmanaged import scan_unmanaged
from orchestrator.engines.base import Engine, StackResult, redact_result
from orchestrator.errors import UserError
from orchestrator.execute import OnEvent, execute
from orchestrator.flows.alerts import notify_held_locks
from orchestrator.flows.checkouts import EngineFactory, default_concurrency, default_engine_factory
from orchestrator.flows.drift_run import FORMATS, DriftRequest, DriftRun
from orchestrator.flows.reconcile import behind_branches
from orchestrator.flows.redaction import secret_values
from orchestrator.flows.remediate import Remediation, remediate
from orchestrator.git import GitRepo
from orchestrator.models import Plan, PlannedStack
from orchestrator.planner import plan_all
from orchestrator.redact import Redactor
from orchestrator.report.drift import issue_body, write_reports
from orchestrator.report.retention import prune_runs
from orchestrator.store.api import RunStatus, Store
from orchestrator.store.drift import DriftStore
from orchestrator.vcs.base import VcsClient

__all__ = ["FORMATS", "DriftOutcome", "DriftRequest", "run_drift"]

ReportWriter = Callable[[DriftReport, Path, Sequence[str]], Any]


@dataclass(frozen=True)
class DriftOutcome:
    run_id: str | None
    report: DriftReport
    not_due: Mapping[str, str] = field(default_factory=dict)  # environment → when it is due next
    report_paths: tuple[Path, ...] = ()
    issues: tuple[IssueAction, ...] = ()
    notifications: tuple[Notification, ...] = ()
    remediations: tuple[Remediation, ...] = ()
    notes: tuple[str, ...] = ()
    report_error: str | None = None
    lock_alerts: tuple[Dispatch, ...] = ()  # stacks held too long, queued in the background (flows/alerts.py)

    @property
    def failures(self) -> list[str]:
        """What failed: checks, reporting, notification, remediation."""
        out = [f"{s.stack}: {s.error}" for s in self.report.stacks if s.status == "error"]
        out += [f"unmanaged scan of {s.environment}: {s.error}" for s in self.report.scans if s.error]
        out += [f"tracking issue of {i.environment}: {i.error}" for i in self.issues if i.error]
        out += [f"webhook of {n.environment}: {n.error}" for n in self.notifications if n.error]
        out += [
            f"remediation of {r.environment}: {r.reason or r.status}"
            for r in self.remediations if r.status in ("failed", "blocked")
        ]
        if self.report_error:
            out.append(f"reports: {self.report_error}")
        return out

    @property
    def exit_code(self) -> int:
        if self.failures or self.report.has_errors:
            return 1
        return 2 if self.report.has_drift or self.report.has_git_drift else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "exit_code": self.exit_code,
            "report": self.report.to_json(),
            "not_due": dict(self.not_due),
            "report_paths": [str(p) for p in self.report_paths],
            "issues": [i.to_json() for i in self.issues],
            "notifications": [n.to_json() for n in self.notifications],
            "remediations": [r.to_json() for r in self.remediations],
            "failures": self.failures,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- the flow


def run_drift(
    request: DriftRequest,
    store: Store,
    vcs: VcsClient | None,
    *,
    engine_factory: EngineFactory = default_engine_factory,
    on_event: OnEvent | None = None,
    scanner: Scanner | None = None,
    report_writer: ReportWriter | None = None,
    post: Poster | None = None,
    config: RepoConfig | None = None,
) -> DriftOutcome:
    """Check the environments of `request`, remember, report, track, notify and remediate."""
    git = GitRepo(request.repo)
    config = config or load_repository(git.root)
    now = request.now or datetime.now(UTC)
    _check_formats(request.formats)
    drift_store = DriftStore(_sql(store))
    chosen = _environments(config, request.environments)
    projects = _projects(config, request.projects)
    # Every scheduled run looks for stuck leases, due or not: it is the CI's only periodic check.
    held = notify_held_locks(config, store, environments=chosen, environ=request.environ)
    not_due: dict[str, str] = {}
    if request.due:
        chosen, not_due = due_environments(config, chosen, drift_store.last_runs(), now)
    if not chosen:
        empty = DriftReport(generated_at=now, run_id=None, environments=(), stacks=(), findings=(),
                            only_changes=not request.everything)
        return DriftOutcome(run_id=None, report=empty, not_due=not_due, lock_alerts=held,
                            notes=("no environment is due for a drift check",) if request.due else ())

    commit = git.resolve("HEAD")
    started = store.start_run(flow="drift", commit=commit, branch=git.current_branch(), actor=request.actor,
                              environments=tuple(chosen), details={"projects": list(projects or ())})
    run = DriftRun(request=request, config=config, store=store, vcs=vcs, commit=commit, run_id=started.id,
                   engine_factory=engine_factory, on_event=on_event)
    store.audit(actor=request.actor, action="drift.started", run_id=run.run_id, commit=commit,
                details={"environments": chosen, "projects": list(projects or ()), "due": request.due})
    # The account listing and the stack checks are independent network-bound work: overlap them.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="unmanaged-scan") as pool:
        scanning = pool.submit(scan_accounts, config, chosen, scanner or scan_unmanaged)
        checked = _check_stacks(run, chosen, projects)
        scanned, scan_notes = scanning.result()
    current = [f for sf in checked.values() for f in sf.findings] + [f for fs, _ in scanned.values() for f in fs]
    scope = Scope(
        compared_stacks=frozenset(sid for sid, sf in checked.items() if sf.complete),
        attempted_stacks=frozenset(checked),
        unreadable=frozenset(u for sf in checked.values() for u in sf.unreadable),
        scanned_environments=frozenset(env for env, (_, scan) in scanned.items() if scan.error is None),
    )
    touched = sorted({*chosen, *scanned})
    states = assign_states(
        current, drift_store.findings(environments=touched), drift_store.acknowledgements(), scope=scope, now=now
    )
    drift_store.save_findings(states, run_id=run.run_id)
    if not projects:
        drift_store.record_run(chosen, at=now, run_id=run.run_id)

    behind, behind_notes = behind_branches(request.repo, chosen, store=store, engine_factory=engine_factory,
                                           projects=projects)
    stacks = with_active_counts((sf.drift for sf in checked.values()), states)
    report = DriftReport(
        generated_at=now,
        run_id=run.run_id,
        environments=tuple(touched),
        stacks=stacks,
        findings=in_report_order(states),
        scans=tuple(scan for _, scan in scanned.values()),
        ignored=sum(sf.ignored for sf in checked.values()),
        only_changes=not request.everything,
        git_drift=behind,
    )
    out_dir = request.out_dir or config.root / ".orchestrator" / "reports" / "drift"
    paths, report_error = _write_reports(report_writer or write_reports, report, out_dir, request.formats)
    if request.out_dir is None and not report_error:
        prune_runs(out_dir)
    active = drift_store.findings(environments=touched, active_only=True)
    issues = track_issues(vcs, report, touched, active, issue_body)
    notifications = notify(config, touched, states, request.environ, post or http_post)
    remediations = remediate(run, states, scope)

    outcome = DriftOutcome(
        run_id=run.run_id, report=report, not_due=not_due, report_paths=paths, issues=issues,
        notifications=notifications, remediations=remediations, notes=(*scan_notes, *behind_notes),
        report_error=report_error, lock_alerts=held,
    )
    status: RunStatus = "failed" if outcome.exit_code == 1 else "succeeded"
    summary = report.to_json()["summary"]
    store.finish_run(run.run_id, status, details={"summary": summary, "exit_code": outcome.exit_code})
    store.audit(actor=request.actor, action="drift.finished", run_id=run.run_id, commit=commit,
                details={"status": status, "summary": summary, "exit_code": outcome.exit_code})
    return outcome


def _sql(store: Store) -> Any:
    """The drift tables live in the run store's database; only the SQL store has one."""
    if not hasattr(store, "transaction") or not hasattr(store, "ensure_schema"):
        raise UserError("drift memory needs the SQL store", "open it with orchestrator.store.open_store")
    return store


def _check_formats(formats: Iterable[str]) -> None:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UserError(f"unknown report format(s): {', '.join(unknown)}", f"use a list of {', '.join(FORMATS)}")


def _environments(config: RepoConfig, names: Sequence[str]) -> list[str]:
    if names:
        return [config.environment(n).name for n in dict.fromkeys(names)]
    return [e.name for e in sorted(config.environments.values(), key=lambda e: (e.order, e.name))]


def _projects(config: RepoConfig, names: Sequence[str]) -> list[str] | None:
    return [config.project(n).name for n in dict.fromkeys(names)] if names else None


# --------------------------------------------------------------------------- the checks


def drift_plan(config: RepoConfig, environments: Sequence[str], projects: Sequence[str] | None, commit: str,
               reason: str) -> Plan:
    """Every stack of `environments`, all in one wave: a drift check reads, it does not need
    its dependencies to have succeeded, so a failed check never skips another."""
    plan = plan_all(config, environments, operation="drift", head=commit, projects=projects, reason=reason)
    return replace(plan, stacks=tuple(replace(s, wave=0, depends_on=()) for s in plan.stacks))


def _check_stacks(
    run: DriftRun, environments: Sequence[str], projects: Sequence[str] | None
) -> dict[str, StackFindings]:
    config = run.config
    plan = drift_plan(config, environments, projects, run.commit, f"drift check by {run.actor}")
    redactor = _redactor(config, plan)
    engines: dict[str, Engine] = {}

    def run_stack(stack: PlannedStack) -> StackResult:
        started = datetime.now(UTC)
        spec = config.stack_spec(stack.project, stack.environment)
        engine = engines.get(spec.engine) or engines.setdefault(spec.engine, run.engine_factory(spec.engine))
        result = redact_result(engine.drift(spec), redactor)
        run.store.record_stack_result(run.run_id, commit=run.commit, result=result, started_at=started)
        return result

    execution = execute(plan, run_stack, concurrency=default_concurrency(config, run.request.concurrency),
                        on_event=run.on_event)
    rules = {env: parse_ignore_rules(config.environment(env).drift.ignore,
                                     source=f"{config.environment(env).source}: drift.ignore")
             for env in environments}
    return {
        # Results that never reached run_stack (an engine crash caught by execute) are redacted here.
        s.id: stack_findings(redact_result(execution.results[s.id], redactor), project=s.project,
                             environment=s.environment, rules=rules[s.environment])
        for s in plan.stacks
    }


def _redactor(config: RepoConfig, plan: Plan) -> Redactor:
    """Knows the plain `secure:` config values of the stacks (best effort: no passphrase, none)."""
    return Redactor(secret_values(config.stack_spec(s.project, s.environment) for s in plan.stacks))


# --------------------------------------------------------------------------- reports


def _write_reports(
    writer: ReportWriter, report: DriftReport, out_dir: Path, formats: Sequence[str]
) -> tuple[tuple[Path, ...], str | None]:
    try:
        written = writer(report, out_dir, list(formats))
    except OSError as exc:
        return (), f"cannot write the reports to {out_dir}: {exc}"
    values = written.values() if isinstance(written, Mapping) else written
    return tuple(Path(p) for p in values), None
