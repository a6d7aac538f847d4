"""The rules around review stacks, through the flows in-process (real Git, the real local engine on
moto, GitHub played by the validating stand-in): a fork gets nothing; a dependent's review stack
reads its upstream's review stack; `max_active` refuses a further pull request with a comment
until one is destroyed; the TTL counts from the last push; a failed `down` stays visible and is
retried by the sweep until it succeeds; a lease another run holds stops `up` (locked, nothing
deployed); a secret output shows as [secret] and its value reaches no comment, listing or store;
on GitLab (its stand-in) the merge request's note gets the section and a review app deployment
of the merge request's branch is made, then stopped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrator.engines.base import StackResult
from orchestrator.engines.local.engine import LocalEngine
from orchestrator.flows.locking import LockPolicy, holder_name, stack_lease
from orchestrator.flows.review import ReviewOutcome, ReviewRequest, run_review_down, run_review_up
from orchestrator.flows.review_sweep import listing, run_review_sweep
from orchestrator.models import StackSpec
from orchestrator.sandbox import InProcessSandbox
from orchestrator.store.review import ReviewStore
from orchestrator.store.sql import SqlStore
from orchestrator.vcs._http import RetryPolicy
from orchestrator.vcs.github import GitHubClient
from orchestrator.vcs.gitlab import GitLabClient
from tests.support.cli import run_cli
from tests.support.github_standin import GitHubStandIn
from tests.support.gitlab_standin import PROJECT as GITLAB_PROJECT
from tests.support.gitlab_standin import GitLabStandIn
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import TRUSTED
from tests.support.review_repo import (
    AUTHOR,
    BASE,
    actions_env,
    open_pull_request,
    pull_request_event,
    push,
    queue_names,
    queue_tags,
    state_file,
)
from tests.support.sandbox import aws_client

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MARKER = "<!-- orchestrator:preview -->"


@pytest.fixture
def store(repo: InfraRepo) -> Iterator[SqlStore]:
    opened = repo.open_store()
    yield opened
    opened.close()


def client(standin: GitHubStandIn) -> GitHubClient:
    return GitHubClient(standin.full_name, standin.token, api_url=standin.base_url,
                        policy=RetryPolicy(max_attempts=2, base_delay=0.0), sleep=lambda _: None)


def request(repo: InfraRepo, pr: int, head: str, **fields: object) -> ReviewRequest:
    return replace(ReviewRequest(repo=repo.root, pr=pr, base=BASE, head=head, author=TRUSTED), **fields)  # type: ignore[arg-type]


def comment(standin: GitHubStandIn, pr: int) -> str:
    return next(str(c["body"]) for c in standin.comments(pr) if MARKER in c["body"])


def states(outcome: ReviewOutcome) -> list[str]:
    return [e.state for e in outcome.environments]


def test_a_fork_gets_no_review_stacks(repo: InfraRepo, sandbox: InProcessSandbox, github_standin: GitHubStandIn,
                                      tmp_path: Path) -> None:
    head = open_pull_request(repo, "fork-change", {"stacks/audit/__main__.py": ("env)", "env, X='1')")})
    github_standin.add_pull(number=31, author=AUTHOR, head_sha=head, head_ref="fork-change", base_ref=BASE,
                            base_sha=repo.sha(BASE), from_fork=True)
    github_standin.set_permission(AUTHOR, "admin")  # even an admin's fork: its code never runs with our credentials
    event = pull_request_event(tmp_path, github_standin, "opened", number=31, head_sha=head, base_sha=repo.sha(BASE),
                               head_ref="fork-change", fork=True)
    done = run_cli(repo, "review", "up", "--ci", "github", "--json",
                   env=actions_env(github_standin, event, tmp_path / "summary.md"))
    assert done.code == 0, done.text
    outcome = done.json()
    assert outcome["trusted"] is False and outcome["trust_reason"] == "the pull request comes from a fork"
    assert [e["state"] for e in outcome["environments"]] == ["not_trusted"]
    assert not state_file(repo, "audit", "pr-31").exists()
    assert [q for q in queue_names(sandbox) if "pr-31" in q] == []
    assert "Not created: the pull request comes from a fork" in comment(github_standin, 31)
    assert github_standin.deployments() == []


def test_a_dependent_reads_its_upstreams_review_stack(repo: InfraRepo, sandbox: InProcessSandbox,
                                                      store: SqlStore) -> None:
    head = open_pull_request(repo, "events-timeout", {"stacks/network/__main__.py": ("or 60", "or 90")})
    outcome = run_review_up(request(repo, 32, head), store, None)
    assert states(outcome) == ["up"], outcome.to_json()
    assert list(outcome.results) == ["network/pr-32", "data/pr-32", "app/pr-32"]  # waves: upstreams first
    network = repo.outputs("network", "pr-32")
    urls = aws_client("sqs", sandbox.endpoint).list_queues()["QueueUrls"]
    records = next(u for u in urls if "pr-32-data-records" in u)
    assert queue_tags(sandbox, records)["Upstream"] == network["queue_arn"]
    assert network["queue_arn"] != repo.outputs("network", "dev")["queue_arn"]
    reads = {s.id: s.reads for s in outcome.environments[0].stacks}
    assert reads == {"network/pr-32": {}, "data/pr-32": {"network": "pr-32"}, "app/pr-32": {"data": "pr-32"}}

    # A later push that no longer touches network keeps network/pr-32, so data keeps reading it.
    pushed = push(repo, "events-timeout", "stacks/network/__main__.py", "or 90", "or 60")
    again = run_review_up(request(repo, 32, pushed), store, None)
    assert list(again.results) == ["network/pr-32", "data/pr-32", "app/pr-32"]
    assert queue_tags(sandbox, records)["Upstream"] == network["queue_arn"]

    down = run_review_down(request(repo, 32, pushed), store, None)
    assert states(down) == ["destroyed"] and list(down.results) == ["app/pr-32", "data/pr-32", "network/pr-32"]
    assert [q for q in queue_names(sandbox) if "pr-32" in q] == []


def test_max_active_refuses_a_further_pull_request_until_one_is_destroyed(
        repo: InfraRepo, sandbox: InProcessSandbox, store: SqlStore, github_standin: GitHubStandIn) -> None:
    repo.replace("environments/dev.yaml", "max_active: 5", "max_active: 1")
    repo.commit("dev: one review environment at a time")
    try:
        first = open_pull_request(repo, "audit-a", {"stacks/audit/__main__.py": ("env)", "env, Review='a')")})
        second = open_pull_request(repo, "audit-b", {"stacks/audit/__main__.py": ("env)", "env, Review='b')")})
        for number, head, branch in ((41, first, "audit-a"), (42, second, "audit-b")):
            github_standin.add_pull(number=number, author=TRUSTED, head_sha=head, head_ref=branch, base_ref=BASE)
        vcs = client(github_standin)
        assert states(run_review_up(request(repo, 41, first), store, vcs)) == ["up"]
        refused = run_review_up(request(repo, 42, second), store, vcs)
        assert states(refused) == ["refused"] and refused.exit_code == 0 and refused.results == {}
        assert not state_file(repo, "audit", "pr-42").exists()
        text = comment(github_standin, 42)
        assert "Not created: dev allows 1 review environments at once and pull requests \\#41 hold them" in text
        assert "on the next push once one of them is closed or expires" in text

        assert states(run_review_down(request(repo, 41, first), store, vcs)) == ["destroyed"]
        assert states(run_review_up(request(repo, 42, second), store, vcs)) == ["up"]
        assert state_file(repo, "audit", "pr-42").exists()
        assert states(run_review_down(request(repo, 42, second), store, vcs)) == ["destroyed"]
    finally:
        repo.replace("environments/dev.yaml", "max_active: 1", "max_active: 5")
        repo.commit("dev: five review environments")


def test_the_ttl_counts_from_the_last_push(repo: InfraRepo, sandbox: InProcessSandbox, store: SqlStore,
                                           github_standin: GitHubStandIn) -> None:
    head = open_pull_request(repo, "audit-ttl", {"stacks/audit/__main__.py": ("env)", "env, Review='ttl')")})
    github_standin.add_pull(number=51, author=TRUSTED, head_sha=head, head_ref="audit-ttl", base_ref=BASE)
    vcs = client(github_standin)
    run_review_up(request(repo, 51, head), store, vcs, clock=lambda: T0)
    # A re-run at the same head an hour later does not restart the TTL; a push does.
    run_review_up(request(repo, 51, head), store, vcs, clock=lambda: T0 + timedelta(hours=1))
    assert ReviewStore(store).get("dev", 51).last_push_at == T0  # type: ignore[union-attr]
    pushed = push(repo, "audit-ttl", "stacks/audit/__main__.py", "Review='ttl'", "Review='ttl2'")
    run_review_up(request(repo, 51, pushed), store, vcs, clock=lambda: T0 + timedelta(hours=1, minutes=30))

    listed_cli = run_cli(repo, "review", "list", "--json")
    assert listed_cli.code == 0, listed_cli.text
    [row] = [r for r in listed_cli.json()["reviews"] if r["pr"] == 51]
    assert (row["environment"], row["status"], row["head"]) == ("dev", "up", pushed)
    assert row["last_push_at"] == (T0 + timedelta(hours=1, minutes=30)).isoformat()
    assert [(st["id"], sorted(st["outputs"])) for st in row["stacks"]] == [("audit/pr-51", ["trail_arn"])]
    text = run_cli(repo, "review", "list")
    assert text.code == 0 and f"#51 dev: up, {pushed[:12]}" in text.stdout and "audit/pr-51" in text.stdout

    # 2h after the first deploy it would have expired; counted from the push it has not.
    early = run_review_sweep(repo.root, store, vcs, clock=lambda: T0 + timedelta(hours=3))
    assert early.downs == () and state_file(repo, "audit", "pr-51").exists()
    listed = listing(ReviewStore(store).live("dev"), _config(repo), T0 + timedelta(hours=3))
    assert [(r["pr"], r["expires_in_s"]) for r in listed] == [(51, 1800)]

    late = run_review_sweep(repo.root, store, vcs, clock=lambda: T0 + timedelta(hours=3, minutes=31))
    assert [(d.pr, states(d)) for d in late.downs] == [(51, ["destroyed"])]
    assert not state_file(repo, "audit", "pr-51").exists()
    assert [q for q in queue_names(sandbox) if "pr-51" in q] == []
    assert "expired: no push for 2h; push again to re-create it" in comment(github_standin, 51)
    assert ReviewStore(store).get("dev", 51).status == "destroyed"  # type: ignore[union-attr]


class DestroyFails:
    """The local engine, except that destroys fail: the cloud API refused (say, a bucket in use)."""

    def __init__(self) -> None:
        self.inner = LocalEngine()

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def destroy(self, stack: StackSpec, *, preview_only: bool) -> StackResult:
        return StackResult(stack=stack.id, operation="destroy", status="failed",
                           error="AccessDenied: not allowed to delete the queue right now")


SECRET = "rev-token-5f0c1e9a"  # exported as a secret by the pull request below


def test_a_held_lease_stops_up_and_a_secret_output_is_never_shown(
        repo: InfraRepo, sandbox: InProcessSandbox, store: SqlStore, github_standin: GitHubStandIn) -> None:
    export = 'pulumi.export("trail_arn", trail.arn)'
    exported = f"{export}\npulumi.export(\"token\", pulumi.Output.secret({SECRET!r}))"
    head = open_pull_request(repo, "audit-secret", {"stacks/audit/__main__.py": (export, exported)})
    github_standin.add_pull(number=63, author=TRUSTED, head_sha=head, head_ref="audit-secret", base_ref=BASE)
    vcs = client(github_standin)
    holder = store.start_run(flow="deploy", commit=head, branch=BASE, actor="someone", pr=None,
                             environments=("dev",), details={})
    no_wait = LockPolicy(wait_s=0.0)

    # Another run holds the review stack's lease: up waits no longer than told, deploys nothing.
    with stack_lease(store, "audit/pr-63", holder=holder_name("deploy", holder.id, "someone"), run_id=holder.id,
                     commit=head, policy=no_wait):
        locked = run_review_up(request(repo, 63, head, locks=no_wait), store, vcs)
    assert states(locked) == ["failed"] and locked.exit_code == 1
    [result] = locked.results.values()
    assert result.status == "locked" and result.error is not None
    assert result.error.startswith(f"audit/pr-63 is locked by deploy run {holder.id} by someone")
    assert not state_file(repo, "audit", "pr-63").exists() and [q for q in queue_names(sandbox) if "pr-63" in q] == []
    store.finish_run(holder.id, "succeeded")

    # Released: up goes on; the secret output shows as [secret] in the comment and the listing,
    # and its value reaches neither them nor the store.
    done = run_review_up(request(repo, 63, head, locks=no_wait), store, vcs)
    assert states(done) == ["up"], [(r.status, r.error) for r in done.results.values()]
    text = comment(github_standin, 63)
    assert "`token`: `[secret]`" in text and "`trail_arn`: `arn:aws:sqs:" in text
    listed = run_cli(repo, "review", "list", "--json")
    assert listed.code == 0, listed.text
    [row] = [r for r in listed.json()["reviews"] if r["pr"] == 63]
    assert row["stacks"][0]["outputs"]["token"] == "[secret]"
    database = sorted((repo.root / ".orchestrator").glob("orchestrator.db*"))  # with its -wal, if any
    assert database and not [f.name for f in database if SECRET.encode() in f.read_bytes()]
    assert SECRET not in text and SECRET not in listed.text and SECRET not in json.dumps(done.to_json())
    assert states(run_review_down(request(repo, 63, head), store, vcs)) == ["destroyed"]


def test_on_gitlab_the_merge_request_note_and_a_review_app_deployment(
        repo: InfraRepo, sandbox: InProcessSandbox, store: SqlStore, gitlab: GitLabStandIn) -> None:
    head = open_pull_request(repo, "audit-gl", {"stacks/audit/__main__.py": ("env)", "env, Review='gl')")})
    gitlab.add_mr(64, author=TRUSTED, sha=head, target=BASE)
    gitlab.add_commit(head, "audit-gl")
    vcs = GitLabClient(GITLAB_PROJECT, gitlab.token, api_url=f"{gitlab.base_url}/api/v4",
                       policy=RetryPolicy(max_attempts=2, base_delay=0.0), sleep=lambda _: None)

    up = run_review_up(request(repo, 64, head, head_ref="audit-gl"), store, vcs)
    assert states(up) == ["up"], [(r.status, r.error) for r in up.results.values()]
    [note] = [n["body"] for n in gitlab.notes[64] if MARKER in n["body"]]
    assert "Review environment: dev, pull request #64" in note and "`trail_arn`: `arn:aws:sqs:" in note
    # GitLab's review app: a deployment to review/pr-64 of the merge request's branch.
    [deployment] = gitlab.deployments.values()
    assert (deployment["environment"], deployment["ref"], deployment["sha"]) == ("review/pr-64", "audit-gl", head)
    assert deployment["history"] == ["running", "success"]

    down = run_review_down(request(repo, 64, head, head_ref="audit-gl"), store, vcs)
    assert states(down) == ["destroyed"] and [q for q in queue_names(sandbox) if "pr-64" in q] == []
    assert deployment["history"] == ["running", "success", "canceled"]  # GitLab's word for inactive
    [note] = [n["body"] for n in gitlab.notes[64] if MARKER in n["body"]]
    assert "Destroyed (the pull request was closed)" in note and "trail_arn" not in note


def test_a_failed_down_is_shown_and_retried_until_it_succeeds(repo: InfraRepo, sandbox: InProcessSandbox,
                                                              store: SqlStore) -> None:
    head = open_pull_request(repo, "audit-stuck", {"stacks/audit/__main__.py": ("env)", "env, Review='stuck')")})
    run_review_up(request(repo, 61, head), store, None, clock=lambda: T0)
    failed = run_review_down(request(repo, 61, head), store, None, engine_factory=lambda _: DestroyFails(),
                             clock=lambda: T0 + timedelta(minutes=5))
    assert states(failed) == ["destroy_failed"] and failed.exit_code == 1
    record = ReviewStore(store).get("dev", 61)
    assert record is not None and record.status == "destroy_failed" and record.destroy_attempts == 1
    assert "AccessDenied" in (record.error or "")
    assert state_file(repo, "audit", "pr-61").exists()  # destroyed nothing, removed nothing

    retried = run_review_sweep(repo.root, store, None, clock=lambda: T0 + timedelta(minutes=10))
    assert [(d.pr, states(d)) for d in retried.downs] == [(61, ["destroyed"])]
    assert ReviewStore(store).get("dev", 61).status == "destroyed"  # type: ignore[union-attr]
    assert not state_file(repo, "audit", "pr-61").exists()
    assert [q for q in queue_names(sandbox) if "pr-61" in q] == []


def _config(repo: InfraRepo) -> object:
    from orchestrator.config.load import load_repository

    return load_repository(repo.root)


def test_down_without_the_head_commit_destroys_from_the_base_branch(repo: InfraRepo, sandbox: InProcessSandbox,
                                                                    store: SqlStore) -> None:
    # Merged with "delete branch": a fresh clone may not hold the pull request's head any more.
    head = open_pull_request(repo, "audit-gone", {"stacks/audit/__main__.py": ("env)", "env, Review='gone')")})
    run_review_up(request(repo, 63, head), store, None)
    gone = "f" * 40
    down = run_review_down(request(repo, 63, gone), store, None)
    assert states(down) == ["destroyed"] and down.head == repo.sha(BASE)
    assert down.notes == (f"the pull request's head {gone[:12]} is not in this clone: the stacks were destroyed "
                          f"from the base branch's tip {repo.sha(BASE)[:12]}",)
    assert not state_file(repo, "audit", "pr-63").exists()
    assert [q for q in queue_names(sandbox) if "pr-63" in q] == []
