"""A pull request's review environment in GitHub Actions (`orchestrator review up|down --ci github`
in a child process, GitHub played by the validating stand-in, AWS by moto): opened → its review
stacks are created and the PR comment shows their outputs; pushed → updated; closed → destroyed,
removed from the backend, and nothing of them is left in the cloud, while dev's own stacks never
move. Dependents read their upstream's review stack when it has one, else dev's own stack."""

from __future__ import annotations

from pathlib import Path

from orchestrator.sandbox import InProcessSandbox
from tests.support.cli import run_cli
from tests.support.github_standin import GitHubStandIn
from tests.support.gitrepo import InfraRepo
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

MARKER = "<!-- orchestrator:preview -->"
SECTION = "<!-- orchestrator:review:start -->"


def review(repo: InfraRepo, standin: GitHubStandIn, tmp: Path, verb: str, action: str, *, number: int, head: str,
           branch: str) -> dict[str, object]:
    event = pull_request_event(tmp, standin, action, number=number, head_sha=head, base_sha=repo.sha(BASE),
                               head_ref=branch)
    env = actions_env(standin, event, tmp / "summary.md")
    done = run_cli(repo, "review", verb, "--ci", "github", "--json", env=env)
    assert done.code == 0, done.text
    outcome: dict[str, object] = done.json()
    return outcome


def the_comment(standin: GitHubStandIn, number: int) -> str:
    marked = [c["body"] for c in standin.comments(number) if MARKER in c["body"]]
    assert len(marked) == 1, marked
    return str(marked[0])


def test_open_push_close(repo: InfraRepo, sandbox: InProcessSandbox, github_standin: GitHubStandIn,
                         tmp_path: Path) -> None:
    number, branch = 7, "records-tag"
    github_standin.set_permission(AUTHOR, "write")
    dev_states = {p: state_file(repo, p, "dev").read_text() for p in ("network", "data", "app", "audit")}
    dev_queues = [q for q in queue_names(sandbox) if q.startswith("dev-")]
    head = open_pull_request(repo, branch, {"stacks/data/__main__.py": ('Component="records"', 'Component="rec"')})
    github_standin.add_pull(number=number, author=AUTHOR, head_sha=head, head_ref=branch, base_ref=BASE,
                            base_sha=repo.sha(BASE))

    # Opened: data changed, app depends on it; network did not change and has no review stack.
    opened = review(repo, github_standin, tmp_path, "up", "opened", number=number, head=head, branch=branch)
    ids = {r["stack"]: r for env in opened["environments"] for r in env["results"]}  # type: ignore[attr-defined]
    assert sorted(ids) == ["app/pr-7", "data/pr-7"]
    assert all(r["status"] == "succeeded" and r["counts"]["create"] >= 1 for r in ids.values())
    assert state_file(repo, "data", "pr-7").exists() and state_file(repo, "app", "pr-7").exists()
    assert not state_file(repo, "network", "pr-7").exists()
    network_dev, data_review = repo.outputs("network", "dev"), repo.outputs("data", "pr-7")
    urls = aws_client("sqs", sandbox.endpoint).list_queues()["QueueUrls"]
    records = next(q for q in urls if "pr-7-data-records" in q)
    # data/pr-7 read network from dev's own stack; app/pr-7 read data's review stack.
    assert queue_tags(sandbox, records)["Upstream"] == network_dev["queue_arn"]
    jobs = next(q for q in urls if "pr-7-app-jobs" in q)
    assert queue_tags(sandbox, jobs)["Upstream"] == data_review["records_arn"]

    comment = the_comment(github_standin, number)
    assert SECTION in comment and "Review environment: dev, pull request #7" in comment
    assert f"Deployed `{head[:12]}`" in comment and "2h after the last push" in comment
    assert f"`records_arn`: `{data_review['records_arn']}`" in comment
    statuses = github_standin.latest_statuses(head)
    assert statuses["orchestrator/review: data/pr-7"]["state"] == "success"
    assert statuses["orchestrator/review"]["state"] == "success"
    first = [d for d in github_standin.deployments() if d["environment"] == "review/pr-7"]
    assert len(first) == 1 and first[0]["transient_environment"] and not first[0]["production_environment"]
    assert first[0]["statuses"][-1]["state"] == "success" and first[0]["statuses"][-1]["auto_inactive"] is True

    # Pushed: the review stacks are updated in place, the comment edited, not added.
    pushed = push(repo, branch, "stacks/data/__main__.py", 'Component="rec"', 'Component="records-v2"')
    github_standin.add_commit(pushed)
    synced = review(repo, github_standin, tmp_path, "up", "synchronize", number=number, head=pushed, branch=branch)
    results = {r["stack"]: r for env in synced["environments"] for r in env["results"]}  # type: ignore[attr-defined]
    assert results["data/pr-7"]["counts"]["update"] == 1 and results["data/pr-7"]["counts"]["create"] == 0
    assert queue_tags(sandbox, records)["Component"] == "records-v2"
    assert f"Deployed `{pushed[:12]}`" in the_comment(github_standin, number)
    assert len([d for d in github_standin.deployments() if d["environment"] == "review/pr-7"]) == 2

    # Dev's own stacks did not move.
    assert {p: state_file(repo, p, "dev").read_text() for p in dev_states} == dev_states

    # Closed: destroyed, removed from the backend, nothing left in the cloud; dev untouched.
    closed = review(repo, github_standin, tmp_path, "down", "closed", number=number, head=pushed, branch=branch)
    assert [e["state"] for e in closed["environments"]] == ["destroyed"]  # type: ignore[attr-defined]
    assert not state_file(repo, "data", "pr-7").exists() and not state_file(repo, "app", "pr-7").exists()
    assert not (repo.root / ".orchestrator/state/.pulumi/history/data/pr-7").exists()
    assert [q for q in queue_names(sandbox) if "pr-7" in q] == []
    assert [q for q in queue_names(sandbox) if q.startswith("dev-")] == dev_queues
    assert {p: state_file(repo, p, "dev").read_text() for p in dev_states} == dev_states
    comment = the_comment(github_standin, number)
    assert "Destroyed (the pull request was closed)" in comment and "records_arn" not in comment
    for deployment in (d for d in github_standin.deployments() if d["environment"] == "review/pr-7"):
        assert deployment["statuses"][-1]["state"] == "inactive"

