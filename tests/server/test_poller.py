"""Pull mode against a local bare repository as the remote, which a test makes unreachable and back."""

from __future__ import annotations

import subprocess
from pathlib import Path

from starlette.testclient import TestClient

from orchestrator.git import mask_urls
from orchestrator.sandbox import InProcessSandbox
from orchestrator.server.app import create_app
from orchestrator.server.dispatch import FlowRunner
from orchestrator.server.poller import Poller
from orchestrator.store.jobs import JobQueue
from tests.deploy.conftest import sandbox  # noqa: F401  (a fixture)
from tests.support.deliveries import make_server
from tests.support.gitrepo import InfraRepo
from tests.support.sandbox import aws_client


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args], cwd=cwd,
                          check=True, capture_output=True, text=True)
    return done.stdout.strip()


def setup(infra: InfraRepo, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A bare remote seeded from `infra`, a developer's clone pushing to it, and the server's clone."""
    remote = tmp_path / "remote.git"
    git("clone", "-q", "--bare", str(infra.root), str(remote), cwd=tmp_path)
    dev = tmp_path / "dev"
    git("clone", "-q", str(remote), str(dev), cwd=tmp_path)
    served = tmp_path / "served"
    git("clone", "-q", str(remote), str(served), cwd=tmp_path)
    return remote, dev, served


def push_commit(dev: Path, name: str, branch: str = "main") -> str:
    (dev / f"{name}.txt").write_text(name)
    git("add", "-A", cwd=dev)
    git("commit", "-q", "-m", name, cwd=dev)
    git("push", "-q", "origin", f"HEAD:{branch}", cwd=dev)
    return git("rev-parse", "HEAD", cwd=dev)


def deploys(queue: JobQueue) -> list[tuple[str, str, str, str]]:
    return [(j.payload["branch"], j.payload["before"], j.payload["after"], j.payload["flow"])
            for j in sorted(queue.jobs(kind="deploy"), key=lambda j: j.id)]


def test_pull_mode_reconciles_each_tracked_branch_to_its_tip_and_catches_up_after_an_outage(
    infra: InfraRepo, tmp_path: Path
) -> None:
    remote, dev, served = setup(infra, tmp_path)
    server = make_server(InfraRepo(served), poll_s=3600)
    poller = server.poller
    assert poller is not None
    start = git("rev-parse", "HEAD", cwd=dev)
    push_commit(dev, "feature", branch="feature")  # no environment tracks it
    git("reset", "-q", "--hard", start, cwd=dev)
    # The first round reconciles what it finds: stacks already at the tip are no-ops then.
    assert len(poller.poll_once()) == 1
    assert deploys(server.queue) == [("main", "", start, "reconcile")]
    assert server.queue.poll_heads()["main"] == start
    assert poller.poll_once() == []  # nothing new: nothing queued

    one = push_commit(dev, "one")
    assert len(poller.poll_once()) == 1
    assert deploys(server.queue)[1:] == [("main", start, one, "reconcile")]

    # The remote goes away: nothing is queued, nothing forgotten, the outage is visible.
    hidden = remote.with_name("remote-away.git")
    remote.rename(hidden)
    assert poller.poll_once() == []
    status = poller.status()
    assert status.up is False and status.consecutive_failures == 1 and status.last_error
    assert server.queue.poll_heads()["main"] == one
    assert git("rev-parse", "origin/main", cwd=served) == one
    with TestClient(create_app(server, manage_services=False)) as client:
        assert "orchestrator_poll_remote_up 0.0" in client.get("/metrics").text
        assert "orchestrator_poll_failures_total 1.0" in client.get("/metrics").text
        assert client.get("/status").json()["poll"]["up"] is False

    # Commits pushed during the outage...
    hidden.rename(remote)
    push_commit(dev, "two")
    three = push_commit(dev, "three")
    remote.rename(hidden)
    assert poller.poll_once() == []
    hidden.rename(remote)
    # ...are covered by one reconcile to the tip when it is back (each stack is planned from
    # the commit it last applied, so "two" is not lost: see tests/deploy/test_level_triggered.py).
    assert len(poller.poll_once()) == 1
    assert deploys(server.queue)[2:] == [("main", one, three, "reconcile")]
    assert poller.status().up is True and poller.status().consecutive_failures == 0
    with TestClient(create_app(server, manage_services=False)) as client:
        assert "orchestrator_poll_remote_up 1.0" in client.get("/metrics").text
    assert poller.poll_once() == []  # nothing new: nothing queued


def test_a_polled_reconcile_deploys_every_commit_pushed_since_in_one_run(
    infra: InfraRepo, tmp_path: Path, sandbox: InProcessSandbox  # noqa: F811
) -> None:
    """The jobs pull mode queues, run by the server's FlowRunner with the local engine; the cloud
    (moto) read with boto3."""
    _remote, dev, served = setup(infra, tmp_path)
    server = make_server(InfraRepo(served), poll_s=3600)
    assert server.poller is not None
    run_job = FlowRunner(repo=served, store=server.store)
    [first] = server.poller.poll_once()
    job = server.queue.get(first)
    assert job is not None and run_job(job).status == "succeeded"  # never deployed: all of it

    developer = InfraRepo(dev)
    developer.replace("stacks/network/__main__.py", 'Component="events"', 'Component="events", Tier="batch"')
    developer.commit("network: batch tier")
    developer.replace("stacks/network/__main__.py", "or 60,", "or 75,")
    tip = developer.commit("network: 75 s")
    developer.git("push", "-q", "origin", "HEAD:main")

    [second] = server.poller.poll_once()  # two commits, one reconcile
    job = server.queue.get(second)
    assert job is not None
    outcome = run_job(job)

    assert outcome.status == "succeeded", outcome.error
    run = next(r for r in server.store.runs() if r.id == outcome.result["run_id"])
    assert (run.flow, run.commit) == ("reconcile", tip)
    client = aws_client("sqs", sandbox.endpoint)
    [url] = client.list_queues(QueueNamePrefix="qa-network-events")["QueueUrls"]
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "75" and client.list_queue_tags(QueueUrl=url)["Tags"]["Tier"] == "batch"


def test_two_pollers_sharing_a_database_queue_each_commit_once(infra: InfraRepo, tmp_path: Path) -> None:
    remote, dev, served = setup(infra, tmp_path)
    other = tmp_path / "served2"
    git("clone", "-q", str(remote), str(other), cwd=tmp_path)
    store = make_server(InfraRepo(served)).store
    first = Poller(served, JobQueue(store), interval_s=60)
    second = Poller(other, JobQueue(store), interval_s=60)
    assert len(first.poll_once()) + len(second.poll_once()) == 1
    push_commit(dev, "one")
    assert len(first.poll_once()) + len(second.poll_once()) == 1


def test_credentials_in_remote_urls_are_masked() -> None:
    assert mask_urls("fatal: unable to access 'https://bot:ghp_secret@github.com/a/b/'") == (
        "fatal: unable to access 'https://***@github.com/a/b/'")
