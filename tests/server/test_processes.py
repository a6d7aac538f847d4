"""Real server processes (tests/server/stub_server.py: uvicorn, the app, the queue, workers; the
flow a stub that logs each job's start and end): `kill -9` with jobs queued and running, and
two servers sharing one PostgreSQL queue."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from orchestrator.server.webhooks import github_signature
from orchestrator.store.jobs import JobQueue
from orchestrator.store.sql import SqlStore
from tests.support.deliveries import SECRET
from tests.support.gitrepo import InfraRepo
from tests.support.webhooks import webhook_examples

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server_process(repo: Path, log: Path, *, database_url: str = "", workers: int = 2,
                   job_seconds: float = 0.5) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ORCHESTRATOR_DATABASE_URL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.server.stub_server", str(repo), str(port), str(log), database_url,
         str(workers), str(job_seconds)],
        cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(url) or proc.poll() is not None, 30)
        if proc.poll() is not None:
            raise AssertionError(f"the server exited: {proc.stdout.read().decode() if proc.stdout else ''}")
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def push(url: str, branch: str, n: int) -> int:
    payload = next(p for _, p in webhook_examples("push") if p["ref"].startswith("refs/heads/"))
    payload["ref"] = f"refs/heads/{branch}"
    payload["after"] = f"{n:040x}"
    body = json.dumps(payload).encode()
    answer = httpx.post(f"{url}/webhooks/github", content=body, timeout=10, headers={
        "X-GitHub-Event": "push", "X-GitHub-Delivery": f"delivery-{branch}-{n}",
        "X-Hub-Signature-256": github_signature(SECRET, body), "Content-Type": "application/json"})
    assert answer.status_code == 202, answer.text
    [job_id] = answer.json()["jobs"]
    return int(job_id)


def log_lines(log: Path) -> list[tuple[str, int, str, int, float]]:
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        event, job, key, pid, at = line.split()
        out.append((event, int(job), key, int(pid), float(at)))
    return out


def test_kill_9_with_jobs_queued_and_running_loses_none_and_finishes_each_once(
    infra: InfraRepo, tmp_path: Path
) -> None:
    log = tmp_path / "jobs.log"
    with server_process(infra.root, log, workers=2, job_seconds=3.0) as (first, url):
        ids = [push(url, f"b{i}", i + 1) for i in range(6)]  # six branches: two run at once
        wait_for(lambda: sum(1 for e in log_lines(log) if e[0] == "start") == 2, 20)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    killed_pid = first.pid
    interrupted = {job for event, job, _, pid, _ in log_lines(log) if event == "start" and pid == killed_pid}
    assert len(interrupted) == 2
    assert not any(event == "done" for event, *_ in log_lines(log))

    store = SqlStore(infra.store_url)
    queue = JobQueue(store)
    assert queue.counts()["running"] == 2 and queue.counts()["queued"] == 4  # as the dead server left them

    with server_process(infra.root, log, workers=2, job_seconds=0.3) as (second, _url):
        wait_for(lambda: queue.counts()["succeeded"] == 6, 60)
    entries = log_lines(log)
    done = Counter(job for event, job, *_ in entries if event == "done")
    starts = Counter(job for event, job, *_ in entries if event == "start")
    assert done == Counter({job: 1 for job in ids})  # none lost, none finished twice
    assert {job for job, n in starts.items() if n == 2} == interrupted  # the interrupted ones resumed once
    assert all(starts[job] == 1 for job in ids if job not in interrupted)
    assert {pid for event, _, _, pid, _ in entries if event == "done"} == {second.pid}
    for job_id in ids:
        job = queue.get(job_id)
        assert job is not None and job.status == "succeeded"
        assert job.attempts == (2 if job_id in interrupted else 1)
    store.close()


def test_two_servers_share_one_postgresql_queue(infra: InfraRepo, tmp_path: Path, postgres_schema_url: str) -> None:
    log = tmp_path / "jobs.log"
    with server_process(infra.root, log, database_url=postgres_schema_url, job_seconds=0.15) as (one, url_one), \
            server_process(infra.root, log, database_url=postgres_schema_url, job_seconds=0.15) as (two, url_two):
        ids = []
        for n in range(36):
            ids.append(push(url_one if n % 2 else url_two, f"b{n % 6}", n + 1))  # 6 branches, 6 pushes each
        store = SqlStore(postgres_schema_url)
        queue = JobQueue(store)
        wait_for(lambda: queue.counts()["succeeded"] == 36, 90)
        store.close()
    entries = log_lines(log)
    assert Counter(job for event, job, *_ in entries if event == "start") == Counter({j: 1 for j in ids})
    assert Counter(job for event, job, *_ in entries if event == "done") == Counter({j: 1 for j in ids})
    ran_by = Counter(pid for event, _, _, pid, _ in entries if event == "done")
    assert set(ran_by) == {one.pid, two.pid}, ran_by
    # One branch's jobs never overlapped, whichever server ran them, and ran in push order.
    spans: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    started = {job: at for event, job, _, _, at in entries if event == "start"}
    for event, job, key, _, at in entries:
        if event == "done":
            spans[key].append((started[job], at, job))
    for key, runs in spans.items():
        runs.sort()
        assert [job for *_, job in runs] == sorted(job for *_, job in runs), key
        for (_, end, _), (begin, _, _) in itertools.pairwise(runs):
            assert begin >= end, f"{key}: two jobs ran at once"
