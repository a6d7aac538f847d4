"""Lock leases on SQLite and PostgreSQL: one holder at a time, across threads and processes; expiry."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestrator.store.sql import SqlStore

REPO = Path(__file__).resolve().parents[2]


def _acquire(store: SqlStore, stack: str, run_id: str, ttl_s: float = 60.0, **extra: object) -> object:
    return store.acquire_lock(stack, holder=f"deploy run {run_id}", run_id=run_id, commit="c1", ttl_s=ttl_s,
                              **extra)  # type: ignore[arg-type]


def test_one_holder_until_released(store: SqlStore) -> None:
    lease = store.acquire_lock("app/dev", holder="deploy run r1 by alice", run_id="r1", commit="A", ttl_s=60)
    assert lease is not None and lease.run_id == "r1" and lease.purpose == "deploy"
    assert lease.acquired_at.tzinfo == UTC and 59 < (lease.expires_at - lease.acquired_at).total_seconds() <= 60
    assert _acquire(store, "app/dev", "r2") is None
    held = store.get_lock("app/dev")
    assert held == lease and held.holder == "deploy run r1 by alice"
    assert _acquire(store, "app/qa", "r2") is not None  # other stacks are independent
    assert not store.release_lock("app/dev", "r2")  # not the holder
    assert store.get_lock("app/dev") == lease
    assert store.release_lock("app/dev", "r1")
    assert store.get_lock("app/dev") is None
    assert _acquire(store, "app/dev", "r2") is not None


def test_reacquiring_own_lease_extends_it_and_keeps_its_start(store: SqlStore) -> None:
    first = store.acquire_lock("app/dev", holder="h", run_id="r1", commit="A", ttl_s=5)
    time.sleep(0.01)
    again = store.acquire_lock("app/dev", holder="h", run_id="r1", commit="A", ttl_s=60)
    assert first is not None and again is not None
    assert again.acquired_at == first.acquired_at and again.expires_at > first.expires_at


def test_expired_lease_no_longer_blocks_but_is_listed(store: SqlStore) -> None:
    assert _acquire(store, "app/dev", "r1", ttl_s=0.2) is not None
    assert _acquire(store, "app/dev", "r2") is None
    time.sleep(0.3)
    assert store.get_lock("app/dev") is None
    assert store.locks() == []
    expired = store.locks(include_expired=True)
    assert [(lease.stack, lease.run_id) for lease in expired] == [("app/dev", "r1")]
    assert expired[0].expires_at < datetime.now(UTC)
    taken = _acquire(store, "app/dev", "r2")
    assert taken is not None and taken.run_id == "r2" and taken.acquired_at > expired[0].acquired_at
    assert not store.renew_lock("app/dev", "r1", 60)  # the crashed run lost it


def test_renew_extends_only_the_holders_lease(store: SqlStore) -> None:
    run = store.start_run(flow="deploy", commit="A", branch="main", actor="alice")
    lease = store.acquire_lock("app/dev", holder="h", run_id=run.id, commit="A", ttl_s=0.3)
    assert lease is not None
    assert not store.renew_lock("app/dev", "someone-else", 60)
    assert not store.renew_lock("app/qa", run.id, 60)
    assert store.renew_lock("app/dev", run.id, 60)
    time.sleep(0.4)
    renewed = store.get_lock("app/dev")  # would have expired without the renewal
    assert renewed is not None and renewed.expires_at > lease.expires_at


def test_force_release_and_pr_locks(store: SqlStore) -> None:
    assert store.force_release("app/dev") is None
    lease = _acquire(store, "app/dev", "r1")
    assert store.force_release("app/dev") == lease
    assert store.locks(include_expired=True) == []
    for stack in ("app/dev", "net/dev"):
        assert _acquire(store, stack, "preview-12", purpose="pr", pr=12) is not None
    assert _acquire(store, "db/dev", "preview-13", purpose="pr", pr=13) is not None
    assert _acquire(store, "web/dev", "deploy-1", pr=12) is not None  # a deploy lock naming the PR stays
    assert store.get_lock("net/dev").pr == 12  # type: ignore[union-attr]
    assert store.release_pr_locks(12) == ["app/dev", "net/dev"]
    assert [lease.stack for lease in store.locks()] == ["db/dev", "web/dev"]
    assert store.release_pr_locks(12) == []


def test_concurrent_threads_exactly_one_wins(store_url: str) -> None:
    stores = [SqlStore(store_url) for _ in range(2)]  # two pools, as two workers would have
    contenders, rounds = 6, 15
    winners: dict[str, list[str]] = {f"stack{i}/dev": [] for i in range(rounds)}
    errors: list[BaseException] = []
    barrier = threading.Barrier(contenders)

    def contend(index: int) -> None:
        store = stores[index % len(stores)]
        try:
            for stack in winners:
                barrier.wait(timeout=20)
                if _acquire(store, stack, f"run-{index}") is not None:
                    winners[stack].append(f"run-{index}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        assert all(len(won) == 1 for won in winners.values()), winners
        held = {lease.stack: lease.run_id for lease in stores[0].locks()}
        assert held == {stack: won[0] for stack, won in winners.items()}
    finally:
        for store in stores:
            store.close()


_CONTENDER = """
import json, sys
from orchestrator.store.sql import SqlStore
url, run_id, stacks = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = SqlStore(url)  # every process creates the schema at once on a fresh database
print("ready", flush=True)
sys.stdin.readline()  # the start signal, sent once every process is ready
won = [f"stack{i}/dev" for i in range(stacks)
       if store.acquire_lock(f"stack{i}/dev", holder=run_id, run_id=run_id, commit="c", ttl_s=60) is not None]
print(json.dumps(won), flush=True)
"""


def _race_processes(url: str, contenders: int, stacks: int) -> dict[str, list[str]]:
    processes = [
        subprocess.Popen([sys.executable, "-c", _CONTENDER, url, f"proc-{i}", str(stacks)], cwd=REPO,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(contenders)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line == "ready\n", (line, process.stderr.read() if process.stderr else "")
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        winners: dict[str, list[str]] = {f"stack{i}/dev": [] for i in range(stacks)}
        for i, process in enumerate(processes):
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            for stack in json.loads(out):
                winners[stack].append(f"proc-{i}")
        return winners
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_concurrent_processes_exactly_one_wins(store_url: str) -> None:
    # No store is opened beforehand: the processes also race to create the schema (and,
    # on SQLite, to switch the new file to WAL).
    winners = _race_processes(store_url, contenders=3, stacks=25)
    assert all(len(won) == 1 for won in winners.values()), winners
    store = SqlStore(store_url)
    try:
        assert {lease.stack: lease.holder for lease in store.locks()} == {s: w[0] for s, w in winners.items()}
    finally:
        store.close()


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_sqlite_file_is_in_wal_mode(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_postgres_leases_follow_the_servers_clock(store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    import orchestrator.store.sql as sql

    assert abs((store.lease_clock() - datetime.now(UTC)).total_seconds()) < 5
    assert _acquire(store, "app/prod", "r1", ttl_s=60) is not None
    # A host whose clock runs an hour ahead must not think the lease lapsed.
    monkeypatch.setattr(sql, "utcnow", lambda: datetime.now(UTC) + timedelta(hours=1))
    assert _acquire(store, "app/prod", "r2") is None
    assert store.get_lock("app/prod") is not None and len(store.locks()) == 1
