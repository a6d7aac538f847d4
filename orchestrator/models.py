"""Frozen values shared by every layer. Imports nothing else from the package."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

Operation = Literal["preview", "update", "destroy", "drift"]
EngineName = Literal["local", "pulumi"]
ChangeKind = Literal["added", "modified", "deleted", "renamed"]


@dataclass(frozen=True)
class AwsSettings:
    """Cloud settings of an environment. `endpoint` may be `sandbox` (the embedded AWS)."""

    region: str = "us-east-1"
    endpoint: str | None = None
    role_arn: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class PolicyPackRef:
    """A Pulumi policy pack one stack runs (the CLI's `--policy-pack` and `--policy-pack-config`).

    `path` is the pack's directory as the configuration names it (relative to the repository
    root, for messages); `directory` is where it is checked out for this run; `config` is the
    per-policy configuration as Pulumi's policy config file holds it; `source` names the file
    and key that added the pack.
    """

    path: str
    directory: Path
    config: dict[str, Any] = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True)
class UpdateOrigin:
    """Why an update runs: the commit it applies, the flow (deploy, rollback, promote, reconcile,
    remediate) and the run. Engines record it with the update in the stack's own backend, so
    what a stack runs is known from the backend alone (see engines/applied.py)."""

    commit: str
    flow: str
    run_id: str | None = None


@dataclass(frozen=True)
class PreviewedOutputs:
    """An upstream stack's outputs as the same plan's preview left them (see orchestrator.chain):
    what a dependent's preview reads through its StackReference instead of the deployed ones."""

    project: str  # the upstream's Pulumi project name
    stack: str  # its stack name
    values: dict[str, Any]  # outputs the preview knows
    unknown: tuple[str, ...] = ()  # outputs known only after apply
    secret: tuple[str, ...] = ()  # secret outputs: never passed on, read as deployed (unknown if never deployed)


# The config key holding a stack's StackReference targets (project → stack name), for programs
# run by the Pulumi CLI, which answers StackReferences itself: `pulumi.Config("orchestrator")
# .get_object("stack_references")`. Set on review stacks (flows/review.py).
STACK_REFERENCES_KEY = "orchestrator:stack_references"


@dataclass(frozen=True)
class StackSpec:
    """Everything an engine needs to run one project in one environment.

    `directory` is the project directory inside a checkout of the commit being run.
    `config` is the environment's `config`; engines merge it under `Pulumi.<stack>.yaml`.
    `backend` is an absolute backend URL (`file:///abs/dir`, `s3://...`, `https://...`).
    `repo_root` is the repository whose `.orchestrator/` holds runtime files (sandbox port, etc.).
    `policy_packs` run on every preview and update of the stack, in this order.
    `origin` is set for updates and destroys that apply a commit; engines record it in the backend.
    """

    project: str
    environment: str
    stack_name: str
    directory: Path
    backend: str
    engine: EngineName = "local"
    config: dict[str, Any] = field(default_factory=dict)
    aws: AwsSettings = field(default_factory=AwsSettings)
    secrets_provider: str | None = None
    repo_root: Path | None = None
    policy_packs: tuple[PolicyPackRef, ...] = ()
    origin: UpdateOrigin | None = None
    previewed: tuple[PreviewedOutputs, ...] = ()  # upstreams read from this plan's preview (local engine)
    # StackReferences read from another stack: `<project>/<stack>` as the program names it (org
    # dropped) → the stack read instead. Review stacks read an upstream's review stack, or the
    # environment's own stack when the upstream has none (local engine; see STACK_REFERENCES_KEY).
    redirects: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.project}/{self.environment}"


@dataclass(frozen=True)
class FileChange:
    """One entry of a change set. For renames `old_path` is the path before."""

    path: str
    kind: ChangeKind
    old_path: str | None = None

    def paths(self) -> tuple[str, ...]:
        return (self.path,) if self.old_path is None else (self.old_path, self.path)


@dataclass(frozen=True)
class PlannedStack:
    project: str
    environment: str
    stack: str
    directory: str
    operation: Operation
    wave: int
    depends_on: tuple[str, ...]
    reasons: tuple[str, ...]
    refusal: str | None = None  # why it must not run: it fails without running (a deleted project still read)
    base: str | None = None  # a destroy: the commit whose code and settings it runs (default: the plan's base)

    @property
    def id(self) -> str:
        return f"{self.project}/{self.environment}"


@dataclass(frozen=True)
class UpToDate:
    """A stack a deploy leaves alone: it already runs `commit` (the head, a descendant of it, or
    an older commit no change since affects), said in the output and the PR comment."""

    project: str
    environment: str
    commit: str
    reason: str

    @property
    def id(self) -> str:
        return f"{self.project}/{self.environment}"

    def to_json(self) -> dict[str, str]:
        return {"stack": self.id, "commit": self.commit, "reason": self.reason}


@dataclass(frozen=True)
class GitDrift:
    """A stack whose applied commit is behind its branch's tip with changes that affect it (a run
    that failed or never happened, a gate still closed, a rollback): what `reconcile` deploys."""

    stack: str
    environment: str
    operation: str  # update, or destroy for a project deleted since
    applied: str | None  # None: never deployed, or its commit is unknown
    flow: str | None  # how it got to `applied` (deploy, rollback, ...)
    standing: str  # behind, off-branch, never, unknown, deleted, ... (see converge.Standing)
    commits_behind: int | None  # commits on the branch since `applied`
    reasons: tuple[str, ...]
    branch: str = ""
    head: str = ""  # the branch's tip

    @property
    def rolled_back(self) -> bool:
        return self.flow == "rollback"

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "environment": self.environment,
            "operation": self.operation,
            "applied": self.applied,
            "flow": self.flow,
            "standing": self.standing,
            "commits_behind": self.commits_behind,
            "rolled_back": self.rolled_back,
            "reasons": list(self.reasons),
            "branch": self.branch,
            "head": self.head,
        }


@dataclass(frozen=True)
class Plan:
    base: str
    head: str
    branch: str
    event: Literal["pr", "push"]
    environments: tuple[str, ...]
    changed_files: tuple[str, ...]
    stacks: tuple[PlannedStack, ...]
    notes: tuple[str, ...] = ()
    current: tuple[UpToDate, ...] = ()  # level-triggered deploys: the stacks already where they should be

    @property
    def waves(self) -> tuple[tuple[str, ...], ...]:
        if not self.stacks:
            return ()
        grouped: dict[int, list[str]] = {}
        for stack in self.stacks:
            grouped.setdefault(stack.wave, []).append(stack.id)
        return tuple(tuple(grouped.get(w, ())) for w in range(max(grouped) + 1))

    def select(self, stack_ids: tuple[str, ...] | list[str]) -> Plan:
        """Only the given stacks (a CI matrix job); dependencies on the others are dropped."""
        wanted = set(stack_ids)
        kept = [s for s in self.stacks if s.id in wanted]
        first = min((s.wave for s in kept), default=0)
        return replace(
            self,
            stacks=tuple(
                replace(s, wave=s.wave - first, depends_on=tuple(d for d in s.depends_on if d in wanted)) for s in kept
            ),
        )

    def only(self, environment: str) -> Plan:
        """The stacks of one environment, waves renumbered from 0."""
        mine = [s for s in self.stacks if s.environment == environment]
        first = min((s.wave for s in mine), default=0)
        return replace(
            self,
            environments=(environment,),
            stacks=tuple(replace(s, wave=s.wave - first) for s in mine),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "branch": self.branch,
            "event": self.event,
            "environments": list(self.environments),
            "changed_files": list(self.changed_files),
            "stacks": [
                {
                    "id": s.id,
                    "project": s.project,
                    "environment": s.environment,
                    "stack": s.stack,
                    "directory": s.directory,
                    "operation": s.operation,
                    "wave": s.wave,
                    "depends_on": list(s.depends_on),
                    "reasons": list(s.reasons),
                    "refusal": s.refusal,
                }
                for s in self.stacks
            ],
            "waves": [list(w) for w in self.waves],
            "notes": list(self.notes),
            "current": [c.to_json() for c in self.current],
        }

    def to_matrix(self) -> dict[str, Any]:
        return {
            "include": [
                {"stack": s.id, "project": s.project, "environment": s.environment, "wave": s.wave}
                for s in self.stacks
            ]
        }
