"""From engine results to findings, and their states across runs. Pure: plain data in, plain data out.

A drift check of one stack returns a `StackResult` whose changes are the drifted resources
(op `update`, property diffs recorded → live) and the resources gone from the cloud (op
`delete`); a resource whose read failed comes back as an error diagnostic naming its URN
and a failed status. Errors are kept apart from drift: a failed read says nothing about
whether the resource drifted, so it never resolves (or raises) a drift finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from orchestrator.drift.model import Finding, FindingKind, FindingState, StackDrift, StackDriftStatus
from orchestrator.engines.base import PropertyDiff, StackResult
from orchestrator.errors import UserError
from orchestrator.globs import GlobError, match, validate_glob

STACK_TYPE = "pulumi:pulumi:Stack"
ACTIVE_STATES = ("new", "ongoing", "acknowledged")


# --------------------------------------------------------------------------- keys


def finding_key(environment: str, kind: FindingKind, identity: str) -> str:
    """Stable across runs: the same resource drifting the same way gets the same key."""
    return f"{environment}:{kind}:{identity}"


def stack_error_key(environment: str, stack: str) -> str:
    """The key of a whole-stack failure (no resource to name)."""
    return finding_key(environment, "error", f"stack:{stack}")


# --------------------------------------------------------------------------- ignore rules


@dataclass(frozen=True)
class IgnoreRule:
    """`<type glob>:<property path glob>`, split at the last colon (types contain colons).

    A rule whose property glob matches the empty path (`*`, `**`) ignores the whole
    resource, so it also hides a resource of that type deleted out of band.
    """

    text: str
    type_glob: str
    path_glob: str

    @classmethod
    def parse(cls, text: str, *, source: str = "drift.ignore") -> IgnoreRule:
        type_glob, sep, path_glob = text.rpartition(":")
        if not sep or not type_glob or not path_glob:
            raise UserError(
                f"{source}: ignore rule {text!r} is not '<type glob>:<property path glob>'",
                "e.g. aws:s3/bucket:Bucket:tags*.LastScanned",
            )
        try:
            validate_glob(type_glob)
            validate_glob(path_glob)
        except GlobError as exc:
            raise UserError(f"{source}: ignore rule {text!r}: {exc}", "fix the glob") from None
        return cls(text=text, type_glob=type_glob, path_glob=path_glob)

    def matches_property(self, type_: str, path: str) -> bool:
        return match(self.type_glob, type_) and match(self.path_glob, path)

    def matches_resource(self, type_: str) -> bool:
        return match(self.type_glob, type_) and match(self.path_glob, "")


def parse_ignore_rules(rules: Iterable[str], *, source: str = "drift.ignore") -> tuple[IgnoreRule, ...]:
    return tuple(IgnoreRule.parse(rule, source=source) for rule in rules)


def split_ignored(
    type_: str, diffs: Sequence[PropertyDiff], rules: Sequence[IgnoreRule]
) -> tuple[tuple[PropertyDiff, ...], int]:
    """The diffs no rule matches, and how many were ignored."""
    kept = tuple(d for d in diffs if not any(r.matches_property(type_, d.path) for r in rules))
    return kept, len(diffs) - len(kept)


# --------------------------------------------------------------------------- stack results → findings


@dataclass(frozen=True)
class StackFindings:
    """What one stack's drift check found, before states are known."""

    drift: StackDrift
    findings: tuple[Finding, ...]
    ignored: int  # property diffs (and whole resources) suppressed by ignore rules
    unreadable: frozenset[str]  # URNs whose read failed: their drift is unknown this run
    complete: bool  # False when the check did not get to compare the stack at all


def stack_findings(
    result: StackResult,
    *,
    project: str,
    environment: str,
    rules: Sequence[IgnoreRule] = (),
) -> StackFindings:
    """Findings of one stack's drift check."""
    stack = f"{project}/{environment}"
    findings: list[Finding] = []
    ignored = 0
    for change in result.changes:
        if change.op == "delete":
            if any(r.matches_resource(change.type) for r in rules):
                ignored += 1
                continue
            findings.append(
                Finding(
                    key=finding_key(environment, "deleted", change.urn), environment=environment, kind="deleted",
                    type=change.type, name=change.name, stack=stack, urn=change.urn,
                )
            )
            continue
        kept, dropped = split_ignored(change.type, change.diffs, rules)
        ignored += dropped
        if change.diffs and not kept:
            continue  # every difference is known noise
        findings.append(
            Finding(
                key=finding_key(environment, "drifted", change.urn), environment=environment, kind="drifted",
                type=change.type, name=change.name, stack=stack, urn=change.urn, diffs=kept,
            )
        )
    errors = _error_findings(result, stack=stack, environment=environment)
    unreadable = frozenset(f.urn for f in errors if f.urn is not None)
    # A failure that names no resource (no state, a lock, a crash) means nothing was compared.
    complete = result.status == "succeeded" or (result.status == "failed" and bool(unreadable))
    findings.extend(errors)
    checked = result.counts.update + result.counts.delete + result.counts.same + len(unreadable)
    status: StackDriftStatus = "error" if errors else ("drifted" if findings else "clean")
    drift = StackDrift(
        stack=stack,
        project=project,
        environment=environment,
        status=status,
        resources_checked=checked,
        findings=len(findings),
        ignored=ignored,
        error=None if not errors else (result.error or "; ".join(f.message or "" for f in errors)),
        duration_s=result.duration_s,
    )
    return StackFindings(drift=drift, findings=tuple(findings), ignored=ignored, unreadable=unreadable,
                         complete=complete)


def _error_findings(result: StackResult, *, stack: str, environment: str) -> list[Finding]:
    per_resource = [d for d in result.diagnostics if d.severity == "error" and d.urn]
    found = [
        Finding(
            key=finding_key(environment, "error", d.urn), environment=environment, kind="error",
            type=_urn_type(d.urn), name=_urn_name(d.urn), stack=stack, urn=d.urn, message=d.message,
        )
        for d in per_resource
        if d.urn
    ]
    if result.status != "succeeded" and not found:
        message = result.error or next((d.message for d in result.diagnostics if d.severity == "error"), None)
        found.append(
            Finding(
                key=stack_error_key(environment, stack), environment=environment, kind="error", type=STACK_TYPE,
                name=stack, stack=stack, message=message or f"drift check {result.status}",
            )
        )
    return found


def _urn_parts(urn: str) -> list[str]:
    # urn:pulumi:<stack>::<project>::<parent types $-joined>$<type>::<name>
    return urn.split("::")


def _urn_type(urn: str) -> str:
    parts = _urn_parts(urn)
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else "unknown"


def _urn_name(urn: str) -> str:
    parts = _urn_parts(urn)
    return "::".join(parts[3:]) if len(parts) >= 4 else urn


# --------------------------------------------------------------------------- states across runs


@dataclass(frozen=True)
class Acknowledgement:
    key: str
    actor: str
    reason: str
    at: datetime
    until: datetime | None = None

    def valid_at(self, now: datetime) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True)
class Scope:
    """What this run looked at, so only findings it could have seen again may resolve.

    `compared_stacks`: stacks whose resources were compared (a stack that failed as a
    whole is not among them); `attempted_stacks`: every stack checked, failed or not
    (an earlier error of one of them resolves when it no longer fails); `unreadable`:
    URNs whose read failed this run; `scanned_environments`: environments whose
    unmanaged-resource scan completed.
    """

    compared_stacks: frozenset[str] = frozenset()
    attempted_stacks: frozenset[str] = frozenset()
    unreadable: frozenset[str] = frozenset()
    scanned_environments: frozenset[str] = frozenset()

    def covers(self, finding: Finding) -> bool:
        if finding.kind == "unmanaged":
            return finding.environment in self.scanned_environments
        if finding.kind == "error":
            return finding.stack in self.attempted_stacks
        return finding.stack in self.compared_stacks and finding.urn not in self.unreadable


def assign_states(
    current: Iterable[Finding],
    previous: Mapping[str, Finding],
    acknowledgements: Mapping[str, Acknowledgement],
    *,
    scope: Scope,
    now: datetime,
) -> tuple[Finding, ...]:
    """This run's findings with their states, followed by the previous ones that resolved.

    - seen now, not active before → new (first seen now); active before → ongoing;
    - seen now under an acknowledgement still valid → acknowledged;
    - an acknowledgement that ran out makes the finding new again (first_seen kept), so it
      is announced once more;
    - active before, in this run's scope, not seen now → resolved (once: a resolved finding
      is not active, so the next run does not report it again).
    `previous` holds the stored findings by key (any state).
    """
    out: list[Finding] = []
    seen: set[str] = set()
    for finding in current:
        if finding.key in seen:
            continue
        seen.add(finding.key)
        before = previous.get(finding.key)
        was_active = before is not None and before.state in ACTIVE_STATES
        first_seen = before.first_seen if was_active and before is not None else now
        ack = acknowledgements.get(finding.key)
        state: FindingState
        if ack is not None and ack.valid_at(now):
            state = "acknowledged"
        elif was_active and before is not None and before.state == "acknowledged":
            state = "new"  # the acknowledgement ran out: announce it again
        else:
            state = "ongoing" if was_active else "new"
        out.append(
            replace(
                finding,
                state=state,
                first_seen=first_seen,
                last_seen=now,
                acknowledged_by=ack.actor if state == "acknowledged" and ack else None,
                acknowledged_reason=ack.reason if state == "acknowledged" and ack else None,
                acknowledged_until=ack.until if state == "acknowledged" and ack else None,
            )
        )
    for key, before in sorted(previous.items()):
        if key in seen or before.state not in ACTIVE_STATES or not scope.covers(before):
            continue
        out.append(replace(before, state="resolved"))
    return tuple(out)


def changed(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """What a notification speaks of: findings new or resolved in this run."""
    return tuple(f for f in findings if f.state in ("new", "resolved"))


def with_active_counts(stacks: Iterable[StackDrift], findings: Sequence[Finding]) -> tuple[StackDrift, ...]:
    """Per-stack summaries counting active findings only (not resolved, not acknowledged)."""
    active: dict[str, int] = {}
    for f in findings:
        if f.stack is not None and f.state in ("new", "ongoing"):
            active[f.stack] = active.get(f.stack, 0) + 1
    out = []
    for s in stacks:
        count = active.get(s.stack, 0)
        status = s.status
        if status == "drifted" and count == 0:
            status = "clean"  # everything it found is acknowledged
        out.append(replace(s, findings=count, status=status))
    return tuple(out)


_KIND_ORDER = {"error": 0, "deleted": 1, "drifted": 2, "unmanaged": 3}
_STATE_ORDER = {"new": 0, "ongoing": 1, "acknowledged": 2, "resolved": 3}


def in_report_order(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """The order of `DriftReport.findings`: by environment, the stacks' before unmanaged ones."""
    return tuple(
        sorted(
            findings,
            key=lambda f: (f.environment, f.stack or "~", _KIND_ORDER[f.kind], _STATE_ORDER[f.state], f.key),
        )
    )
