"""The child process that runs one stack operation: `python -m orchestrator.engines.local.child JOB.json`.

One program per process: the SDK keeps global state and the program's modules stay cached.
The job file says what to run (`job.py`); the result is written as JSON to `result_path`;
progress events go to stdout as JSON lines (the program's own prints are sent to stderr).
The operations themselves are in `operations.py`.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

from orchestrator.engines.local.child_io import Events, die_with_parent, split_stdout, write_result
from orchestrator.engines.local.job import Job, JobResult
from orchestrator.engines.local.operations import run_job
from orchestrator.errors import UserError


def main(argv: list[str]) -> int:
    die_with_parent()
    job = Job.from_json(json.loads(Path(argv[1]).read_text()))
    emit = Events(split_stdout())
    started = time.monotonic()
    try:
        result = run_job(job, emit)
    except UserError as exc:
        result = JobResult.failed(job.operation, str(exc))
    except Exception:
        result = JobResult.failed(job.operation, "internal error in the local engine:\n" + traceback.format_exc())
    write_result(job.result_path, replace(result, duration_s=time.monotonic() - started))
    sys.stdout.flush()
    # Skip interpreter teardown: SDK threads may linger, and nothing is left to flush.
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
