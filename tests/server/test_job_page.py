"""`/jobs/<id>`: where the statuses a server job posts link to ("Details")."""

from __future__ import annotations

from starlette.testclient import TestClient

from orchestrator.server.app import Server, create_app
from orchestrator.server.job_page import job_url
from orchestrator.store.job_model import JobSpec, WorkerId


def test_the_job_link_names_the_job_under_the_public_address() -> None:
    assert job_url("https://orchestrator.example/", 12) == "https://orchestrator.example/jobs/12"
    assert job_url(None, 12) is None


def test_a_job_page_leads_to_its_run_or_shows_the_job(server: Server) -> None:
    queue = server.queue
    deploy, preview = queue.enqueue(
        [JobSpec(kind="deploy", key="branch:main", payload={"branch": "main"}),
         JobSpec(kind="preview", key="pr:7", payload={"pr": 7, "author": "alice"})],
        source="github",
    ).job_ids
    worker = WorkerId.for_thread(0)
    for _ in range(2):
        claimed = queue.claim(worker, lease_s=60)
        assert claimed is not None
        result = {"run_id": "run-abc"} if claimed.id == deploy else {"pr": 7, "stacks": 2}
        queue.finish(claimed.id, worker, "succeeded", result=result)

    with TestClient(create_app(server, manage_services=False)) as http:
        to_run = http.get(f"/jobs/{deploy}", follow_redirects=False)
        shown = http.get(f"/jobs/{preview}")
        missing = http.get("/jobs/999999")
        past_64_bits = http.get("/jobs/99999999999999999999")
    assert (to_run.status_code, to_run.headers["location"]) == (303, "/runs/run-abc")
    assert shown.status_code == 200
    assert shown.json()["kind"] == "preview" and shown.json()["result"] == {"pr": 7, "stacks": 2}
    assert missing.status_code == 404
    # A number no database integer holds names no job either: 404, not a 500 from the driver.
    assert (past_64_bits.status_code, past_64_bits.json()) == (404, {"error": "there is no job 99999999999999999999"})
