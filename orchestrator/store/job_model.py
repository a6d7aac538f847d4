"""The values of the server's job queue: what is queued, a job as it runs, who claims it."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy.engine import RowMapping

JobKind = Literal["preview", "deploy", "drift", "unlock", "comment", "review"]
JobStatus = Literal["queued", "running", "succeeded", "failed", "skipped", "superseded"]
FinalStatus = Literal["succeeded", "failed", "skipped"]
JOB_STATUSES: tuple[JobStatus, ...] = ("queued", "running", "succeeded", "failed", "skipped", "superseded")


@dataclass(frozen=True)
class JobSpec:
    """A job to queue."""

    kind: JobKind
    key: str
    payload: dict[str, Any]
    commit: str | None = None
    supersede: bool = False  # queued previews of the same key give way to this job


@dataclass(frozen=True)
class Enqueued:
    duplicate: bool  # the delivery was seen before: nothing was queued
    job_ids: tuple[int, ...]
    superseded: tuple[int, ...] = ()


@dataclass(frozen=True)
class Job:
    id: int
    kind: JobKind
    key: str
    status: JobStatus
    source: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int = 0
    delivery: str | None = None
    commit: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    lease_expires_at: datetime | None = None
    worker: str | None = None
    superseded_by: int | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "key": self.key,
            "status": self.status,
            "source": self.source,
            "delivery": self.delivery,
            "commit": self.commit,
            "payload": self.payload,
            "created_at": self.created_at.isoformat(),
            "started_at": None if self.started_at is None else self.started_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
            "attempts": self.attempts,
            "worker": self.worker,
            "superseded_by": self.superseded_by,
            "result": self.result,
            "error": self.error,
        }


@dataclass(frozen=True)
class WorkerId:
    """Who claims a job: a name unique across servers, and where its process runs."""

    name: str
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    @classmethod
    def for_thread(cls, index: int) -> WorkerId:
        host, pid = socket.gethostname(), os.getpid()
        return cls(name=f"{host}:{pid}:w{index}", host=host, pid=pid)


def job_from_row(row: RowMapping) -> Job:
    return Job(
        id=int(row["id"]),
        kind=cast(JobKind, row["kind"]),
        key=row["key"],
        status=cast(JobStatus, row["status"]),
        source=row["source"],
        payload=dict(row["payload"] or {}),
        created_at=row["created_at"],
        attempts=int(row["attempts"] or 0),
        delivery=row["delivery"],
        commit=row["commit"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        lease_expires_at=row["lease_expires_at"],
        worker=row["worker"],
        superseded_by=row["superseded_by"],
        result=None if row["result"] is None else dict(row["result"]),
        error=row["error"],
    )
