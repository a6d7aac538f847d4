"""Review stacks in server mode: the worker runs `up` after a pull request's preview (opened,
synchronize, reopened) and `down` when it is closed or merged; a maintainer's `/orchestrator
preview` on an untrusted author's pull request runs that preview but makes no review stacks; the
sweeper queues the sweep only when a review environment expired or waits for a retried destroy;
the dashboard lists the review environments with their pull requests, a failed destroy first and
flagged until it succeeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from orchestrator.sandbox import InProcessSandbox
from orchestrator.server.app import ServerOptions, build_server, create_app
from orchestrator.server.dispatch import FlowRunner
from orchestrator.server.scheduler import ReviewSweeper, review_sweep_due
from orchestrator.store.job_model import Job
from orchestrator.store.jobs import JobQueue
from orchestrator.store.review import ReviewStack, ReviewStore
from orchestrator.vcs.github import GitHubClient
from tests.support.github_standin import GitHubStandIn
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import TRUSTED
from tests.support.review_repo import BASE, open_pull_request, queue_names, state_file

MARKER = "<!-- orchestrator:preview -->"


def job(kind: str, payload: dict[str, Any]) -> Job:
    return Job(id=1, kind=kind, key=f"pr:{payload.get('pr')}", status="running", source="github",  # type: ignore[arg-type]
               payload=payload, created_at=datetime.now(UTC))


def test_the_worker_runs_up_after_the_preview_and_down_on_close(repo: InfraRepo, sandbox: InProcessSandbox,
                                                                 github_standin: GitHubStandIn) -> None:
    head = open_pull_request(repo, "audit-server", {"stacks/audit/__main__.py": ("env)", "env, Review='srv')")})
    number = github_standin.add_pull(number=71, author=TRUSTED, head_sha=head, head_ref="audit-server",
                                     base_ref=BASE, base_sha=repo.sha(BASE))
    client = GitHubClient(github_standin.full_name, github_standin.token, api_url=github_standin.base_url)
    runner = FlowRunner(repo=repo.root, store=repo.open_store(), vcs_factory=lambda settings, provider, url: client)
    # The payload events.py makes of a pull_request `opened` delivery.
    opened = runner(job("preview", {"pr": number, "base_ref": BASE, "base_sha": repo.sha(BASE),
                                    "head_ref": "audit-server", "head_sha": head, "author": TRUSTED,
                                    "from_fork": False, "repo": github_standin.full_name}))
    assert opened.status == "succeeded", opened.error
    assert opened.result is not None and opened.result["review"]["environments"] == {"dev": "up"}
    assert state_file(repo, "audit", "pr-71").exists()
    body = next(c["body"] for c in github_standin.comments(number) if MARKER in c["body"])
    assert "Preview for dev" in body and "Review environment: dev, pull request #71" in body

    closed = runner(job("unlock", {"pr": number, "reason": "merged"}))
    assert closed.status == "succeeded", closed.error
    assert closed.result is not None and closed.result["review"]["environments"] == {"dev": "destroyed"}
    assert not state_file(repo, "audit", "pr-71").exists()
    assert [q for q in queue_names(sandbox) if "pr-71" in q] == []
    body = next(c["body"] for c in github_standin.comments(number) if MARKER in c["body"])
    assert "Preview for dev" in body and "Destroyed (the pull request was merged)" in body
    runner.store.close()


def test_a_maintainers_preview_comment_approves_the_preview_never_review_stacks(
        repo: InfraRepo, sandbox: InProcessSandbox, github_standin: GitHubStandIn) -> None:
    # An author outside `trust` (no permission, not listed): a trusted maintainer's
    # `/orchestrator preview` runs that one preview; review stacks would keep running later pushes.
    head = open_pull_request(repo, "drive-by", {"stacks/audit/__main__.py": ("env)", "env, Review='drive-by')")})
    number = github_standin.add_pull(number=72, author="drive-by", head_sha=head, head_ref="drive-by",
                                     base_ref=BASE, base_sha=repo.sha(BASE))
    client = GitHubClient(github_standin.full_name, github_standin.token, api_url=github_standin.base_url)
    runner = FlowRunner(repo=repo.root, store=repo.open_store(), vcs_factory=lambda settings, provider, url: client)
    try:
        # The payload events.py makes of an issue_comment `/orchestrator preview` by a maintainer.
        done = runner(job("comment", {"pr": number, "command": "preview", "commenter": TRUSTED,
                                      "repo": github_standin.full_name}))
        assert done.status == "succeeded", done.error
        assert done.result is not None and done.result["trusted"] is True and done.result["stacks"] == 1
        assert done.result["review"]["environments"] == {"dev": "not_trusted"}
        assert not state_file(repo, "audit", "pr-72").exists()
        assert [q for q in queue_names(sandbox) if "pr-72" in q] == []
        body = next(c["body"] for c in github_standin.comments(number) if MARKER in c["body"])
        assert "Preview for dev" in body and "Not created:" in body
        assert [d for d in github_standin.deployments() if d["environment"] == "review/pr-72"] == []
    finally:
        runner.store.close()


def test_the_sweeper_queues_the_sweep_when_something_is_due(repo: InfraRepo) -> None:
    store = repo.open_store()
    reviews, queue = ReviewStore(store), JobQueue(store)
    t0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    reviews.claim("dev", 81, head="a" * 40, max_active=99, now=t0, branch=BASE)
    reviews.finish_up("dev", 81, ok=True, now=t0)
    now = [t0 + timedelta(hours=1)]
    sweeper = ReviewSweeper(queue, review_sweep_due(repo.root, store), clock=lambda: now[0])
    assert sweeper.tick() is None  # dev's ttl is 2h: nothing is due yet
    now[0] = t0 + timedelta(hours=2, minutes=1)
    first = sweeper.tick()
    assert first is not None and sweeper.tick() is None  # once per slot
    queued = queue.get(first)
    assert queued is not None and (queued.kind, queued.key, queued.payload["action"]) == ("review", "review-sweep",
                                                                                           "sweep")
    reviews.finish_down("dev", 81, ok=True, now=now[0])
    now[0] += timedelta(minutes=10)
    assert sweeper.tick() is None  # destroyed: nothing left to do
    store.close()


def test_the_dashboard_lists_review_stacks_a_failed_destroy_first(repo: InfraRepo) -> None:
    server = build_server(ServerOptions(repo=repo.root, workers=0, scheduler=False), secret=b"s" * 32)
    reviews = ReviewStore(server.store)
    t0 = datetime.now(UTC)
    hostile = '<script>alert("x")</script>'
    reviews.claim("dev", 91, head="b" * 40, max_active=99, now=t0, branch=BASE, title=f"Feature {hostile}")
    reviews.record_stack("dev", 91, ReviewStack(project="network", stack_name="pr-91", status="up", head="b" * 40,
                                                updated_at=t0, outputs={"url": "https://pr-91.app.example/",
                                                                        "note": hostile}))
    reviews.finish_up("dev", 91, ok=True, now=t0)
    reviews.claim("dev", 92, head="c" * 40, max_active=99, now=t0, branch=BASE)
    reviews.finish_down("dev", 92, ok=False, now=t0, error="audit/pr-92: AccessDenied")
    with TestClient(create_app(server, manage_services=False)) as client:
        page = client.get("/reviews")
    assert page.status_code == 200
    html = page.text
    assert 'id="destroy-failed"' in html and "1 review environment(s) could not be destroyed" in html
    assert html.index('data-pr="92"') < html.index('data-pr="91"')
    assert "1 attempt(s): audit/pr-92: AccessDenied" in html
    assert '<a href="https://pr-91.app.example/" rel="noopener noreferrer nofollow">' in html
    assert hostile not in html and "&lt;script&gt;" in html
    assert '<a href="/reviews" class="active">Reviews</a>' in html
    server.store.close()
