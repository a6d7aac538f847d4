"""What the parent asks the child process to do (`Job`) and what it answers (`JobResult`).

Both cross the process boundary as JSON: the job in a file named on the child's command
line, the result in the file the job names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

from orchestrator.engines.base import Diagnostic, OpCounts, PolicyViolation, PropertyDiff, ResourceChange
from orchestrator.models import AwsSettings, PolicyPackRef
from orchestrator.policy.launch import Launched

Operation = Literal["preview", "update", "destroy", "destroy-preview", "drift", "refresh", "repair"]
JobStatus = Literal["succeeded", "failed"]
OPERATIONS: tuple[Operation, ...] = get_args(Operation)


@dataclass(frozen=True)
class Job:
    operation: Operation
    project_dir: Path
    program: Path
    project: str  # the Pulumi project name (Pulumi.yaml `name`)
    orchestrator_project: str
    environment: str
    stack: str
    backend_dir: Path
    env_config: dict[str, Any]
    aws: AwsSettings
    repo_root: Path | None
    allow_pending: bool
    parallel: int
    result_path: Path
    policy_packs: tuple[PolicyPackRef, ...] = ()
    # Upstreams previewed in the same plan (chained previews, orchestrator.chain):
    # (project, stack) -> (known outputs, outputs known after apply, secret outputs: read as deployed)
    previewed: dict[tuple[str, str], tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=dict
    )
    policy_packs_started: tuple[Launched, ...] = ()  # by the parent, for an update's preview and apply
    # StackReferences read elsewhere: `<project>/<stack>` → the stack read instead (review stacks)
    redirects: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Job:
        operation = raw["operation"]
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)}")
        packs = tuple(
            PolicyPackRef(path=p["path"], directory=Path(p["directory"]), config=dict(p.get("config") or {}),
                          source=p.get("source", ""))
            for p in raw.get("policy_packs") or ()
        )
        by_path = {p.path: p for p in packs}
        return cls(
            operation=cast(Operation, operation),
            project_dir=Path(raw["project_dir"]),
            program=Path(raw["program"]),
            project=raw["project"],
            orchestrator_project=raw.get("orchestrator_project", raw["project"]),
            environment=raw.get("environment", raw["stack"]),
            stack=raw["stack"],
            backend_dir=Path(raw["backend_dir"]),
            env_config=dict(raw.get("env_config") or {}),
            aws=AwsSettings(**(raw.get("aws") or {})),
            repo_root=Path(raw["repo_root"]) if raw.get("repo_root") else None,
            allow_pending=bool(raw.get("allow_pending", False)),
            parallel=int(raw.get("parallel", 8)),
            result_path=Path(raw["result_path"]),
            policy_packs=packs,
            policy_packs_started=tuple(
                Launched.from_json(by_path[s["path"]], s) for s in raw.get("policy_packs_started") or ()
            ),
            previewed={
                (p["project"], p["stack"]): (
                    dict(p.get("values") or {}),
                    tuple(p.get("unknown") or ()),
                    tuple(p.get("secret") or ()),
                )
                for p in raw.get("previewed") or ()
            },
            redirects={str(k): str(v) for k, v in (raw.get("redirects") or {}).items()},
        )

    @property
    def label(self) -> str:
        return f"{self.orchestrator_project}/{self.environment}"

    @property
    def stack_name(self) -> str:
        """The fully qualified stack name recorded in the checkpoint."""
        return f"organization/{self.project}/{self.stack}"


@dataclass(frozen=True)
class JobResult:
    """The child's answer. `counts` is None when the operation counts nothing (repair) or
    never got that far; `needs_apply` tells the parent whether an update after this preview
    would change anything (steps, state-only changes, pending operations to clear)."""

    status: JobStatus
    operation: Operation
    counts: OpCounts | None = None
    changes: tuple[ResourceChange, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    needs_apply: bool = True
    writes: int = 0
    pending: tuple[str, ...] = ()
    repaired: tuple[str, ...] = ()
    policy_violations: tuple[PolicyViolation, ...] = ()
    policy_blocked: bool = False  # a mandatory policy violation: an update must not apply anything
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "operation": self.operation,
            "counts": self.counts.to_json() if self.counts is not None else None,
            "changes": [c.to_json() for c in self.changes],
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "outputs": self.outputs,
            "error": self.error,
            "needs_apply": self.needs_apply,
            "writes": self.writes,
            "pending": list(self.pending),
            "repaired": list(self.repaired),
            "policy_violations": [v.to_json() for v in self.policy_violations],
            "policy_blocked": self.policy_blocked,
            "duration_s": self.duration_s,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> JobResult:
        counts = raw.get("counts")
        return cls(
            status="succeeded" if raw.get("status") == "succeeded" else "failed",
            operation=raw["operation"],
            counts=OpCounts(**counts) if isinstance(counts, dict) else None,
            changes=tuple(_change_from_json(c) for c in raw.get("changes") or ()),
            diagnostics=tuple(
                Diagnostic(d["severity"], d["message"], d.get("urn")) for d in raw.get("diagnostics") or ()
            ),
            outputs=dict(raw.get("outputs") or {}),
            error=raw.get("error"),
            needs_apply=bool(raw.get("needs_apply", True)),
            writes=int(raw.get("writes") or 0),
            pending=tuple(raw.get("pending") or ()),
            repaired=tuple(raw.get("repaired") or ()),
            policy_violations=tuple(
                PolicyViolation(p["policy_pack"], p["policy"], p["enforcement"], p["message"], p.get("urn"))
                for p in raw.get("policy_violations") or ()
            ),
            policy_blocked=bool(raw.get("policy_blocked", False)),
            duration_s=float(raw.get("duration_s") or 0.0),
        )

    @classmethod
    def failed(cls, operation: Operation, error: str, **fields: Any) -> JobResult:
        return cls(status="failed", operation=operation, error=error, **fields)


def _change_from_json(raw: dict[str, Any]) -> ResourceChange:
    return ResourceChange(
        urn=raw["urn"],
        type=raw["type"],
        name=raw["name"],
        op=raw["op"],
        diffs=tuple(PropertyDiff(d["path"], d["kind"], d.get("old"), d.get("new")) for d in raw.get("diffs", ())),
    )
