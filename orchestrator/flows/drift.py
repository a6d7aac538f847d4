"""Use case: the schedule. Check every stack of the chosen environments against the live cloud.

Drift is a workflow with memory, not a failed job: each run compares what the engines find
with what the store remembers (new, ongoing, resolved, acknowledged), writes the reports,
keeps one tracking issue per environment, notifies a webhook of what changed, and may put
drifted stacks of unprotected environments back (remediation).

Exit codes: 0 no drift, 2 drift found, 1 a check (or its reporting) failed.
"""

from __future__ import annotations

import getpass
import os
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from orchestrator.config.resolved import Environment, RepoConfig, UnmanagedSettings
from orchestrator.drift.findings import (
    Scope,
    StackFindings,
    assign_states,
    changed,
    parse_ignore_rules,
    stack_findings,
    with_active_counts,
)
from orchestrator.drift.model import DriftReport, Finding, UnmanagedScan
from orchestrator.engines.base import Engine, StackResult
from orchestrator.errors import UserError
from orchestrator.execute import OnEvent, execute
from orchestrator.flows.runner import EngineFactory, default_concurrency, default_engine_factory
from orchestrator.models import AwsSettings, Plan, PlannedStack, StackSpec
from orchestrator.store.api import RunStatus, Store
from orchestrator.vcs.base import VcsClient, VcsError

if TYPE_CHECKING:
    from orchestrator.redact import Redactor

FORMATS = ("md", "json", "html")
MARKER = "<!-- orchestrator:drift:{env} -->"
ISSUE_LABELS = ("drift",)

Scanner = Callable[
    [str, AwsSettings, "str | None", Collection[str], UnmanagedSettings], tuple[list[Finding], UnmanagedScan]
]
ReportWriter = Callable[[DriftReport, Path, Sequence[str]], Any]
Poster = Callable[[str, dict[str, Any]], int]  # (url, json payload) -> HTTP status


def issue_marker(environment: str) -> str:
    return MARKER.format(env=environment)


# --------------------------------------------------------------------------- request and outcome


@dataclass(frozen=True)
class DriftRequest:
    repo: Path
    environments: tuple[str, ...] = ()  # empty: every environment
    projects: tuple[str, ...] = ()  # empty: every project
    due: bool = False  # only environments whose drift.schedule fell due since their last run
    formats: tuple[str, ...] = FORMATS
    out_dir: Path | None = None  # default <repo>/.orchestrator/reports/drift
    remediate: bool = False  # also for environments without drift.remediate (never protected ones)
    everything: bool = False  # reports list every finding, not only what changed (--all)
    actor: str = field(default_factory=getpass.getuser)
    concurrency: int | None = None
    now: datetime | None = None  # the run's clock (tests); default: now
    environ: Mapping[str, str] | None = None  # where webhook URLs are looked up; default os.environ


@dataclass(frozen=True)
class IssueAction:
    environment: str
    action: Literal["opened", "updated", "closed", "none"]
    number: int | None = None
    url: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "action": self.action, "number": self.number,
                "url": self.url, "error": self.error}


@dataclass(frozen=True)
class Notification:
    environment: str
    sent: bool
    new: int = 0
    resolved: int = 0
    error: str | None = None  # never holds the webhook URL
    skipped: str | None = None  # why nothing was sent although there was news (no URL set)

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "sent": self.sent, "new": self.new,
                "resolved": self.resolved, "error": self.error, "skipped": self.skipped}


RemediationStatus = Literal["succeeded", "failed", "blocked", "refused"]


@dataclass(frozen=True)
class Remediation:
    environment: str
    stacks: tuple[str, ...]
    status: RemediationStatus
    reason: str | None = None
    run_id: str | None = None
    commit: str | None = None
    results: Mapping[str, StackResult] = field(default_factory=dict)
    report_path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "stacks": list(self.stacks),
            "status": self.status,
            "reason": self.reason,
            "run_id": self.run_id,
            "commit": self.commit,
            "results": [r.to_json() for r in self.results.values()],
            "report": None if self.report_path is None else str(self.report_path),
        }


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
        return 2 if self.report.has_drift else 0

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
    from orchestrator.config.load import load_repository
    from orchestrator.git import GitRepo
    from orchestrator.store.drift import DriftStore

    git = GitRepo(request.repo)
    config = config or load_repository(git.root)
    now = request.now or datetime.now(UTC)
    _check_formats(request.formats)
    drift_store = DriftStore(_sql(store))
    chosen = _environments(config, request.environments)
    projects = _projects(config, request.projects)
    not_due: dict[str, str] = {}
    if request.due:
        chosen, not_due = due_environments(config, chosen, drift_store.last_runs(), now)
    if not chosen:
        empty = DriftReport(generated_at=now, run_id=None, environments=(), stacks=(), findings=(),
                            only_changes=not request.everything)
        return DriftOutcome(run_id=None, report=empty, not_due=not_due,
                            notes=("no environment is due for a drift check",) if request.due else ())

    commit = git.resolve("HEAD")
    run = store.start_run(flow="drift", commit=commit, branch=git.current_branch(), actor=request.actor,
                          environments=tuple(chosen), details={"projects": list(projects or ())})
    store.audit(actor=request.actor, action="drift.started", run_id=run.id, commit=commit,
                details={"environments": chosen, "projects": list(projects or ()), "due": request.due})
    # The account listing and the stack checks are independent network-bound work: overlap them.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="unmanaged-scan") as pool:
        scanning = pool.submit(_scan_unmanaged, config, chosen, scanner or _default_scanner)
        checked = _check_stacks(config, chosen, projects, commit, store, run.id, request, engine_factory, on_event)
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
    drift_store.save_findings(states, run_id=run.id)
    if not projects:
        drift_store.record_run(chosen, at=now, run_id=run.id)

    stacks = with_active_counts((sf.drift for sf in checked.values()), states)
    report = DriftReport(
        generated_at=now,
        run_id=run.id,
        environments=tuple(touched),
        stacks=stacks,
        findings=_ordered(states),
        scans=tuple(scan for _, scan in scanned.values()),
        ignored=sum(sf.ignored for sf in checked.values()),
        only_changes=not request.everything,
    )
    out_dir = request.out_dir or config.root / ".orchestrator" / "reports" / "drift"
    paths, report_error = _write_reports(report_writer, report, out_dir, request.formats)
    issues = track_issues(vcs, report, touched, drift_store.findings(environments=touched, active_only=True))
    notifications = notify(config, touched, states, request.environ, post or _http_post)
    remediations = _remediate(request, config, store, vcs, states, scope, commit, run.id, engine_factory, on_event)

    outcome = DriftOutcome(
        run_id=run.id, report=report, not_due=not_due, report_paths=paths, issues=issues,
        notifications=notifications, remediations=remediations, notes=tuple(scan_notes), report_error=report_error,
    )
    status: RunStatus = "failed" if outcome.exit_code == 1 else "succeeded"
    summary = report.to_json()["summary"]
    store.finish_run(run.id, status, details={"summary": summary, "exit_code": outcome.exit_code})
    store.audit(actor=request.actor, action="drift.finished", run_id=run.id, commit=commit,
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


# --------------------------------------------------------------------------- --due


def due_environments(
    config: RepoConfig, names: Sequence[str], last_runs: Mapping[str, datetime], now: datetime
) -> tuple[list[str], dict[str, str]]:
    """The environments whose `drift.schedule` fell due since their last run (never run: due),
    and for the others when they are due next."""
    due: list[str] = []
    later: dict[str, str] = {}
    for name in names:
        env = config.environment(name)
        nxt = next_due(env, last_runs.get(name))
        if nxt is None or nxt <= now:
            due.append(name)
        else:
            later[name] = nxt.isoformat()
    return due, later


def next_due(env: Environment, last_run: datetime | None) -> datetime | None:
    """When the schedule next fires after `last_run` (None: never ran, due now)."""
    if last_run is None:
        return None
    from croniter import croniter

    try:
        nxt = croniter(env.drift.schedule, last_run.astimezone(UTC)).get_next(datetime)
    except (ValueError, KeyError) as exc:
        raise UserError(
            f"{env.source}: drift.schedule {env.drift.schedule!r} is not a valid cron expression ({exc})",
            "use five fields, e.g. '0 */6 * * *'",
        ) from None
    assert isinstance(nxt, datetime)
    return nxt if nxt.tzinfo else nxt.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- the checks


def drift_plan(config: RepoConfig, environments: Sequence[str], projects: Sequence[str] | None, commit: str,
               reason: str) -> Plan:
    """Every stack of `environments`, all in one wave: a drift check reads, it does not need
    its dependencies to have succeeded, so a failed check never skips another."""
    from orchestrator.planner import plan_all

    plan = plan_all(config, environments, operation="drift", head=commit, projects=projects, reason=reason)
    return replace(plan, stacks=tuple(replace(s, wave=0, depends_on=()) for s in plan.stacks))


def _check_stacks(
    config: RepoConfig,
    environments: Sequence[str],
    projects: Sequence[str] | None,
    commit: str,
    store: Store,
    run_id: str,
    request: DriftRequest,
    engine_factory: EngineFactory,
    on_event: OnEvent | None,
) -> dict[str, StackFindings]:
    from orchestrator.engines.base import redact_result

    plan = drift_plan(config, environments, projects, commit, f"drift check by {request.actor}")
    redactor = _redactor(config, plan)
    engines: dict[str, Engine] = {}

    def run_stack(stack: PlannedStack) -> StackResult:
        started = datetime.now(UTC)
        spec = config.stack_spec(stack.project, stack.environment)
        engine = engines.get(spec.engine) or engines.setdefault(spec.engine, engine_factory(spec.engine))
        result = redact_result(engine.drift(spec), redactor)
        store.record_stack_result(run_id, commit=commit, result=result, started_at=started)
        return result

    execution = execute(plan, run_stack, concurrency=default_concurrency(config, request.concurrency),
                        on_event=on_event)
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
    from orchestrator.engines.local.secrets import load_stack_config, read_passphrase
    from orchestrator.redact import Redactor

    try:
        passphrase = read_passphrase()
    except UserError:
        passphrase = None
    found: list[str] = []
    for stack in plan.stacks:
        spec = config.stack_spec(stack.project, stack.environment)
        try:
            loaded = load_stack_config(spec.directory, spec.project, spec.stack_name, spec.config, passphrase)
        except UserError:
            continue
        found.extend(loaded.values[k] for k in loaded.secret_keys if k in loaded.values)
    return Redactor(found)


# --------------------------------------------------------------------------- unmanaged resources


@dataclass(frozen=True)
class AccountGroup:
    """Environments that share one account and region: scanned once, reported under `owner`."""

    owner: str
    environments: tuple[str, ...]
    aws: AwsSettings
    endpoint: str | None


def account_groups(config: RepoConfig, resolve: Callable[[AwsSettings], str | None]) -> list[AccountGroup]:
    """Every environment of the configuration grouped by (endpoint, region, profile, role).

    Stacks of every environment in a group own resources in the same listing, so ownership
    is the union of their states; the owner is the first environment of the group in
    promotion order, the same whichever environments a run checks, so a finding keeps its key.
    """
    groups: dict[tuple[Any, ...], list[Environment]] = {}
    for env in sorted(config.environments.values(), key=lambda e: (e.order, e.name)):
        endpoint = resolve(env.aws)
        groups.setdefault((endpoint, env.aws.region, env.aws.profile, env.aws.role_arn), []).append(env)
    return [
        AccountGroup(owner=envs[0].name, environments=tuple(e.name for e in envs), aws=envs[0].aws, endpoint=key[0])
        for key, envs in groups.items()
    ]


def owned_ids(config: RepoConfig, environments: Iterable[str]) -> set[str]:
    """Identifiers owned by the stacks of `environments`, from their `file://` state."""
    from orchestrator.drift.unmanaged import owned_in_backend

    owned: set[str] = set()
    for name in environments:
        env = config.environment(name)
        backend = config.backend_url(name)
        if not backend.startswith("file://"):
            raise UserError(
                f"cannot tell which resources the stacks of {name} own: backend {backend} is not a file:// backend",
                f"disable the scan with drift.unmanaged.enabled: false in {env.source}",
            )
        for project in config.projects:
            if config.deploys(project, name):
                owned |= owned_in_backend(backend, config.project(project).name, env.stack_name(project))
    return owned


def _scan_unmanaged(
    config: RepoConfig, chosen: Sequence[str], scanner: Scanner
) -> tuple[dict[str, tuple[list[Finding], UnmanagedScan]], list[str]]:
    """Scan each account of the chosen environments once; findings go to the group's owner."""
    from orchestrator.sandbox import resolve_endpoint

    out: dict[str, tuple[list[Finding], UnmanagedScan]] = {}
    notes: list[str] = []
    unresolved: dict[str, str] = {}

    def resolve(aws: AwsSettings) -> str | None:
        try:
            return resolve_endpoint(aws, config.root)
        except UserError as exc:
            unresolved[aws.endpoint or ""] = exc.message
            return f"unresolved:{aws.endpoint}"

    for group in account_groups(config, resolve):
        if not any(e in chosen for e in group.environments):
            continue
        owner = config.environment(group.owner)
        if not owner.drift.unmanaged.enabled:
            continue
        if len(group.environments) > 1:
            notes.append(f"environments {', '.join(group.environments)} share one account and region: "
                         f"its unmanaged resources are reported under {group.owner}")
        started = time.monotonic()
        try:
            if group.endpoint is not None and group.endpoint.startswith("unresolved:"):
                raise UserError(unresolved.get(owner.aws.endpoint or "", "endpoint unresolved"))
            owned = owned_ids(config, group.environments)
            out[group.owner] = scanner(group.owner, group.aws, group.endpoint, owned, owner.drift.unmanaged)
        except UserError as exc:
            out[group.owner] = ([], UnmanagedScan(environment=group.owner, region=group.aws.region, scanned=0,
                                                  excluded=0, error=exc.message,
                                                  duration_s=time.monotonic() - started))
    return out, notes


def _default_scanner(
    environment: str, aws: AwsSettings, endpoint: str | None, owned: Collection[str], settings: UnmanagedSettings
) -> tuple[list[Finding], UnmanagedScan]:
    from orchestrator.drift.unmanaged import scan_unmanaged

    return scan_unmanaged(environment, aws, endpoint, owned, settings)


# --------------------------------------------------------------------------- reports


_KIND_ORDER = {"error": 0, "deleted": 1, "drifted": 2, "unmanaged": 3}
_STATE_ORDER = {"new": 0, "ongoing": 1, "acknowledged": 2, "resolved": 3}


def _ordered(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (f.environment, f.stack or "~", _KIND_ORDER[f.kind],
                                                 _STATE_ORDER[f.state], f.key)))


def _write_reports(
    writer: ReportWriter | None, report: DriftReport, out_dir: Path, formats: Sequence[str]
) -> tuple[tuple[Path, ...], str | None]:
    if writer is None:
        from orchestrator.report.drift import write_reports

        writer = write_reports
    try:
        written = writer(report, out_dir, list(formats))
    except OSError as exc:
        return (), f"cannot write the reports to {out_dir}: {exc}"
    values = written.values() if isinstance(written, Mapping) else written
    return tuple(Path(p) for p in values), None


# --------------------------------------------------------------------------- tracking issues


def track_issues(
    vcs: VcsClient | None,
    report: DriftReport,
    environments: Sequence[str],
    active: Mapping[str, Finding],
) -> tuple[IssueAction, ...]:
    """One issue per environment: opened on drift, updated while it lasts, closed once resolved.

    `active` is every active finding the store holds (also of stacks this run did not
    check), so a run over one project never closes an issue about another.
    """
    if vcs is None:
        return ()
    actions = []
    for env in environments:
        mine = [f for f in active.values() if f.environment == env]
        resolved = [f for f in report.findings if f.environment == env and f.state == "resolved"]
        try:
            actions.append(_track_one(vcs, env, issue_body(report, env, mine, resolved), mine, resolved))
        except VcsError as exc:
            actions.append(IssueAction(env, "none", error=exc.message))
    return tuple(actions)


def _track_one(
    vcs: VcsClient, env: str, body: str, active: Sequence[Finding], resolved: Sequence[Finding]
) -> IssueAction:
    marker = issue_marker(env)
    existing = vcs.find_issue(marker)
    drift = [f for f in active if f.kind != "error" and f.state in ("new", "ongoing")]
    if drift:
        if existing is None:
            issue = vcs.open_issue(f"Drift in {env}", body, marker, ISSUE_LABELS)
            return IssueAction(env, "opened", issue.number, issue.url or None)
        issue = vcs.update_issue(existing.number, body, marker=marker)
        return IssueAction(env, "updated", issue.number, issue.url or None)
    if existing is None:
        return IssueAction(env, "none")
    vcs.update_issue(existing.number, body, marker=marker)
    issue = vcs.close_issue(existing.number, closing_comment(env, active, resolved))
    return IssueAction(env, "closed", issue.number, issue.url or None)


ISSUE_BODY_CHARS = 60_000  # GitHub's limit is 65,536; room for the keys appendix
ISSUE_KEYS_LISTED = 200


def issue_body(report: DriftReport, env: str, active: Sequence[Finding], resolved: Sequence[Finding]) -> str:
    """The environment's part of the report, with every active finding (not only this run's
    changes), and the keys `orchestrator drift ack` takes."""
    from orchestrator.report.drift import render_markdown
    from orchestrator.report.mdtext import code_block

    mine = replace(
        report,
        environments=(env,),
        stacks=tuple(s for s in report.stacks if s.environment == env),
        findings=_ordered([*active, *resolved]),
        scans=tuple(s for s in report.scans if s.environment == env),
        ignored=sum(s.ignored for s in report.stacks if s.environment == env),
        only_changes=False,
    )
    body = render_markdown(mine, only_changes=False, max_chars=ISSUE_BODY_CHARS)
    keys = sorted(f.key for f in active if f.state in ("new", "ongoing"))
    if keys:
        listed = "\n".join(keys[:ISSUE_KEYS_LISTED])
        more = f"\n({len(keys) - ISSUE_KEYS_LISTED} more in the JSON report)" if len(keys) > ISSUE_KEYS_LISTED else ""
        body += (
            "\n<details><summary>Finding keys, for <code>orchestrator drift ack KEY --reason ...</code></summary>"
            f"\n\n{code_block(listed + more)}\n\n</details>\n"
        )
    return body


def closing_comment(env: str, active: Sequence[Finding], resolved: Sequence[Finding]) -> str:
    acknowledged = [f for f in active if f.state == "acknowledged"]
    text = f"All drift in `{env}` is resolved ({len(resolved)} finding(s) gone since the last run)."
    if acknowledged:
        text += f" {len(acknowledged)} acknowledged finding(s) remain, not tracked here."
    return text


# --------------------------------------------------------------------------- webhook


def notify(
    config: RepoConfig,
    environments: Sequence[str],
    states: Sequence[Finding],
    environ: Mapping[str, str] | None,
    post: Poster,
) -> tuple[Notification, ...]:
    """A Slack-compatible message per environment with new or resolved findings."""
    variables = os.environ if environ is None else environ
    sent = []
    for name in environments:
        env = config.environment(name)
        news = changed(f for f in states if f.environment == name)
        if not env.notify_webhook_url_env or not news:
            continue
        url = variables.get(env.notify_webhook_url_env, "").strip()
        new = sum(1 for f in news if f.state == "new")
        resolved = len(news) - new
        if not url:
            # The webhook is optional: a run without its URL (a laptop, a fork) is not a failure.
            sent.append(Notification(name, False, new, resolved,
                                     skipped=f"${env.notify_webhook_url_env} is not set (notify.webhook_url_env "
                                             f"in {env.source})"))
            continue
        sent.append(_send(name, url, webhook_payload(name, news), post, new, resolved))
    return tuple(sent)


def _send(env: str, url: str, payload: dict[str, Any], post: Poster, new: int, resolved: int) -> Notification:
    from orchestrator.redact import Redactor

    try:
        status = post(url, payload)
    except Exception as exc:  # the message may hold the URL: redact it, say only what kind of failure
        reason = Redactor([url]).text(f"{type(exc).__name__}: {exc}").replace(url, "[webhook URL]")
        return Notification(env, False, new, resolved, error=f"POST failed: {reason}")
    if not 200 <= status < 300:
        return Notification(env, False, new, resolved, error=f"the webhook answered HTTP {status}")
    return Notification(env, True, new, resolved)


def webhook_payload(env: str, news: Sequence[Finding]) -> dict[str, Any]:
    new = [f for f in news if f.state == "new"]
    resolved = [f for f in news if f.state == "resolved"]
    lines = [f"*Drift in {env}*: {len(new)} new, {len(resolved)} resolved"]
    lines += [f"• new {f.kind}: {f.stack or f.environment} {f.type} `{f.name}`" for f in new[:20]]
    lines += [f"• resolved {f.kind}: {f.stack or f.environment} {f.type} `{f.name}`" for f in resolved[:20]]
    more = len(new[20:]) + len(resolved[20:])
    if more:
        lines.append(f"…and {more} more")
    return {"text": "\n".join(lines)}


def _http_post(url: str, payload: dict[str, Any]) -> int:
    import httpx

    response = httpx.post(url, json=payload, timeout=10.0)
    return response.status_code


# --------------------------------------------------------------------------- remediation


class RefreshThenUpdate:
    """An update that first takes the live cloud into the recorded state (`pulumi up --refresh`).

    Without the refresh an update compares the code with the recorded state, which still
    says what the code says, and changes nothing: out-of-band edits stay. Engines offer it
    through an optional `refresh(spec) -> StackResult` method.
    """

    def __init__(self, inner: Engine) -> None:
        self._inner = inner

    def preview(self, stack: StackSpec) -> StackResult:
        return self._inner.preview(stack)

    def update(self, stack: StackSpec) -> StackResult:
        refresh = getattr(self._inner, "refresh", None)
        if refresh is None:
            return StackResult(
                stack=stack.id, operation="update", status="failed",
                error=f"the {stack.engine} engine cannot refresh a stack, so an update would not see the "
                      "out-of-band changes; remediate with the pulumi engine or by hand",
            )
        refreshed: StackResult = refresh(stack)
        if not refreshed.ok:
            return replace(refreshed, operation="update",
                           error=f"refresh before the update failed: {refreshed.error or refreshed.status}")
        return self._inner.update(stack)

    def destroy(self, stack: StackSpec, *, preview_only: bool) -> StackResult:
        return self._inner.destroy(stack, preview_only=preview_only)

    def drift(self, stack: StackSpec) -> StackResult:
        return self._inner.drift(stack)

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        return self._inner.outputs(stack)


def _remediate(
    request: DriftRequest,
    config: RepoConfig,
    store: Store,
    vcs: VcsClient | None,
    states: Sequence[Finding],
    scope: Scope,
    head: str,
    run_id: str,
    engine_factory: EngineFactory,
    on_event: OnEvent | None,
) -> tuple[Remediation, ...]:
    out: list[Remediation] = []
    for env_name in sorted({f.environment for f in states}, key=lambda n: (config.environment(n).order, n)):
        env = config.environment(env_name)
        if not (request.remediate or env.drift.remediate):
            continue
        stacks = sorted({
            f.stack for f in states
            if f.environment == env_name and f.stack and f.kind in ("drifted", "deleted")
            and f.state in ("new", "ongoing") and f.stack in scope.compared_stacks
        })
        if not stacks:
            continue
        if env.protected:
            reason = (f"{env_name} is protected ({env.source}): drift is never remediated there; "
                      "deploy through the gates or fix it by hand")
            store.audit(actor=request.actor, action="drift.remediation_refused", run_id=run_id,
                        environment=env_name, details={"stacks": stacks, "reason": reason})
            out.append(Remediation(env_name, tuple(stacks), "refused", reason))
            continue
        out.extend(_remediate_environment(request, env_name, stacks, store, vcs, head, run_id, engine_factory,
                                          on_event))
    return tuple(out)


def _remediate_environment(
    request: DriftRequest,
    env: str,
    stacks: Sequence[str],
    store: Store,
    vcs: VcsClient | None,
    head: str,
    run_id: str,
    engine_factory: EngineFactory,
    on_event: OnEvent | None,
) -> list[Remediation]:
    """Update the drifted stacks to the commit each runs now (from the store; else HEAD),
    so remediation restores what was deployed, never code that was not."""
    from orchestrator.config.load import load_repository
    from orchestrator.flows.deploy import DeployRequest, run_deploy
    from orchestrator.git import GitRepo
    from orchestrator.planner import plan_all

    current = store.current_commits()
    by_commit: dict[str, list[str]] = {}
    for stack in stacks:
        by_commit.setdefault(current.get(stack, head), []).append(stack)
    git = GitRepo(request.repo)
    out = []
    for commit, group in by_commit.items():
        at_commit = load_repository(git.root, git.tree(commit))
        projects = [s.split("/", 1)[0] for s in group]
        plan = plan_all(at_commit, [env], operation="update", head=commit, projects=projects,
                        reason=f"remediate drift found by drift run {run_id}")
        deploy = DeployRequest(repo=request.repo, after=commit, actor=request.actor, environments=(env,),
                               concurrency=request.concurrency, flow="remediate")
        store.audit(actor=request.actor, action="drift.remediation_started", run_id=run_id, environment=env,
                    commit=commit, details={"stacks": group})
        outcome = run_deploy(deploy, store, vcs, plan=plan, config=at_commit,
                             engine_factory=lambda name: RefreshThenUpdate(engine_factory(name)), on_event=on_event)
        failed = outcome.failed
        blocked = [g for g in outcome.gates if not g.passed]
        status: RemediationStatus = "failed" if failed else ("blocked" if blocked else "succeeded")
        reason = (
            "; ".join(f"{sid}: {outcome.results[sid].error}" for sid in failed) if failed
            else "; ".join(r for g in blocked for r in g.reasons) or None
        )
        out.append(Remediation(env, tuple(group), status, reason, outcome.run_id, commit, dict(outcome.results),
                               outcome.report_path))
    return out
