"""The server's persistent job queue, delivery de-duplication, scheduler and poll state.

Tables of their own in the run store's database (added to `schema.metadata`, created by
`ensure_schema`). Every query goes through `SqlStore.transaction`, which brings SQLite's
write lock (BEGIN IMMEDIATE) and the store's clear connection errors.

How the queue keeps its promises:
- A job row (and its delivery row) is committed before the receiver answers 202.
- A delivery id is a primary key: a replayed delivery inserts nothing (ON CONFLICT DO NOTHING).
- Claiming: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED`, so several servers sharing
  the database never claim the same row; on SQLite the claim runs inside BEGIN IMMEDIATE
  (one writer at a time) and the UPDATE only matches a row still `queued`.
- Jobs with the same `key` (a PR, a branch) never run at once: only the oldest queued job of
  a key is eligible, none while another of its key runs, and a partial unique index on
  (key) WHERE status = 'running' makes the database refuse a second one whatever happens.
- A claimed job carries a lease the worker renews; a job whose worker died (its process is
  gone, or its lease lapsed) goes back to the queue, at most `max_attempts` times.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from orchestrator import fsutil
from orchestrator.store import schema
from orchestrator.store.database import Transactional
from orchestrator.store.job_model import (
    JOB_STATUSES,
    Enqueued,
    FinalStatus,
    Job,
    JobKind,
    JobSpec,
    JobStatus,
    WorkerId,
    job_from_row,
)
from orchestrator.store.schema import UtcDateTime, metadata

DEFAULT_MAX_ATTEMPTS = 3

server_jobs = sa.Table(
    "server_jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # also the queue order
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),  # jobs of one key never run at once
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),  # github, gitlab, poll, schedule, manual
    sa.Column("delivery", sa.String(300)),
    sa.Column("commit", sa.String(64)),
    sa.Column("payload", schema._json(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("lease_expires_at", UtcDateTime()),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("worker", sa.String(255)),
    sa.Column("worker_host", sa.String(255)),
    sa.Column("worker_pid", sa.Integer),
    sa.Column("superseded_by", sa.Integer),
    sa.Column("result", schema._json()),
    sa.Column("error", sa.Text),
    sa.Index("ix_server_jobs_status_id", "status", "id"),
    sa.Index("ix_server_jobs_key_status", "key", "status"),
    sa.Index("ix_server_jobs_delivery", "delivery"),
)
# The database's own guarantee that one key never has two running jobs.
sa.Index(
    "ux_server_jobs_running_key",
    server_jobs.c.key,
    unique=True,
    sqlite_where=server_jobs.c.status == "running",
    postgresql_where=server_jobs.c.status == "running",
)

server_deliveries = sa.Table(
    "server_deliveries",
    metadata,
    sa.Column("id", sa.String(300), primary_key=True),  # "<source>:<delivery id>"
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)

server_schedule = sa.Table(
    "server_schedule",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),  # e.g. drift:prod
    sa.Column("last_slot", UtcDateTime(), nullable=False),  # the cron slot last acted on
)

server_poll_heads = sa.Table(
    "server_poll_heads",
    metadata,
    sa.Column("branch", sa.String(255), primary_key=True),
    sa.Column("commit", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
)


class JobQueue:
    """The queue and the server's other small state, in the run store's database."""

    def __init__(self, store: Transactional, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        self._store = store
        self.max_attempts = max_attempts
        store.ensure_schema()  # our tables are in `metadata` now that this module is imported
        self._statements = _Statements(store.insert)

    @property
    def backend(self) -> str:
        return self._store.backend

    # ------------------------------------------------------------------ queueing
    def enqueue(
        self, specs: Sequence[JobSpec], *, source: str, delivery: str | None = None, event: str = ""
    ) -> Enqueued:
        """Queue `specs` in one transaction; a delivery id seen before queues nothing."""
        with self._store.transaction(write=True) as conn:
            now = self._store.now(conn)
            if delivery is not None and not self._record_delivery(conn, delivery, event, now):
                known = conn.execute(
                    sa.select(server_jobs.c.id).where(server_jobs.c.delivery == delivery).order_by(server_jobs.c.id)
                ).scalars()
                return Enqueued(duplicate=True, job_ids=tuple(int(i) for i in known))
            ids: list[int] = []
            superseded: list[int] = []
            for spec in specs:
                job_id = self._insert_job(conn, spec, source, delivery, now)
                ids.append(job_id)
                if spec.supersede:
                    superseded.extend(self._supersede(conn, spec.key, job_id, now))
        return Enqueued(duplicate=False, job_ids=tuple(ids), superseded=tuple(superseded))

    def _record_delivery(self, conn: Connection, delivery: str, event: str, now: datetime) -> bool:
        params = {"d_id": delivery, "d_event": event[:64], "d_at": now}
        return conn.execute(self._statements.insert_delivery, params).first() is not None

    def _insert_job(self, conn: Connection, spec: JobSpec, source: str, delivery: str | None, now: datetime) -> int:
        params = {"j_kind": spec.kind, "j_key": spec.key, "j_source": source, "j_delivery": delivery,
                  "j_commit": spec.commit, "j_payload": dict(spec.payload), "j_created": now}
        return int(conn.execute(self._statements.insert_job, params).scalar_one())

    def _supersede(self, conn: Connection, key: str, newer: int, now: datetime) -> list[int]:
        """Queued previews of `key` older than `newer` will never run: a newer commit replaced them."""
        statement = (
            sa.update(server_jobs)
            .where(
                server_jobs.c.key == key,
                server_jobs.c.kind == "preview",
                server_jobs.c.status == "queued",
                server_jobs.c.id < newer,
            )
            .values(status="superseded", superseded_by=newer, finished_at=now)
            .returning(server_jobs.c.id)
        )
        return sorted(int(i) for i in conn.execute(statement).scalars())

    def delivery_seen(self, delivery: str) -> bool:
        with self._store.transaction(write=False) as conn:
            found = conn.execute(sa.select(server_deliveries.c.id).where(server_deliveries.c.id == delivery)).first()
        return found is not None

    # ------------------------------------------------------------------ claiming and finishing
    def claim(self, worker: WorkerId, *, lease_s: float) -> Job | None:
        """The oldest eligible queued job, now running under `worker`'s lease; None when there is none."""
        try:
            with self._store.transaction(write=True) as conn:
                job_id = conn.execute(self._candidate()).scalar()
                if job_id is None:
                    return None
                now = self._store.now(conn)
                row = (
                    conn.execute(
                        sa.update(server_jobs)
                        .where(server_jobs.c.id == job_id, server_jobs.c.status == "queued")
                        .values(
                            status="running",
                            started_at=now,
                            finished_at=None,
                            lease_expires_at=now + timedelta(seconds=lease_s),
                            attempts=server_jobs.c.attempts + 1,
                            worker=worker.name,
                            worker_host=worker.host,
                            worker_pid=worker.pid,
                        )
                        .returning(*server_jobs.c)
                    )
                    .mappings()
                    .first()
                )
        except sa.exc.IntegrityError:
            # Another server started a job of the same key between our look and our claim:
            # the unique index refused ours. Nothing was claimed; the caller tries again later.
            return None
        return None if row is None else job_from_row(row)

    def _candidate(self) -> Any:
        j = server_jobs.alias("j")
        other = server_jobs.alias("other")
        running_same_key = sa.exists().where(other.c.key == j.c.key, other.c.status == "running")
        older_same_key = sa.exists().where(other.c.key == j.c.key, other.c.status == "queued", other.c.id < j.c.id)
        query = (
            sa.select(j.c.id)
            .where(j.c.status == "queued", ~running_same_key, ~older_same_key)
            .order_by(j.c.id)
            .limit(1)
        )
        if self.backend == "postgresql":
            # Rows another server is claiming right now are skipped, not waited for.
            query = query.with_for_update(skip_locked=True, of=j)
        return query

    def heartbeat(self, worker_names: Iterable[str], job_ids: Iterable[int], *, lease_s: float) -> int:
        """Renew the leases of running jobs still held by these workers; how many were renewed."""
        ids, names = list(job_ids), list(worker_names)
        if not ids:
            return 0
        with self._store.transaction(write=True) as conn:
            now = self._store.now(conn)
            return int(
                conn.execute(
                    sa.update(server_jobs)
                    .where(
                        server_jobs.c.id.in_(ids),
                        server_jobs.c.worker.in_(names),
                        server_jobs.c.status == "running",
                    )
                    .values(lease_expires_at=now + timedelta(seconds=lease_s))
                ).rowcount
            )

    def finish(
        self,
        job_id: int,
        worker: WorkerId,
        status: FinalStatus,
        *,
        result: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> bool:
        """Record the outcome; False when the job is no longer ours (its lease lapsed and it was requeued)."""
        with self._store.transaction(write=True) as conn:
            now = self._store.now(conn)
            updated = conn.execute(
                sa.update(server_jobs)
                .where(server_jobs.c.id == job_id, server_jobs.c.worker == worker.name,
                       server_jobs.c.status == "running")
                .values(status=status, finished_at=now, lease_expires_at=None,
                        result=None if result is None else dict(result), error=error)
            ).rowcount
        return bool(updated)

    def requeue_abandoned(self, *, pid_alive: Callable[[int], bool] | None = None) -> list[int]:
        """Put back running jobs whose worker died: its process on this host is gone, or its lease
        lapsed (another host). A job that has already been tried `max_attempts` times fails instead."""
        alive = pid_alive or fsutil.pid_alive
        host = socket.gethostname()
        with self._store.transaction(write=True) as conn:
            now = self._store.now(conn)
            rows = list(conn.execute(
                sa.select(server_jobs.c.id, server_jobs.c.worker_host, server_jobs.c.worker_pid,
                          server_jobs.c.lease_expires_at, server_jobs.c.attempts)
                .where(server_jobs.c.status == "running")
            ).mappings())
            dead = [
                r for r in rows
                if (r["worker_host"] == host and r["worker_pid"] is not None and not alive(r["worker_pid"]))
                or (r["lease_expires_at"] is not None and r["lease_expires_at"] < now)
            ]
            requeued = [int(r["id"]) for r in dead if r["attempts"] < self.max_attempts]
            exhausted = [int(r["id"]) for r in dead if r["attempts"] >= self.max_attempts]
            if requeued:
                conn.execute(
                    sa.update(server_jobs)
                    .where(server_jobs.c.id.in_(requeued), server_jobs.c.status == "running")
                    .values(status="queued", worker=None, worker_host=None, worker_pid=None,
                            lease_expires_at=None, started_at=None)
                )
            if exhausted:
                conn.execute(
                    sa.update(server_jobs)
                    .where(server_jobs.c.id.in_(exhausted), server_jobs.c.status == "running")
                    .values(status="failed", finished_at=now, lease_expires_at=None,
                            error=f"its worker died {self.max_attempts} times while running it; not retried again")
                )
        return requeued

    # ------------------------------------------------------------------ reading
    def get(self, job_id: int) -> Job | None:
        with self._store.transaction(write=False) as conn:
            row = conn.execute(sa.select(server_jobs).where(server_jobs.c.id == job_id)).mappings().first()
        return None if row is None else job_from_row(row)

    def jobs(self, *, status: JobStatus | None = None, kind: JobKind | None = None, limit: int = 100) -> list[Job]:
        """Newest first."""
        query = sa.select(server_jobs).order_by(server_jobs.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(server_jobs.c.status == status)
        if kind is not None:
            query = query.where(server_jobs.c.kind == kind)
        with self._store.transaction(write=False) as conn:
            return [job_from_row(row) for row in conn.execute(query).mappings()]

    def counts(self) -> dict[str, int]:
        """Jobs by status (every status present, zero included)."""
        query = sa.select(server_jobs.c.status, sa.func.count()).group_by(server_jobs.c.status)
        with self._store.transaction(write=False) as conn:
            found = {str(status): int(n) for status, n in conn.execute(query)}
        return {status: found.get(status, 0) for status in JOB_STATUSES}

    # ------------------------------------------------------------------ scheduler state
    def last_slot(self, name: str) -> datetime | None:
        with self._store.transaction(write=False) as conn:
            value = conn.execute(
                sa.select(server_schedule.c.last_slot).where(server_schedule.c.name == name)
            ).scalar()
        return cast("datetime | None", value)

    def schedule_slot(self, name: str, slot: datetime, job: JobSpec) -> int | None:
        """Queue `job` for the cron slot `slot` of `name` unless that slot (or a later one) was
        acted on already, by this server or another; the job id, or None."""
        with self._store.transaction(write=True) as conn:
            if self.backend == "postgresql":
                # Serialize servers deciding the same schedule; released at commit.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"schedule:{name}"})
            last = conn.execute(
                sa.select(server_schedule.c.last_slot).where(server_schedule.c.name == name)
            ).scalar()
            if last is not None and last >= slot:
                return None
            upsert = self._store.insert(server_schedule).values(name=name, last_slot=slot)
            conn.execute(upsert.on_conflict_do_update(index_elements=[server_schedule.c.name],
                                                      set_={"last_slot": slot}))
            return self._insert_job(conn, job, "schedule", None, self._store.now(conn))

    # ------------------------------------------------------------------ poll state
    def poll_heads(self) -> dict[str, str]:
        with self._store.transaction(write=False) as conn:
            return {row.branch: row.commit for row in conn.execute(sa.select(server_poll_heads))}

    def set_poll_head(self, branch: str, commit: str) -> None:
        with self._store.transaction(write=True) as conn:
            now = self._store.now(conn)
            upsert = self._store.insert(server_poll_heads).values(branch=branch, commit=commit, at=now)
            conn.execute(upsert.on_conflict_do_update(index_elements=[server_poll_heads.c.branch],
                                                      set_={"commit": commit, "at": now}))


class _Statements:
    """The receiver's statements, built once: building SQLAlchemy constructs per delivery cost
    more than running them (the webhook benchmark's budget is a few milliseconds per delivery)."""

    def __init__(self, insert: Callable[[sa.Table], Any]) -> None:
        self.insert_delivery = (
            insert(server_deliveries)
            .values(id=sa.bindparam("d_id"), event=sa.bindparam("d_event"), received_at=sa.bindparam("d_at"))
            .on_conflict_do_nothing(index_elements=[server_deliveries.c.id])
            .returning(server_deliveries.c.id)
        )
        self.insert_job = (
            sa.insert(server_jobs)
            .values(kind=sa.bindparam("j_kind"), key=sa.bindparam("j_key"), status="queued",
                    source=sa.bindparam("j_source"), delivery=sa.bindparam("j_delivery"),
                    commit=sa.bindparam("j_commit"), payload=sa.bindparam("j_payload"),
                    created_at=sa.bindparam("j_created"), attempts=0)
            .returning(server_jobs.c.id)
        )
