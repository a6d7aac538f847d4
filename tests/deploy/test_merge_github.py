"""A merge into `main` through GitHub Actions (`orchestrator deploy --ci github` in a child
process, GitHub played by the validating stand-in): qa then uat deploy in order, prod waits
for an approving review (reported, not failed), the merged PR gets one "Deployed" comment,
a status per stack and a Deployment per environment that ran; an approval lets a re-run
deploy prod."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.sandbox import InProcessSandbox
from tests.support.cli import CliRun, run_cli
from tests.support.github_standin import GitHubStandIn
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import BRANCH, make_infra_repo, results_by_stack
from tests.support.webhooks import schema_errors, webhook_examples

MARKER = f"<!-- orchestrator:deploy:{BRANCH} -->"  # one Deployed comment per branch
PREFIX = "orchestrator/deploy"
PR = 12
AUTHOR = "octo-dev"
MERGER = "octo-merger"
ORDER = ["network", "data", "app"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, sandbox: InProcessSandbox) -> Iterator[InfraRepo]:
    """Every stack deployed at the root commit (prod promoted by hand beforehand)."""
    infra = make_infra_repo(tmp_path_factory.mktemp("merge") / "infra")
    store = infra.open_store()
    store.record_promotion("prod", infra.sha(), "platform-lead", "initial roll-out")
    store.close()
    first = run_cli(infra, "deploy", "--json")
    assert first.code == 0, first.text
    assert {r["stack"] for r in first.json()["results"] if r["status"] == "succeeded"} == {
        f"{p}/{e}" for p in ORDER for e in ("qa", "uat", "prod")
    }
    yield infra


def merge_pull_request(repo: InfraRepo, branch: str, change: list[tuple[str, str, str]]) -> tuple[str, str, str]:
    """Commit `change` ([(path, old, new)]) on `branch` and merge it into main with a merge
    commit, as GitHub's merge button does. Returns (before, head of the PR, merge commit)."""
    before = repo.sha(BRANCH)
    repo.git("checkout", "-q", "-b", branch, BRANCH)
    for path, old, new in change:
        repo.replace(path, old, new)
    head = repo.commit(f"{branch}: change")
    repo.git("checkout", "-q", BRANCH)
    repo.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{PR} from acme/{branch}", branch)
    return before, head, repo.sha(BRANCH)


def push_event(gh: GitHubStandIn, before: str, after: str) -> dict[str, Any]:
    """GitHub's own example of a `push` webhook, edited for our repository and commits."""
    payload = next(p for _, p in webhook_examples("push") if p["ref"].startswith("refs/heads/"))
    payload.update(ref=f"refs/heads/{BRANCH}", before=before, after=after, created=False, deleted=False)
    payload["repository"].update(full_name=gh.full_name, name=gh.repo)
    payload["pusher"]["name"] = payload["sender"]["login"] = MERGER
    assert schema_errors("push", payload) == []
    return payload


def deploy_in_actions(repo: InfraRepo, gh: GitHubStandIn, event: dict[str, Any], tmp: Path) -> CliRun:
    event_file, summary = tmp / "push.json", tmp / "summary.md"
    event_file.write_text(json.dumps(event))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event_file),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_REPOSITORY": gh.full_name,
        "GITHUB_API_URL": gh.base_url,
        "GITHUB_TOKEN": gh.token,
    }
    return run_cli(repo, "deploy", "--ci", "github", "--json", env=env)


def test_merge_deploys_qa_then_uat_and_prod_waits_for_approval(
    repo: InfraRepo, github_standin: GitHubStandIn, tmp_path: Path
) -> None:
    gh = github_standin
    before, head, after = merge_pull_request(
        repo,
        "records-tier",
        [
            ("stacks/data/__main__.py", 'Component="records")', 'Component="records", Tier="hot")'),
            ("lib/tags.py", '"ManagedBy": MANAGED_BY,', '"ManagedBy": MANAGED_BY,\n        "CostCenter": "cc-42",'),
        ],
    )
    gh.add_pull(number=PR, author=AUTHOR, head_sha=head, base_ref=BRANCH, base_sha=before, merged=True,
                merge_commit_sha=after, head_ref="records-tier")
    gh.add_commit(before, after)
    event = push_event(gh, before, after)

    run = deploy_in_actions(repo, gh, event, tmp_path)

    assert run.code == 0, run.text  # a gate that is not met is reported, not a failure
    outcome = run.json()
    results = results_by_stack(outcome)
    for env in ("qa", "uat"):
        for project in ORDER:
            assert results[f"{project}/{env}"]["status"] == "succeeded", results[f"{project}/{env}"]
        # every project reads lib/tags.py: each got the new tag
        assert all(results[f"{p}/{env}"]["counts"]["update"] == 1 for p in ORDER)
    gates = {g["environment"]: g for g in outcome["gates"]}
    assert gates["qa"]["passed"] and gates["uat"]["passed"]
    assert gates["uat"]["reasons"] == [f"qa is at {after[:12]}"]
    assert not gates["prod"]["passed"]
    [prod_reason] = gates["prod"]["reasons"]
    assert "needs 1 approving review(s) on the merged pull request (0 found)" in prod_reason
    assert f"orchestrator promote --env prod --commit {after[:12]}" in prod_reason
    for project in ORDER:
        skipped = results[f"{project}/prod"]
        assert skipped["status"] == "skipped" and skipped["error"] == "waiting for the gate: " + prod_reason

    # The order, from the audit log: every qa stack before any uat stack, network -> data -> app.
    store = repo.open_store()
    try:
        run_id = outcome["run_id"]
        entries = sorted(store.audit_log(run_id=run_id), key=lambda e: e.id)
        updated = [e.stack for e in entries if e.action == "stack.update"]
        assert updated == [f"{p}/qa" for p in ORDER] + [f"{p}/uat" for p in ORDER]
        actions = [(e.action, e.environment) for e in entries if e.action.startswith("gate.")]
        assert actions == [("gate.passed", "qa"), ("gate.passed", "uat"), ("gate.blocked", "prod")]
        assert {e.actor for e in entries} == {MERGER}
        run_record = store.get_run(run_id)
        assert run_record is not None and run_record.pr == PR and run_record.status == "blocked"
        assert store.environment_succeeded("uat", after) and not store.environment_succeeded("prod", after)
    finally:
        store.close()

    # Reported back on the merged PR: one comment, a status per stack, a deployment per environment.
    [comment] = [c for c in gh.comments(PR) if MARKER in c["body"]]
    assert "Deployed" in comment["body"].splitlines()[1]
    assert "waiting for the gate" in comment["body"]
    latest = gh.latest_statuses(after)
    assert set(latest) == {PREFIX} | {f"{PREFIX}: {p}/{e}" for p in ORDER for e in ("qa", "uat", "prod")}
    assert all(latest[f"{PREFIX}: {p}/{e}"]["state"] == "success" for p in ORDER for e in ("qa", "uat"))
    assert latest[f"{PREFIX}: data/qa"]["description"] == "+0 ~1 -0 ±0"
    assert all("waiting for the gate" in latest[f"{PREFIX}: {p}/prod"]["description"] for p in ORDER)
    deployments = {d["environment"]: d for d in gh.deployments()}
    assert set(deployments) == {"qa", "uat"}, "no Deployment for an environment that did not run"
    for env in ("qa", "uat"):
        assert deployments[env]["sha"] == after
        assert [s["state"] for s in deployments[env]["statuses"]] == ["success"]
    assert (tmp_path / "summary.md").read_text().count(MARKER) <= 1

    # An approving review arrives; the same job is re-run: prod deploys; qa and uat, already at
    # this commit (their backends say so), are left alone and reported as such.
    gh.add_review(PR, "reviewer-1", "APPROVED")
    rerun = deploy_in_actions(repo, gh, event, tmp_path)

    assert rerun.code == 0, rerun.text
    again = rerun.json()
    results = results_by_stack(again)
    for project in ORDER:
        assert results[f"{project}/prod"]["status"] == "succeeded"
        assert results[f"{project}/prod"]["counts"]["update"] == 1
        assert f"{project}/qa" not in results and f"{project}/uat" not in results
    current = {c["stack"]: c for c in again["plan"]["current"]}
    assert set(current) == {f"{p}/{e}" for p in ORDER for e in ("qa", "uat")}
    assert {c["commit"] for c in current.values()} == {after}
    assert current["data/uat"]["reason"] == f"already at {after[:12]}"
    store = repo.open_store()
    try:
        entries = sorted(store.audit_log(run_id=again["run_id"]), key=lambda e: e.id)
        assert [e.stack for e in entries if e.action == "stack.update"] == [f"{p}/prod" for p in ORDER]
    finally:
        store.close()
    assert {g["environment"]: g["reasons"] for g in again["gates"]}["prod"] == [
        f"uat is at {after[:12]}",
        "approved by reviewer-1",
    ]
    marked = [c for c in gh.comments(PR) if MARKER in c["body"]]
    assert len(marked) == 1 and marked[0]["id"] == comment["id"], "one Deployed comment, edited in place"
    assert gh.latest_statuses(after)[f"{PREFIX}: app/prod"]["state"] == "success"
    assert gh.latest_statuses(after)[PREFIX]["state"] == "success"
    prod = [d for d in gh.deployments() if d["environment"] == "prod"]
    assert len(prod) == 1 and [s["state"] for s in prod[0]["statuses"]] == ["success"]


def test_promote_by_a_trusted_user_deploys_prod_an_untrusted_one_is_refused(
    repo: InfraRepo, github_standin: GitHubStandIn
) -> None:
    gh = github_standin
    repo.replace("stacks/app/__main__.py", 'Component="jobs")', 'Component="jobs", Owner="team-web")')
    sha = repo.commit("app: owner tag")
    pushed = run_cli(repo, "deploy", "--json", "--actor", MERGER)  # no pull request: prod cannot be approved by review
    assert pushed.code == 0, pushed.text
    prod_gate = {g["environment"]: g for g in pushed.json()["gates"]}["prod"]
    assert not prod_gate["passed"] and "no pull request found for this commit" in prod_gate["reasons"][0]

    vcs_env = {"GITHUB_REPOSITORY": gh.full_name, "GITHUB_API_URL": gh.base_url, "GITHUB_TOKEN": gh.token}
    gh.set_permission("mallory", "read")
    refused = run_cli(
        repo, "promote", "--env", "prod", "--commit", sha, "--actor", "mallory", "--vcs", "github", env=vcs_env
    )
    assert refused.code == 1
    assert "mallory may not promote: mallory has read permission; write or above is required" in refused.stderr
    store = repo.open_store()
    try:
        assert store.promotion("prod", sha) is None
    finally:
        store.close()

    promoted = run_cli(repo, "promote", "--env", "prod", "--commit", sha[:10], "--actor", "platform-lead", "--json")

    assert promoted.code == 0, promoted.text
    outcome = promoted.json()
    assert [g["reasons"] for g in outcome["gates"]] == [[f"uat is at {sha[:12]} or newer", "promoted by platform-lead"]]
    results = results_by_stack(outcome)
    assert set(results) == {"app/prod"}, "promote runs the one environment only"
    assert results["app/prod"]["status"] == "succeeded" and results["app/prod"]["counts"]["update"] == 1
    store = repo.open_store()
    try:
        promotion = store.promotion("prod", sha)
        assert promotion is not None and promotion.actor == "platform-lead"
        assert store.environment_succeeded("prod", sha)
        assert store.current_commits()["app/prod"] == sha
        chronological = sorted(store.audit_log(limit=100), key=lambda e: e.id)
        prod_actions = [(e.action, e.actor) for e in chronological if e.commit == sha and e.environment == "prod"]
        assert prod_actions == [
            ("gate.blocked", MERGER),
            ("stack.skipped", MERGER),
            ("promote", "platform-lead"),
            ("gate.passed", "platform-lead"),
            ("stack.update", "platform-lead"),
        ]
    finally:
        store.close()


def test_a_push_that_deletes_a_branch_deploys_nothing(
    repo: InfraRepo, github_standin: GitHubStandIn, tmp_path: Path
) -> None:
    gh = github_standin
    event = push_event(gh, repo.sha(), "0" * 40)
    event.update(deleted=True, head_commit=None, commits=[])
    assert schema_errors("push", event) == []

    run = deploy_in_actions(repo, gh, event, tmp_path)

    assert run.code == 0, run.text
    assert run.json() == {"skipped": f"the push deleted refs/heads/{BRANCH}: nothing to deploy"}
    assert gh.requests == [], "nothing reported: nothing ran"
