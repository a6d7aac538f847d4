"""Workers: jobs from a delivery run to their recorded outcome; the FlowRunner's own decisions
(untracked branches, PR locks, who may use comment commands) on a real repository and store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from orchestrator.errors import UserError
from orchestrator.server.app import create_app
from orchestrator.server.dispatch import FlowRunner
from orchestrator.server.worker import JobOutcome
from orchestrator.store.job_model import Job, JobSpec
from orchestrator.vcs.github import GitHubClient
from tests.support.deliveries import make_server, send_github
from tests.support.github_standin import GitHubStandIn
from tests.support.gitrepo import InfraRepo
from tests.support.webhooks import schema_errors, webhook_examples


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def branch_push(after: str) -> dict[str, Any]:
    payload = next(p for _, p in webhook_examples("push") if p["ref"].startswith("refs/heads/"))
    payload["after"] = after
    payload["head_commit"]["id"] = after
    assert schema_errors("push", payload) == []
    return payload


def test_delivered_jobs_run_and_their_outcome_is_recorded(infra: InfraRepo) -> None:
    seen: list[Job] = []
    same_key_overlap = threading.Event()
    running: set[str] = set()
    lock = threading.Lock()

    def runner(job: Job) -> JobOutcome:
        with lock:
            if job.key in running:
                same_key_overlap.set()
            running.add(job.key)
        time.sleep(0.05)
        with lock:
            running.discard(job.key)
            seen.append(job)
        if job.commit == "e" * 40:
            raise RuntimeError("the flow blew up")
        if job.commit == "d" * 40:
            return JobOutcome("failed", error="2 stack(s) failed")
        return JobOutcome("succeeded", {"commit": job.commit})

    server = make_server(infra, runner=runner, workers=3, idle_s=0.2)
    with TestClient(create_app(server)) as client:
        ids = [send_github(client, "push", branch_push(sha * 40)).json()["jobs"][0] for sha in "abcde"]
        wait_for(lambda: server.queue.counts()["queued"] + server.queue.counts()["running"] == 0)
        metrics = client.get("/metrics").text
    jobs = {j.id: j for j in server.queue.jobs()}
    assert [jobs[i].status for i in ids] == ["succeeded", "succeeded", "succeeded", "failed", "failed"]
    assert jobs[ids[0]].result == {"commit": "a" * 40}
    assert jobs[ids[3]].error == "2 stack(s) failed"
    assert "RuntimeError: the flow blew up" in (jobs[ids[4]].error or "")
    assert [j.commit for j in seen] == [c * 40 for c in "abcde"]  # one branch: in order, one at a time
    assert not same_key_overlap.is_set()
    assert 'orchestrator_jobs_finished_total{kind="deploy",status="succeeded"} 3.0' in metrics
    assert 'orchestrator_jobs_failed_total{kind="deploy"} 2.0' in metrics
    assert 'orchestrator_job_duration_seconds_count{kind="deploy"} 5.0' in metrics


# --------------------------------------------------------------------------- FlowRunner decisions


def job(kind: str, payload: dict[str, Any], source: str = "github") -> Job:
    from datetime import UTC, datetime

    return Job(id=1, kind=kind, key="k", status="running", source=source, payload=payload,  # type: ignore[arg-type]
               created_at=datetime.now(UTC))


def test_a_push_to_a_branch_no_environment_tracks_is_skipped(infra: InfraRepo) -> None:
    infra.git("checkout", "-q", "-b", "feature")
    infra.write("notes.txt", "hello\n")
    sha = infra.commit("a feature commit")
    store = infra.open_store()
    outcome = FlowRunner(repo=infra.root, store=store)(
        job("deploy", {"branch": "feature", "before": "0" * 40, "after": sha, "pusher": "dev"}))
    assert outcome.status == "skipped"
    assert "no environment tracks branch feature" in (outcome.error or "")
    assert store.runs() == []  # nothing was started


def test_a_push_of_a_commit_the_clone_lacks_fails_clearly(infra: InfraRepo) -> None:
    outcome = FlowRunner(repo=infra.root, store=infra.open_store())(
        job("deploy", {"branch": "main", "before": "", "after": "ab" * 20, "pusher": "dev"}))
    assert outcome.status == "failed"
    assert "not in the clone" in (outcome.error or "")


def test_closing_a_pr_releases_its_locks(infra: InfraRepo) -> None:
    store = infra.open_store()
    assert store.acquire_lock("network/qa", holder="pr 9", run_id="r9", commit="a" * 40, ttl_s=600, purpose="pr",
                              pr=9)
    assert store.acquire_lock("network/uat", holder="deploy", run_id="r1", commit="a" * 40, ttl_s=600)
    outcome = FlowRunner(repo=infra.root, store=store)(job("unlock", {"pr": 9, "reason": "merged"}))
    assert outcome.status == "succeeded" and outcome.result["released"] == ["network/qa"]
    assert [lease.stack for lease in store.locks()] == ["network/uat"]
    assert store.audit_log(limit=1)[0].action == "lock.released"


@pytest.fixture
def standin_runner(infra: InfraRepo, github_standin: GitHubStandIn) -> FlowRunner:
    client = GitHubClient(github_standin.full_name, github_standin.token, api_url=github_standin.base_url)
    return FlowRunner(repo=infra.root, store=infra.open_store(), vcs_factory=lambda settings, provider, run_url: client)


@pytest.mark.parametrize("command", ["unlock", "deploy"])
def test_comment_commands_from_untrusted_users_are_refused(
    infra: InfraRepo, github_standin: GitHubStandIn, standin_runner: FlowRunner, command: str
) -> None:
    number = github_standin.add_pull(author="outsider", head_sha=infra.sha(), base_ref="main", merged=True)
    github_standin.set_permission("outsider", "read")
    store = standin_runner.store
    store.acquire_lock("network/qa", holder="pr", run_id="r", commit="a" * 40, ttl_s=600, purpose="pr", pr=number)
    outcome = standin_runner(job("comment", {"pr": number, "command": command, "commenter": "outsider"}))
    assert outcome.status == "skipped"
    assert "refused" in (outcome.error or "") and "read permission" in (outcome.error or "")
    assert [lease.stack for lease in store.locks()] == ["network/qa"]
    assert store.runs() == []


def test_unlock_by_a_trusted_user(infra: InfraRepo, github_standin: GitHubStandIn,
                                  standin_runner: FlowRunner) -> None:
    number = github_standin.add_pull(author="someone", head_sha=infra.sha(), base_ref="main")
    store = standin_runner.store
    store.acquire_lock("network/qa", holder="pr", run_id="r", commit="a" * 40, ttl_s=600, purpose="pr", pr=number)
    # platform-lead is in the repository's trust.users
    outcome = standin_runner(job("comment", {"pr": number, "command": "unlock", "commenter": "platform-lead"}))
    assert outcome.status == "succeeded", outcome.error
    assert store.locks() == []
    assert store.audit_log(limit=1)[0].actor == "platform-lead"


def test_deploy_command_on_an_open_pr_deploys_nothing(infra: InfraRepo, github_standin: GitHubStandIn,
                                                      standin_runner: FlowRunner) -> None:
    number = github_standin.add_pull(author="someone", head_sha=infra.sha(), base_ref="main")
    outcome = standin_runner(job("comment", {"pr": number, "command": "deploy", "commenter": "platform-lead"}))
    assert outcome.status == "skipped" and "not merged" in (outcome.error or "")


def test_drift_jobs_go_to_the_drift_runner(infra: InfraRepo) -> None:
    calls: list[str] = []

    def drift(repo: Any, environment: str, store: Any, vcs: Any) -> JobOutcome:
        calls.append(environment)
        return JobOutcome("succeeded", {"drift": False})

    links: list[str | None] = []

    def no_token(settings: Any, provider: str, run_url: str | None) -> Any:
        links.append(run_url)
        raise UserError("no GitHub token")  # drift still runs, without reporting to the VCS

    runner = FlowRunner(repo=infra.root, store=infra.open_store(), drift_runner=drift, vcs_factory=no_token,
                        public_url="https://orchestrator.example/")
    server = make_server(infra, runner=runner, workers=1, idle_s=0.1)
    server.start()
    try:
        [job_id] = server.queue.enqueue([JobSpec(kind="drift", key="branch:main", payload={"environment": "qa"})],
                                        source="schedule").job_ids
        server.wake(1)
        wait_for(lambda: (j := server.queue.get(job_id)) is not None and j.status == "succeeded")
    finally:
        server.stop()
    assert calls == ["qa"]
    assert links == [f"https://orchestrator.example/jobs/{job_id}"]  # the statuses' Details link


def test_on_start_the_stack_leases_of_a_dead_servers_runs_are_freed(infra: InfraRepo) -> None:
    import sqlalchemy as sa

    from orchestrator.store import schema

    store = infra.open_store()
    dead_run = store.start_run(flow="deploy", commit="a" * 40, branch="main", actor="server")
    live_run = store.start_run(flow="deploy", commit="a" * 40, branch="main", actor="server")
    with store.transaction(write=True) as conn:  # as if a killed server process had started it
        conn.execute(sa.update(schema.runs).where(schema.runs.c.id == dead_run.id).values(holder_pid=999_999_999))
    store.acquire_lock("network/qa", holder="dead", run_id=dead_run.id, commit="a" * 40, ttl_s=600)
    store.acquire_lock("network/uat", holder="alive", run_id=live_run.id, commit="a" * 40, ttl_s=600)
    server = make_server(infra, runner=lambda job: JobOutcome("succeeded"), workers=1)
    server.start()
    server.stop()
    assert [lease.stack for lease in store.locks()] == ["network/uat"]
