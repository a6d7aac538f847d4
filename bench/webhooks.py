"""Load benchmark of the webhook receiver (issue 8, item 7).

Starts a real `orchestrator serve` (the CLI, uvicorn, SQLite store, no workers and no
scheduler: only receiving is measured) on 127.0.0.1 over a throwaway repository, then sends
signed GitHub `push` deliveries from a few concurrent connections for at most --seconds
(default 30) or --count deliveries, whichever comes first. Prints accepted deliveries per
second and the p50/p99 latency of the 202, then confirms from the database that every
accepted delivery is in the queue (its delivery row and its job row).

Target: at least 200 deliveries/s with p99 under 50 ms on this machine (2 cores, shared
with the load generator).

    .venv/bin/python bench/webhooks.py [--seconds 30] [--count 10000] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RATE_TARGET = 200.0
P99_TARGET_MS = 50.0
SECRET = "bench-webhook-secret-0123456789abcdef"
EXAMPLES = ROOT / "tests" / "fixtures" / "github" / "webhook-examples.json"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com", *args], cwd=repo,
                   check=True, capture_output=True)


def make_repo(root: Path) -> Path:
    repo = root / "infra"
    (repo / "environments").mkdir(parents=True)
    (repo / "stacks" / "app").mkdir(parents=True)
    (repo / "orchestrator.yaml").write_text("stacks_dir: stacks\nenvironments_dir: environments\n")
    (repo / "environments" / "qa.yaml").write_text("branch: main\nengine: local\n")
    (repo / "stacks" / "app" / "Pulumi.yaml").write_text("name: app\nruntime: python\n")
    (repo / "stacks" / "app" / "__main__.py").write_text("import pulumi\n")
    (repo / ".gitignore").write_text(".orchestrator/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "bench")
    return repo


def push_payload() -> dict[str, Any]:
    """GitHub's own example of a branch push (about 7 kB), or a small stand-in without the fixtures."""
    if EXAMPLES.exists():
        for entry in json.loads(EXAMPLES.read_text()):
            if entry["name"] == "push":
                for example in entry["examples"]:
                    if example["ref"].startswith("refs/heads/"):
                        payload: dict[str, Any] = example
                        return payload
    return {"ref": "refs/heads/main", "before": "0" * 40, "after": "a" * 40, "created": True, "deleted": False,
            "forced": False, "repository": {"full_name": "acme/infra"}, "pusher": {"name": "bench"}}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(repo: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "ORCHESTRATOR_DATABASE_URL"}
    env["ORCHESTRATOR_WEBHOOK_SECRET"] = SECRET
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "serve", "--repo", str(repo), "--port", str(port), "--workers", "0",
         "--no-scheduler", "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not answer /healthz within 30 s")


class Connection:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams: a load generator built on a full
    client library spends more CPU per request than the server, on the same two cores."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        length = 0
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def load(port: int, *, seconds: float, count: int, concurrency: int) -> tuple[list[float], list[str], int]:
    template = push_payload()
    latencies: list[float] = []
    accepted: list[str] = []
    failures = 0
    next_index = 1  # 0 would make `after` all zeros: a deleted branch
    stop_at = time.monotonic() + seconds

    def delivery(i: int) -> tuple[bytes, dict[str, str], str]:
        payload = dict(template, after=f"{i:040x}")
        body = json.dumps(payload).encode()
        delivery_id = f"bench-{os.getpid()}-{i}"
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": delivery_id,
                   "X-Hub-Signature-256": signature}
        return body, headers, delivery_id

    async def sender() -> None:
        nonlocal next_index, failures
        connection = Connection("127.0.0.1", port)
        try:
            while time.monotonic() < stop_at and next_index <= count:
                i = next_index
                next_index += 1
                body, headers, delivery_id = delivery(i)  # built before the clock starts: we time the server
                started = time.perf_counter()
                status, answer = await connection.post("/webhooks/github", body, headers)
                elapsed = time.perf_counter() - started
                if status == 202 and json.loads(answer).get("status") == "queued":
                    latencies.append(elapsed)
                    accepted.append(delivery_id)
                else:
                    failures += 1
                    if failures <= 3:
                        print(f"not accepted: {status} {answer[:200]!r}", file=sys.stderr)
        finally:
            await connection.close()

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return latencies, accepted, failures


def verify(repo: Path, accepted: list[str]) -> tuple[int, int]:
    """(deliveries found, jobs found) for the accepted delivery ids, read from the server's database."""
    import sqlalchemy as sa

    from orchestrator.store import open_store
    from orchestrator.store.jobs import JobQueue, server_deliveries, server_jobs

    store = open_store(None, repo)
    JobQueue(store)
    wanted = {f"github:{d}" for d in accepted}
    with store.transaction(write=False) as conn:
        deliveries = {row[0] for row in conn.execute(sa.select(server_deliveries.c.id))}
        jobs = {row[0] for row in conn.execute(sa.select(server_jobs.c.delivery).where(
            server_jobs.c.status == "queued"))}
    store.close()
    return len(wanted & deliveries), len(wanted & jobs)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to tell the server's cost from a busy machine's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="stop after this long (max 30 s by default)")
    parser.add_argument("--count", type=int, default=10000, help="stop after this many deliveries")
    parser.add_argument("--concurrency", type=int, default=4, help="connections sending at once")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
        repo = make_repo(Path(tmp))
        port = free_port()
        server = start_server(repo, port)
        try:
            server_cpu_before = cpu_seconds(server.pid)
            client_cpu_before = time.process_time()
            started = time.perf_counter()
            latencies, accepted, failures = asyncio.run(load(port, seconds=args.seconds, count=args.count,
                                                             concurrency=args.concurrency))
            wall = time.perf_counter() - started
            server_cpu = cpu_seconds(server.pid) - server_cpu_before
            client_cpu = time.process_time() - client_cpu_before
        finally:
            server.terminate()
            server.wait(20)
        found_deliveries, found_jobs = verify(repo, accepted)
    rate = len(accepted) / wall if wall else 0.0
    p50 = percentile(latencies, 0.50) * 1000 if latencies else float("nan")
    p99 = percentile(latencies, 0.99) * 1000 if latencies else float("nan")
    mean = statistics.fmean(latencies) * 1000 if latencies else float("nan")
    per = max(1, len(accepted) + failures)
    n = len(accepted)
    print(f"deliveries accepted: {n} in {wall:.1f} s ({failures} not accepted), concurrency {args.concurrency}")
    print(f"accepted per second: {rate:.0f}   (target >= {RATE_TARGET:.0f})")
    print(f"latency of the 202:  p50 {p50:.1f} ms, p99 {p99:.1f} ms, mean {mean:.1f} ms"
          f"   (target p99 < {P99_TARGET_MS:.0f} ms)")
    print(f"CPU per delivery:    server {server_cpu / per * 1000:.2f} ms, load generator "
          f"{client_cpu / per * 1000:.2f} ms ({os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f})")
    print(f"in the queue:        {found_deliveries} of {n} deliveries, {found_jobs} of {n} jobs")
    ok = (rate >= RATE_TARGET and p99 < P99_TARGET_MS and failures == 0
          and found_deliveries == found_jobs == len(accepted))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
