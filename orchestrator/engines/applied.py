"""The commit a stack last applied, kept with the stack in its engine's backend.

Every update and destroy the orchestrator runs carries an `UpdateOrigin`; the engine records
it in the backend's own update history, the way Pulumi does: the update's message is
`orchestrator <flow> <commit> run <run id>` (the CLI's `--message`), and the local engine
writes the same entries as Pulumi's DIY backend (`.pulumi/history/<project>/<stack>/`).
Reading the newest succeeded entry back tells what a stack runs, with no database: a fresh CI
job knows it as well as the server does. The run store keeps a copy for history and the
dashboard, and is consulted only for stacks whose backend holds no such record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from orchestrator.models import StackSpec, UpdateOrigin

_MESSAGE = re.compile(r"^orchestrator (?P<flow>[a-z-]+) (?P<commit>[0-9a-f]{40})(?: run (?P<run>\S+))?")
_SHA = re.compile(r"^[0-9a-f]{40}$")
# Metadata the Pulumi CLI records with every update (pulumi/pulumi sdk/go/common/apitype/updates.go).
GIT_HEAD = "git.head"
GIT_DIRTY = "git.dirty"
APPLYING_KINDS = ("update", "destroy")

Recorder = Literal["orchestrator", "git.head"]


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of a stack's update history, as `pulumi stack history --json` lists it."""

    kind: str  # update | destroy | refresh | preview | ...
    result: str  # succeeded | failed | in-progress
    message: str = ""
    environment: Mapping[str, str] = field(default_factory=dict)
    ended_at: datetime | None = None


@dataclass(frozen=True)
class AppliedCommit:
    """What a stack runs: the commit of its newest succeeded update (or destroy)."""

    commit: str
    flow: str  # deploy, rollback, promote, reconcile, remediate; `manual` when only git.head names it
    operation: Literal["update", "destroy"]
    run_id: str | None = None
    at: datetime | None = None
    recorded_by: Recorder = "orchestrator"

    @property
    def destroyed(self) -> bool:
        return self.operation == "destroy"

    def to_json(self) -> dict[str, object]:
        return {
            "commit": self.commit,
            "flow": self.flow,
            "operation": self.operation,
            "run_id": self.run_id,
            "at": None if self.at is None else self.at.isoformat(),
            "recorded_by": self.recorded_by,
        }


@runtime_checkable
class RecordsApplied(Protocol):
    """An engine that records `StackSpec.origin` with each update and reads it back."""

    def applied(self, stack: StackSpec) -> AppliedCommit | None:
        """The stack's applied commit from its backend; None when the backend records none."""
        ...


def update_message(origin: UpdateOrigin) -> str:
    run = f" run {origin.run_id}" if origin.run_id else ""
    return f"orchestrator {origin.flow} {origin.commit}{run}"


def update_environment(origin: UpdateOrigin) -> dict[str, str]:
    """The metadata the local engine records beside the message (the keys Pulumi's CLI uses)."""
    return {GIT_HEAD: origin.commit, GIT_DIRTY: "false", "exec.kind": "orchestrator.local"}


def applied_from_history(entries: Iterable[HistoryEntry]) -> AppliedCommit | None:
    """The applied commit from a history listed newest first.

    The newest succeeded update or destroy decides: failed and interrupted ones changed the
    stack only partly (the next run plans from the last success again), refreshes and previews
    apply no code. Its commit comes from the orchestrator's message, else from the CLI's own
    `git.head` metadata of a clean checkout; an update that names neither (run by hand from a
    modified checkout) leaves the commit unknown: None.
    """
    for entry in entries:
        if entry.kind not in APPLYING_KINDS or entry.result != "succeeded":
            continue
        operation: Literal["update", "destroy"] = "destroy" if entry.kind == "destroy" else "update"
        found = _MESSAGE.match(entry.message.strip())
        if found:
            return AppliedCommit(
                commit=found["commit"], flow=found["flow"], operation=operation, run_id=found["run"],
                at=entry.ended_at,
            )
        head = entry.environment.get(GIT_HEAD, "")
        if _SHA.match(head) and entry.environment.get(GIT_DIRTY) == "false":
            return AppliedCommit(commit=head, flow="manual", operation=operation, at=entry.ended_at,
                                 recorded_by="git.head")
        return None
    return None
