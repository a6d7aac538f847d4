"""The drift scheduler: each environment's `drift.schedule` (cron, UTC) queues a drift job.

Each tick looks at the latest cron slot at or before now. If no job was queued for that
slot (nor a drift check run since it), one is queued and the slot is remembered in the
database. A server that was down across several slots therefore finds only the latest one
unserved: a missed run runs once on start, not once per missed slot. The slot is recorded
in the same transaction that queues the job, so servers sharing a database queue it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.errors import UserError
from orchestrator.server.events import branch_key
from orchestrator.server.metrics import ServerMetrics
from orchestrator.server.periodic import Periodic
from orchestrator.store.job_model import JobSpec
from orchestrator.store.jobs import JobQueue

if TYPE_CHECKING:
    from orchestrator.config.resolved import Environment, RepoConfig

log = logging.getLogger("orchestrator.server")
_GLOB_CHARS = set("*?[]{}")


def latest_slot(schedule: str, now: datetime) -> datetime:
    """The last time at or before `now` the cron expression fires (UTC)."""
    from croniter import croniter

    at = now.astimezone(UTC)
    if croniter.match(schedule, at.replace(second=0, microsecond=0)) and at.second == 0 and at.microsecond == 0:
        return at
    slot = croniter(schedule, at).get_prev(datetime)
    assert isinstance(slot, datetime)
    return slot if slot.tzinfo else slot.replace(tzinfo=UTC)


def drift_key(env: Environment) -> str:
    """Drift shares the deploy key of the environment's branch (remediation updates its stacks)."""
    rule = env.branch_rules[0] if env.branch_rules else ""
    return branch_key(rule) if rule and not (_GLOB_CHARS & set(rule)) else f"drift:{env.name}"


class DriftScheduler:
    def __init__(
        self,
        repo: Path,
        queue: JobQueue,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        load_config: Callable[[], RepoConfig] | None = None,
        last_drift_runs: Callable[[], Mapping[str, datetime]] | None = None,
        interval_s: float = 30.0,
        metrics: ServerMetrics | None = None,
        on_queued: Callable[[int], None] | None = None,
    ) -> None:
        self.repo = repo
        self.queue = queue
        self.clock = clock
        self.load_config = load_config or (lambda: _load(repo))
        self.last_drift_runs = last_drift_runs
        self.interval_s = interval_s
        self.metrics = metrics or ServerMetrics()
        self.on_queued = on_queued
        self.last_error: str | None = None
        self.last_tick: datetime | None = None
        self._service = Periodic("drift-scheduler", self.tick, interval_s=lambda: self.interval_s,
                                 on_error=self._failed)

    def start(self) -> None:
        self._service.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._service.stop(timeout)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, UserError):
            self.last_error = exc.message
            log.error("drift scheduler: %s", exc.message)
        else:
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("drift scheduler: a tick failed")

    def tick(self) -> list[int]:
        """Queue the drift jobs that are due now; their ids."""
        now = self.clock()
        config = self.load_config()
        ran = dict(self.last_drift_runs()) if self.last_drift_runs is not None else {}
        queued: list[int] = []
        for env in sorted(config.environments.values(), key=lambda e: (e.order, e.name)):
            slot = _slot(env, now)
            last_run = ran.get(env.name)
            if last_run is not None and last_run >= slot:
                continue  # a drift check already ran since the slot (e.g. `orchestrator drift` by hand)
            spec = JobSpec(kind="drift", key=drift_key(env), commit=None,
                           payload={"environment": env.name, "slot": slot.isoformat(), "schedule": env.drift.schedule})
            job_id = self.queue.schedule_slot(f"drift:{env.name}", slot, spec)
            if job_id is not None:
                queued.append(job_id)
                self.metrics.scheduled.labels(env.name).inc()
                log.info("drift scheduler: drift of %s for the %s slot queued (job %d)", env.name,
                         slot.isoformat(), job_id)
        self.last_tick, self.last_error = now, None
        if queued and self.on_queued is not None:
            self.on_queued(len(queued))
        return queued

    def status(self) -> dict[str, Any]:
        return {"interval_s": self.interval_s, "last_tick": None if self.last_tick is None else
                self.last_tick.isoformat(), "last_error": self.last_error}


REVIEW_SWEEP_KEY = "review-sweep"


class ReviewSweeper:
    """Queues the review sweep (a `review` job) when a review environment expired (no push for its
    `review.ttl`) or a destroy of one failed: at most once per `slot_s`, across servers sharing the
    database (the slot is recorded with the job, as drift slots are)."""

    def __init__(self, queue: JobQueue, due: Callable[[datetime], int], *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), interval_s: float = 60.0,
                 slot_s: float = 300.0, on_queued: Callable[[int], None] | None = None) -> None:
        self.queue = queue
        self.due = due  # how many review environments the sweep would act on now
        self.clock = clock
        self.slot_s = slot_s
        self.on_queued = on_queued
        self.last_error: str | None = None
        self._service = Periodic("review-sweeper", self.tick, interval_s=lambda: interval_s, on_error=self._failed)

    def start(self) -> None:
        self._service.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._service.stop(timeout)

    def _failed(self, exc: Exception) -> None:
        self.last_error = exc.message if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
        log.error("review sweeper: %s", self.last_error)

    def tick(self) -> int | None:
        """The id of the sweep job queued now, or None."""
        now = self.clock()
        count = self.due(now)
        if not count:
            return None
        slot = datetime.fromtimestamp(now.timestamp() // self.slot_s * self.slot_s, UTC)
        spec = JobSpec(kind="review", key=REVIEW_SWEEP_KEY, payload={"action": "sweep", "slot": slot.isoformat()})
        job_id = self.queue.schedule_slot(REVIEW_SWEEP_KEY, slot, spec)
        if job_id is not None:
            log.info("review sweeper: %d review environment(s) to destroy; sweep queued (job %d)", count, job_id)
            if self.on_queued is not None:
                self.on_queued(1)
        self.last_error = None
        return job_id


def review_sweep_due(repo: Path, store: Any) -> Callable[[datetime], int]:
    """How many review environments are expired or wait for a retried destroy, from the store."""

    def count(now: datetime) -> int:
        from orchestrator.flows.review_sweep import due
        from orchestrator.store.review import ReviewStore

        live = ReviewStore(store).live()
        return len(due(live, _load(repo), now)) if live else 0

    return count


def _slot(env: Environment, now: datetime) -> datetime:
    try:
        return latest_slot(env.drift.schedule, now)
    except (ValueError, KeyError) as exc:
        raise UserError(f"{env.source}: drift.schedule {env.drift.schedule!r} is not a valid cron expression ({exc})",
                        "use five fields, e.g. '0 */6 * * *'") from None


def _load(repo: Path) -> RepoConfig:
    from orchestrator.config.load import load_repository
    from orchestrator.git import GitRepo

    return load_repository(GitRepo(repo).root)


def drift_store_last_runs(store: Any) -> Callable[[], Mapping[str, datetime]]:
    """When each environment's drift was last checked, from the drift flow's own memory."""
    from orchestrator.store.drift import DriftStore

    drift = DriftStore(store)

    def last_runs() -> Mapping[str, datetime]:
        runs: Mapping[str, datetime] = drift.last_runs()
        return runs

    return last_runs
