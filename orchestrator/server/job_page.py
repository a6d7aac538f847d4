"""Each job's own address on the server: the "Details" link of the statuses its run posts.

A status is posted while its job runs, before a deploy or drift run has its id, so the link
names the job: `/jobs/<id>` sends the browser on to the run's page once the job has one, and
otherwise (a preview, which records no run) answers the job itself as JSON, redacted.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from orchestrator.redact import Redactor
from orchestrator.store.jobs import JobQueue

PUBLIC_URL_ENV = "ORCHESTRATOR_PUBLIC_URL"
# Job ids are 64-bit database integers; a larger number in the address names no job (a 404),
# and must not reach the database driver, which cannot bind it.
MAX_JOB_ID = 2**63 - 1


def job_url(public_url: str | None, job_id: int) -> str | None:
    """The job's page as seen from outside (None when the server's public address is not configured)."""
    return f"{public_url.rstrip('/')}/jobs/{job_id}" if public_url else None


def job_routes(queue: JobQueue) -> list[BaseRoute]:
    async def job(request: Request) -> Response:
        job_id = int(request.path_params["job_id"])
        found = await run_in_threadpool(queue.get, job_id) if job_id <= MAX_JOB_ID else None
        if found is None:
            return JSONResponse({"error": f"there is no job {job_id}"}, status_code=404)
        run_id = (found.result or {}).get("run_id")
        if isinstance(run_id, str) and run_id:
            return RedirectResponse(f"/runs/{run_id}", status_code=303)
        return JSONResponse(Redactor().value(found.to_json()))

    return [Route("/jobs/{job_id:int}", job)]
