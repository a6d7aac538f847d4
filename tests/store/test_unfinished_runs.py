"""Runs whose process died: found by pid on this host, by heartbeat age for other hosts; across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from orchestrator.store import schema
from orchestrator.store.sql import SqlStore

REPO = Path(__file__).resolve().parents[2]

# A deploy process in miniature: starts a run, takes the stack's lease, records success in
# environment qa when asked to, then either exits or hangs until killed.
_DEPLOYER = """
import sys
from orchestrator.store.sql import SqlStore
url, mode = sys.argv[1], sys.argv[2]
store = SqlStore(url)
run = store.start_run(flow="deploy", commit="A", branch="main", actor="ci")
store.acquire_lock("app/qa", holder=f"deploy run {run.id}", run_id=run.id, commit="A", ttl_s=0.5)
if mode == "succeed":
    store.record_environment_result("qa", "A", run.id, "succeeded")
    store.finish_run(run.id, "succeeded")
print(run.id, flush=True)
if mode == "hang":
    sys.stdin.readline()
"""


def _deployer(url: str, mode: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-c", _DEPLOYER, url, mode], cwd=REPO, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    run_id = process.stdout.readline().strip()
    assert run_id, process.stderr.read() if process.stderr else ""
    return process, run_id


def test_a_run_of_a_live_process_is_not_unfinished(store: SqlStore) -> None:
    run = store.start_run(flow="deploy", commit="A", branch="main", actor="ci")
    assert (run.holder_pid, run.holder_host) == (os.getpid(), os.uname().nodename)
    assert store.unfinished_runs() == []


def test_kill_9_leaves_an_unfinished_run_whose_lease_expires(store: SqlStore, store_url: str) -> None:
    process, run_id = _deployer(store_url, "hang")
    try:
        assert store.unfinished_runs() == []  # alive: still running
        assert store.get_lock("app/qa") is not None
        os.kill(process.pid, signal.SIGKILL)
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # dead, but not reaped:
        # a zombie, which must count as gone.
        unfinished = store.unfinished_runs()
        assert [run.id for run in unfinished] == [run_id]
        assert unfinished[0].holder_pid == process.pid
    finally:
        process.kill()
        process.wait()
    assert [run.id for run in store.unfinished_runs()] == [run_id]
    lapsed = store.locks(include_expired=True)
    assert [lease.run_id for lease in lapsed] == [run_id]
    # The crashed run's lease lapses and the next deploy takes the stack.
    time.sleep(max(0.0, (lapsed[0].expires_at - datetime.now(UTC)).total_seconds()) + 0.05)
    assert store.acquire_lock("app/qa", holder="next", run_id="next", commit="A", ttl_s=60) is not None
    store.mark_interrupted(run_id)
    interrupted = store.get_run(run_id)
    assert interrupted is not None and interrupted.status == "interrupted" and interrupted.finished_at is not None
    assert store.unfinished_runs() == []


def test_finished_runs_and_results_are_seen_by_other_processes(store: SqlStore, store_url: str) -> None:
    process, run_id = _deployer(store_url, "succeed")
    process.communicate(timeout=30)
    assert process.returncode == 0
    assert store.environment_succeeded("qa", "A")  # the `requires` gate across CI jobs
    assert not store.environment_succeeded("uat", "A")
    assert store.unfinished_runs() == []  # exited, but its run finished
    run = store.get_run(run_id)
    assert run is not None and run.status == "succeeded"


def test_runs_of_other_hosts_are_judged_by_heartbeat(store_url: str) -> None:
    store = SqlStore(store_url, stale_after_s=60)
    try:
        quiet = store.start_run(flow="deploy", commit="A", branch="main", actor="ci")
        busy = store.start_run(flow="deploy", commit="B", branch="main", actor="ci")
        long_ago = datetime.now(UTC) - timedelta(minutes=5)
        with store.engine.begin() as conn:
            conn.execute(sa.update(schema.runs).values(holder_host="other-host", heartbeat_at=long_ago))
        store.acquire_lock("app/dev", holder="h", run_id=busy.id, commit="B", ttl_s=30)
        assert store.renew_lock("app/dev", busy.id, 30)  # renewing a lease is a heartbeat
        assert [run.id for run in store.unfinished_runs()] == [quiet.id]
        store.heartbeat(quiet.id)
        assert store.unfinished_runs() == []
    finally:
        store.close()
