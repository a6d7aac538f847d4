"""The drift scheduler with an injected clock: due slots, missed runs while down, two servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchestrator.server.scheduler import DriftScheduler, latest_slot
from orchestrator.store.jobs import JobQueue
from tests.support.gitrepo import InfraRepo

SCHEDULE = "0 */6 * * *"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def with_schedule(infra: InfraRepo, schedule: str = SCHEDULE) -> None:
    text = infra.read("environments/qa.yaml")
    if "drift:" in text:
        text = text[: text.index("drift:")]
    infra.write("environments/qa.yaml", text + f'drift:\n  schedule: "{schedule}"\n')


def drift_jobs(queue: JobQueue) -> list[tuple[str, str]]:
    return [(j.payload["environment"], j.payload["slot"]) for j in sorted(queue.jobs(kind="drift"), key=lambda j: j.id)]


def test_latest_slot() -> None:
    at = datetime(2025, 3, 1, 13, 5, tzinfo=UTC)
    assert latest_slot(SCHEDULE, at) == datetime(2025, 3, 1, 12, tzinfo=UTC)
    assert latest_slot(SCHEDULE, datetime(2025, 3, 1, 12, tzinfo=UTC)) == datetime(2025, 3, 1, 12, tzinfo=UTC)


def test_first_start_runs_once_then_each_slot_once(infra: InfraRepo) -> None:
    with_schedule(infra)
    queue = JobQueue(infra.open_store())
    clock = Clock(datetime(2025, 3, 1, 13, 5, tzinfo=UTC))
    scheduler = DriftScheduler(infra.root, queue, clock=clock)
    assert len(scheduler.tick()) == 1  # never checked: due now
    assert scheduler.tick() == []
    clock.at = datetime(2025, 3, 1, 17, 59, tzinfo=UTC)
    assert scheduler.tick() == []  # the 18:00 slot has not come
    clock.at = datetime(2025, 3, 1, 18, 0, 30, tzinfo=UTC)
    assert len(scheduler.tick()) == 1
    assert drift_jobs(queue) == [("qa", "2025-03-01T12:00:00+00:00"), ("qa", "2025-03-01T18:00:00+00:00")]
    [job] = queue.jobs(kind="drift", limit=1)
    assert job.key == "branch:main"  # qa's branch: never beside a deploy of main


def test_missed_slots_while_down_run_once_on_start(infra: InfraRepo) -> None:
    with_schedule(infra)
    queue = JobQueue(infra.open_store())
    clock = Clock(datetime(2025, 3, 1, 0, 1, tzinfo=UTC))
    assert len(DriftScheduler(infra.root, queue, clock=clock).tick()) == 1
    # The server is down for three days (12 slots); a new process starts.
    clock.at += timedelta(days=3, hours=1)
    restarted = DriftScheduler(infra.root, queue, clock=clock)
    assert len(restarted.tick()) == 1
    assert restarted.tick() == []
    assert drift_jobs(queue)[-1] == ("qa", "2025-03-04T00:00:00+00:00")
    assert len(drift_jobs(queue)) == 2


def test_two_servers_queue_a_slot_once(infra: InfraRepo) -> None:
    with_schedule(infra)
    store = infra.open_store()
    clock = Clock(datetime(2025, 3, 1, 6, 0, 5, tzinfo=UTC))
    one = DriftScheduler(infra.root, JobQueue(store), clock=clock)
    two = DriftScheduler(infra.root, JobQueue(infra.open_store()), clock=clock)
    assert len(one.tick()) + len(two.tick()) == 1


def test_a_drift_check_run_since_the_slot_counts(infra: InfraRepo) -> None:
    with_schedule(infra)
    queue = JobQueue(infra.open_store())
    clock = Clock(datetime(2025, 3, 1, 7, tzinfo=UTC))
    ran_by_hand = {"qa": datetime(2025, 3, 1, 6, 30, tzinfo=UTC)}  # `orchestrator drift` after the 06:00 slot
    scheduler = DriftScheduler(infra.root, queue, clock=clock, last_drift_runs=lambda: ran_by_hand)
    assert scheduler.tick() == []
    clock.at = datetime(2025, 3, 1, 12, 1, tzinfo=UTC)
    assert len(scheduler.tick()) == 1


def test_an_invalid_schedule_is_reported_and_not_fatal(infra: InfraRepo) -> None:
    with_schedule(infra, "every tuesday")
    scheduler = DriftScheduler(infra.root, JobQueue(infra.open_store()), interval_s=0.05)
    scheduler.start()
    try:
        import time

        deadline = time.monotonic() + 5
        while scheduler.last_error is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.stop()
    assert scheduler.last_error is not None
    assert "drift.schedule" in scheduler.last_error or "schedule" in scheduler.last_error
