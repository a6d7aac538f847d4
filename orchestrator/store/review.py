"""Review environments in the store: one row per (environment, pull request), one per review stack.

What `orchestrator review list`, the dashboard, the TTL sweep and `max_active` read. Tables of
their own in the store's `metadata` (created by `ensure_schema`, which never alters existing
tables); queries through `transaction`, which brings SQLite's write lock and the store's clear
connection errors. Outputs are stored redacted, as the flows hand them over.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from orchestrator.store import schema
from orchestrator.store.database import Transactional
from orchestrator.store.schema import UtcDateTime, metadata

# deploying/destroying: a run is at it; up: deployed; failed: the last `up` failed (resources may
# exist); destroy_failed: a `down` failed and the sweep retries it; destroyed: nothing is left.
ReviewStatus = Literal["deploying", "up", "failed", "destroying", "destroy_failed", "destroyed"]
LIVE: tuple[ReviewStatus, ...] = ("deploying", "up", "failed", "destroying", "destroy_failed")

review_environments = sa.Table(
    "review_environments",
    metadata,
    sa.Column("environment", sa.String(255), primary_key=True),
    sa.Column("pr", sa.Integer, primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("head", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_push_at", UtcDateTime(), nullable=False),  # the TTL counts from here
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("destroy_attempts", sa.Integer, nullable=False),
    sa.Column("deployments", schema._json(), nullable=False),  # VCS deployment ids, oldest first
    sa.Column("title", sa.Text),
    sa.Column("branch", sa.String(255)),  # the pull request's base branch: its tip's configuration is trusted
    sa.Index("ix_review_environments_status", "status"),
)

review_stacks = sa.Table(
    "review_stacks",
    metadata,
    sa.Column("environment", sa.String(255), primary_key=True),
    sa.Column("pr", sa.Integer, primary_key=True),
    sa.Column("project", sa.String(255), primary_key=True),
    sa.Column("stack_name", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("head", sa.String(64), nullable=False),
    sa.Column("outputs", schema._json(), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)


@dataclass(frozen=True)
class ReviewStack:
    project: str
    stack_name: str
    status: ReviewStatus
    head: str
    updated_at: datetime
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def id(self) -> str:
        return f"{self.project}/{self.stack_name}"


@dataclass(frozen=True)
class ReviewEnvironment:
    """The review stacks of one pull request in one environment."""

    environment: str
    pr: int
    status: ReviewStatus
    head: str
    created_at: datetime
    last_push_at: datetime
    updated_at: datetime
    error: str | None = None
    destroy_attempts: int = 0
    deployments: tuple[int, ...] = ()
    stacks: tuple[ReviewStack, ...] = ()
    title: str | None = None
    branch: str | None = None

    @property
    def live(self) -> bool:
        return self.status in LIVE

    def live_stacks(self) -> tuple[ReviewStack, ...]:
        return tuple(s for s in self.stacks if s.status != "destroyed")


@dataclass(frozen=True)
class Claim:
    """The answer to `claim`: granted, or refused because `max_active` others are live."""

    granted: bool
    active: tuple[int, ...]  # the pull requests holding review environments, this one included if granted


class ReviewStore:
    def __init__(self, store: Transactional) -> None:
        self._store = store
        store.ensure_schema()  # our tables are in `metadata` now that this module is imported

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction; on PostgreSQL writers of review rows take turns, as SQLite's
        BEGIN IMMEDIATE makes them: a claim counts and inserts in one step."""
        with self._store.transaction(write=True) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('orchestrator:review'))"))
            yield conn

    # ------------------------------------------------------------------ reading
    def get(self, environment: str, pr: int) -> ReviewEnvironment | None:
        found = self._select(sa.and_(review_environments.c.environment == environment,
                                     review_environments.c.pr == pr))
        return found[0] if found else None

    def live(self, environment: str | None = None) -> list[ReviewEnvironment]:
        """Review environments that exist or may (everything but `destroyed`), oldest first."""
        where: Any = review_environments.c.status.in_(LIVE)
        if environment is not None:
            where = sa.and_(where, review_environments.c.environment == environment)
        return self._select(where)

    def for_pr(self, pr: int) -> list[ReviewEnvironment]:
        return self._select(review_environments.c.pr == pr)

    def _select(self, where: Any) -> list[ReviewEnvironment]:
        with self._store.transaction(write=False) as conn:
            rows = conn.execute(sa.select(review_environments).where(where)
                                .order_by(review_environments.c.created_at, review_environments.c.pr)).mappings().all()
            prs = sorted({int(row["pr"]) for row in rows})
            stacks = conn.execute(sa.select(review_stacks).where(review_stacks.c.pr.in_(prs))
                                  .order_by(review_stacks.c.project)).mappings().all() if prs else []
        by_pr: dict[tuple[str, int], list[ReviewStack]] = {}
        for row in stacks:
            by_pr.setdefault((row["environment"], row["pr"]), []).append(_stack(row))
        return [_environment(row, by_pr.get((row["environment"], row["pr"]), [])) for row in rows]

    # ------------------------------------------------------------------ writing
    def claim(self, environment: str, pr: int, *, head: str, max_active: int, now: datetime,
              branch: str | None = None, title: str | None = None) -> Claim:
        """Mark the pull request's review environment as deploying `head`, unless `max_active`
        other pull requests hold live ones (then nothing is written). A new head restarts the TTL."""
        table = review_environments
        with self._writing() as conn:
            live = [int(p) for p in conn.execute(
                sa.select(table.c.pr).where(table.c.environment == environment, table.c.status.in_(LIVE))
                .order_by(table.c.created_at)).scalars()]
            mine = conn.execute(sa.select(table).where(table.c.environment == environment, table.c.pr == pr)
                                ).mappings().first()
            if pr not in live and len(live) >= max_active:
                return Claim(False, tuple(live))
            if mine is None:
                conn.execute(sa.insert(table).values(
                    environment=environment, pr=pr, status="deploying", head=head, created_at=now, last_push_at=now,
                    updated_at=now, error=None, destroy_attempts=0, deployments=[], title=title, branch=branch))
            else:
                revived = mine["status"] == "destroyed"
                values: dict[str, Any] = {"status": "deploying", "head": head, "updated_at": now, "error": None}
                if revived or mine["head"] != head:
                    values["last_push_at"] = now
                if revived:
                    values.update(created_at=now, destroy_attempts=0, deployments=[])
                values.update({k: v for k, v in (("title", title), ("branch", branch)) if v is not None})
                conn.execute(sa.update(table).where(table.c.environment == environment, table.c.pr == pr)
                             .values(**values))
            return Claim(True, tuple(live if pr in live else [*live, pr]))

    def finish_up(self, environment: str, pr: int, *, ok: bool, now: datetime, error: str | None = None) -> None:
        self._set(environment, pr, status="up" if ok else "failed", updated_at=now, error=error)

    def start_down(self, environment: str, pr: int, *, now: datetime) -> None:
        self._set(environment, pr, status="destroying", updated_at=now)

    def finish_down(self, environment: str, pr: int, *, ok: bool, now: datetime, error: str | None = None) -> None:
        table = review_environments
        with self._writing() as conn:
            values: dict[str, Any] = {"status": "destroyed" if ok else "destroy_failed", "updated_at": now,
                                      "error": error}
            if not ok:
                values["destroy_attempts"] = table.c.destroy_attempts + 1
            conn.execute(sa.update(table).where(table.c.environment == environment, table.c.pr == pr).values(**values))

    def record_stack(self, environment: str, pr: int, stack: ReviewStack) -> None:
        table = review_stacks
        values = {"stack_name": stack.stack_name, "status": stack.status, "head": stack.head,
                  "outputs": dict(stack.outputs), "error": stack.error, "updated_at": stack.updated_at}
        with self._writing() as conn:
            key = (table.c.environment == environment, table.c.pr == pr, table.c.project == stack.project)
            if conn.execute(sa.select(table.c.project).where(*key)).first() is None:
                conn.execute(sa.insert(table).values(environment=environment, pr=pr, project=stack.project, **values))
            else:
                conn.execute(sa.update(table).where(*key).values(**values))

    def record_deployment(self, environment: str, pr: int, deployment_id: int) -> None:
        table = review_environments
        with self._writing() as conn:
            key = (table.c.environment == environment, table.c.pr == pr)
            current = conn.execute(sa.select(table.c.deployments).where(*key)).scalar()
            conn.execute(sa.update(table).where(*key).values(deployments=[*(current or []), deployment_id]))

    def _set(self, environment: str, pr: int, **values: Any) -> None:
        table = review_environments
        with self._writing() as conn:
            conn.execute(sa.update(table).where(table.c.environment == environment, table.c.pr == pr).values(**values))


def _stack(row: RowMapping) -> ReviewStack:
    return ReviewStack(project=row["project"], stack_name=row["stack_name"], status=row["status"], head=row["head"],
                       updated_at=row["updated_at"], outputs=dict(row["outputs"] or {}), error=row["error"])


def _environment(row: RowMapping, stacks: list[ReviewStack]) -> ReviewEnvironment:
    return ReviewEnvironment(
        environment=row["environment"], pr=int(row["pr"]), status=row["status"], head=row["head"],
        created_at=row["created_at"], last_push_at=row["last_push_at"], updated_at=row["updated_at"],
        error=row["error"], destroy_attempts=int(row["destroy_attempts"]),
        deployments=tuple(int(d) for d in row["deployments"] or ()), stacks=tuple(stacks), title=row["title"],
        branch=row["branch"],
    )
