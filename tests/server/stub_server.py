"""A real server process (uvicorn, the app, the queue, the workers) whose flow is a stub that
records each job's start and end in a log file: for the crash and scale-out tests.

    python -m tests.server.stub_server REPO PORT LOG DATABASE_URL WORKERS JOB_SECONDS
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from orchestrator.server.app import ServerOptions, build_server, run_server
from orchestrator.server.worker import JobOutcome
from orchestrator.store.job_model import Job
from tests.support.deliveries import SECRET


def record(log: Path, event: str, job: Job) -> None:
    line = f"{event} {job.id} {job.key} {os.getpid()} {time.time():.6f}\n".encode()
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def main() -> None:
    repo, port, log, database_url, workers, job_seconds = sys.argv[1:7]

    def runner(job: Job) -> JobOutcome:
        record(Path(log), "start", job)
        time.sleep(float(job_seconds))
        record(Path(log), "done", job)
        return JobOutcome("succeeded", {"pid": os.getpid()})

    options = ServerOptions(repo=Path(repo), port=int(port), workers=int(workers), scheduler=False,
                            lease_s=3.0, idle_s=0.2)
    server = build_server(options, secret=SECRET, runner=runner, database_url=database_url or None)
    run_server(server, log_level="warning")


if __name__ == "__main__":
    main()
