"""The job queue on SQLite and on a real PostgreSQL: claiming, keys, leases, dead workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from orchestrator.store.job_model import JobSpec, WorkerId
from orchestrator.store.jobs import JobQueue, server_jobs
from orchestrator.store.sql import SqlStore
from tests.store.conftest import store_url  # noqa: F401  (fixture)


@pytest.fixture
def queue(store_url: str) -> Iterator[JobQueue]:  # noqa: F811
    store = SqlStore(store_url)
    try:
        yield JobQueue(store)
    finally:
        store.close()


def spec(key: str, n: int = 0, kind: str = "deploy") -> JobSpec:
    return JobSpec(kind=kind, key=key, payload={"n": n})  # type: ignore[arg-type]


W1, W2 = WorkerId("w1"), WorkerId("w2")


def test_one_key_never_runs_twice_at_once_and_keeps_its_order(queue: JobQueue) -> None:
    queue.enqueue([spec("branch:main", 1), spec("branch:main", 2), spec("pr:5", 3)], source="manual")
    first = queue.claim(W1, lease_s=60)
    second = queue.claim(W2, lease_s=60)
    assert first is not None and second is not None
    assert (first.payload["n"], second.payload["n"]) == (1, 3)  # main's second waits; pr:5 runs beside it
    assert queue.claim(W2, lease_s=60) is None
    assert queue.finish(first.id, W1, "succeeded")
    third = queue.claim(W2, lease_s=60)
    assert third is not None and third.payload["n"] == 2


def test_the_database_refuses_a_second_running_job_of_a_key(queue: JobQueue) -> None:
    queue.enqueue([spec("k"), spec("k")], source="manual")
    assert queue.claim(W1, lease_s=60) is not None
    with pytest.raises(sa.exc.IntegrityError), queue._store.transaction(write=True) as conn:
        conn.execute(sa.update(server_jobs).where(server_jobs.c.status == "queued").values(status="running"))


def test_concurrent_workers_claim_each_job_once(queue: JobQueue) -> None:
    keys = [f"key{i % 5}" for i in range(40)]
    queue.enqueue([spec(k, i) for i, k in enumerate(keys)], source="manual")
    claimed: list[int] = []
    running_keys: set[str] = set()
    overlap: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        me = WorkerId(f"t{index}")
        idle_rounds = 0
        while idle_rounds < 20:
            job = queue.claim(me, lease_s=60)
            if job is None:
                idle_rounds += 1
                time.sleep(0.01)
                continue
            idle_rounds = 0
            with lock:
                if job.key in running_keys:
                    overlap.append(job.key)
                running_keys.add(job.key)
                claimed.append(job.id)
            time.sleep(0.005)
            with lock:
                running_keys.discard(job.key)
            assert queue.finish(job.id, me, "succeeded")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(claimed) == sorted(j.id for j in queue.jobs(limit=100))
    assert len(claimed) == len(set(claimed)) == 40
    assert overlap == []
    assert queue.counts()["succeeded"] == 40


def test_jobs_of_a_dead_worker_are_requeued_and_give_up_after_max_attempts(queue: JobQueue) -> None:
    queue.max_attempts = 2
    [job_id] = queue.enqueue([spec("k")], source="manual").job_ids
    dead = WorkerId("dead", pid=999_999_999)
    assert queue.claim(dead, lease_s=600) is not None
    assert queue.requeue_abandoned(pid_alive=lambda pid: pid != 999_999_999) == [job_id]
    again = queue.claim(dead, lease_s=600)
    assert again is not None and again.attempts == 2
    assert queue.requeue_abandoned(pid_alive=lambda pid: pid != 999_999_999) == []
    gone = queue.get(job_id)
    assert gone is not None and gone.status == "failed" and "died 2 times" in (gone.error or "")


def test_a_lapsed_lease_from_another_host_is_requeued_and_the_old_worker_cannot_finish(queue: JobQueue) -> None:
    [job_id] = queue.enqueue([spec("k")], source="manual").job_ids
    elsewhere = WorkerId("far", host="other-host", pid=1)
    assert queue.claim(elsewhere, lease_s=0.2) is not None
    assert queue.requeue_abandoned() == []  # still leased
    time.sleep(0.4)
    assert queue.requeue_abandoned() == [job_id]
    taken = queue.claim(W1, lease_s=60)
    assert taken is not None and taken.id == job_id
    assert not queue.finish(job_id, elsewhere, "succeeded")  # too late: no longer its job
    assert queue.finish(job_id, W1, "succeeded")


def test_heartbeat_keeps_a_lease(queue: JobQueue) -> None:
    queue.enqueue([spec("k")], source="manual")
    job = queue.claim(WorkerId("far", host="other-host", pid=1), lease_s=0.5)
    assert job is not None
    for _ in range(4):
        time.sleep(0.2)
        assert queue.heartbeat(["far"], [job.id], lease_s=0.5) == 1
        assert queue.requeue_abandoned() == []


def test_a_scheduled_slot_is_queued_once(queue: JobQueue) -> None:
    slot = datetime(2025, 1, 1, 6, tzinfo=UTC)
    job = JobSpec(kind="drift", key="drift:dev", payload={"environment": "dev"})
    assert queue.schedule_slot("drift:dev", slot, job) is not None
    assert queue.schedule_slot("drift:dev", slot, job) is None
    assert queue.schedule_slot("drift:dev", slot - timedelta(hours=6), job) is None
    assert queue.schedule_slot("drift:dev", slot + timedelta(hours=6), job) is not None
    assert queue.last_slot("drift:dev") == slot + timedelta(hours=6)
