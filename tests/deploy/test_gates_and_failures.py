"""Promotion gates across separate runs, a failure in the first wave, and deleted projects.

One repository for the module (qa -> uat -> prod on `main`), every stack deployed at the
root commit; each test pushes a commit on top and deploys it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.flows.deploy import DeployOutcome, DeployRequest, run_deploy
from orchestrator.sandbox import InProcessSandbox
from orchestrator.store import open_store
from tests.support.cli import run_cli
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import TRUSTED, add_project, make_infra_repo, results_by_stack
from tests.support.sandbox import aws_client

ORDER = ("network", "data", "app")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, sandbox: InProcessSandbox) -> Iterator[InfraRepo]:
    infra = make_infra_repo(tmp_path_factory.mktemp("gates") / "infra")
    store = infra.open_store()
    store.record_promotion("prod", infra.sha(), TRUSTED, "initial roll-out")
    store.close()
    first = run_cli(infra, "deploy", "--json")
    assert first.code == 0, first.text
    assert all(r["status"] == "succeeded" for r in first.json()["results"]), first.text
    yield infra


def deploy_only(repo: InfraRepo, environment: str, commit: str, *, database: Path | None = None) -> DeployOutcome:
    """One environment's deploy in a run of its own, as a separate CI job would do it: a fresh
    connection to the store, nothing shared with other runs but the database (or, with
    `database`, a database of its own: nothing shared but the stacks' backends)."""
    store = repo.open_store() if database is None else open_store(f"sqlite:///{database}", repo.root)
    try:
        request = DeployRequest(repo=repo.root, after=commit, actor="ci-job", environments=(environment,))
        return run_deploy(request, store, None)
    finally:
        store.close()


def test_requires_is_read_from_the_required_environments_stacks_across_separate_runs(
    repo: InfraRepo, tmp_path: Path
) -> None:
    repo.replace("stacks/app/__main__.py", 'Component="jobs")', 'Component="jobs", Owner="team-web")')
    sha = repo.commit("app: owner tag")

    early = deploy_only(repo, "uat", sha)

    [gate] = early.gates
    assert not gate.passed
    assert gate.reasons == (f"requires qa: {sha[:12]} has not reached it yet (app/qa not at it)",)
    assert early.results["app/uat"].status == "skipped"
    assert early.results["app/uat"].error == f"waiting for the gate: {gate.reasons[0]}"
    assert early.exit_code == 0, "a gate that is not met is reported, not failed"

    qa = deploy_only(repo, "qa", sha)
    assert qa.gates[0].passed and qa.results["app/qa"].status == "succeeded"
    assert qa.results["app/qa"].counts.update == 1

    # A job with an empty database of its own: what qa runs is read from qa's stacks' backends.
    alone = tmp_path / "a-job-of-its-own.db"
    later = deploy_only(repo, "uat", sha, database=alone)

    assert later.gates[0].passed and later.gates[0].reasons == (f"qa is at {sha[:12]} or newer",)
    assert later.results["app/uat"].status == "succeeded" and later.results["app/uat"].counts.update == 1
    own = open_store(f"sqlite:///{alone}", repo.root)
    try:
        assert [r.id for r in own.runs(limit=10)] == [later.run_id], "qa's run is not in this job's database"
    finally:
        own.close()
    store = repo.open_store()
    try:
        runs = {r.id: r for r in store.runs(limit=10)}
        assert runs[early.run_id].status == "blocked"
        assert runs[qa.run_id].status == "succeeded" and later.run_id not in runs
    finally:
        store.close()


def test_a_failure_in_wave_zero_skips_its_dependents_and_others_continue(
    repo: InfraRepo, sandbox: InProcessSandbox, tmp_path: Path
) -> None:
    repo.replace(
        "stacks/network/__main__.py",
        "events = aws.sqs.Queue(",
        'raise RuntimeError("network: the queue quota is exhausted")\nevents = aws.sqs.Queue(',
    )
    add_project(repo, "audit")  # independent of network: no StackReference, nothing depends on it
    sha = repo.commit("network: breaks; audit: new project")

    out = tmp_path / "vcs"
    run = run_cli(repo, "deploy", "--json", "--vcs", "files", "--out", str(out))

    assert run.code == 1, run.text
    outcome = run.json()
    results = results_by_stack(outcome)
    assert results["network/qa"]["status"] == "failed"
    assert "RuntimeError: network: the queue quota is exhausted" in results["network/qa"]["error"]
    assert results["data/qa"]["status"] == "skipped"
    assert results["data/qa"]["error"] == "skipped: depends on network/qa, which failed"
    assert results["app/qa"]["status"] == "skipped"
    assert results["app/qa"]["error"] == "skipped: depends on data/qa, which was skipped"
    assert results["audit/qa"]["status"] == "succeeded" and results["audit/qa"]["counts"]["create"] >= 1
    queues = aws_client("sqs", sandbox.endpoint).list_queues(QueueNamePrefix="qa-audit-trail").get("QueueUrls", [])
    assert len(queues) == 1, "the independent stack was really deployed"
    # qa failed, so uat (requires qa) must not run this commit, and says why.
    gates = {g["environment"]: g for g in outcome["gates"]}
    assert gates["uat"]["reasons"] == [f"requires qa: {sha[:12]} has not reached it yet (it failed in this run)"]
    assert {results[f"{p}/uat"]["status"] for p in (*ORDER, "audit")} == {"skipped"}
    # The files provider gets what GitHub would: a status per stack, qa's deployment, failed.
    statuses = {s["context"]: s for s in json.loads((out / "statuses.json").read_text()) if s["sha"] == sha}
    assert statuses["orchestrator/deploy: network/qa"]["state"] == "failure"
    assert statuses["orchestrator/deploy: audit/qa"]["state"] == "success"
    assert "depends on network/qa" in statuses["orchestrator/deploy: data/qa"]["description"]
    assert statuses["orchestrator/deploy"]["state"] == "failure"
    deployments = json.loads((out / "deployments.json").read_text())
    assert [(d["environment"], d["sha"]) for d in deployments] == [("qa", sha)]
    assert [s["state"] for s in deployments[0]["statuses"]] == ["failure"]
    store = repo.open_store()
    try:
        run_record = store.get_run(outcome["run_id"])
        assert run_record is not None and run_record.status == "failed"
        history = {r.stack: r for r in store.history(environment="qa", limit=20) if r.run_id == outcome["run_id"]}
        assert history["network/qa"].status == "failed" and history["audit/qa"].status == "succeeded"
        assert (history["data/qa"].status, history["data/qa"].error) == (
            "skipped", "skipped: depends on network/qa, which failed"), "stacks that did not run say why"
    finally:
        store.close()

    # The fix: network is still behind (it runs the commit before the break), so the next push
    # runs it again with the stacks it held back, qa then uat. Nothing is forgotten.
    repo.replace("stacks/network/__main__.py", 'raise RuntimeError("network: the queue quota is exhausted")\n', "")
    repo.replace("stacks/network/__main__.py", "or 60", "or 75")
    repo.commit("network: fixed, with a longer visibility timeout")
    again = run_cli(repo, "deploy", "--json")
    assert again.code == 0, again.text
    results = results_by_stack(again.json())
    ran = {sid for sid, r in results.items() if r["status"] == "succeeded"}
    assert ran == {f"{p}/{e}" for p in (*ORDER, "audit") for e in ("qa", "uat")} - {"audit/qa"}
    assert results["network/qa"]["counts"]["update"] == 1
    assert {c["stack"]: c["commit"] for c in again.json()["plan"]["current"]} == {"audit/qa": sha}
    assert {results[f"{p}/prod"]["status"] for p in (*ORDER, "audit")} == {"skipped"}, "prod waits for approval"


def test_deleted_project_is_destroyed_where_allowed_and_pending_in_protected_prod(
    repo: InfraRepo, sandbox: InProcessSandbox
) -> None:
    client = aws_client("sqs", sandbox.endpoint)

    def app_queues(env: str) -> list[str]:
        urls: list[str] = client.list_queues(QueueNamePrefix=f"{env}-app-jobs").get("QueueUrls", [])
        return urls

    assert all(app_queues(env) for env in ("qa", "uat", "prod")), "app runs everywhere before"
    repo.git("rm", "-q", "-r", "stacks/app")
    sha = repo.commit("app: retired")
    root = repo.git("rev-list", "--max-parents=0", "HEAD")  # what prod's stacks still run

    pushed = run_cli(repo, "deploy", "--json")

    assert pushed.code == 0, pushed.text
    results = results_by_stack(pushed.json())
    assert results["app/qa"]["status"] == "succeeded" and results["app/qa"]["operation"] == "destroy"
    assert results["app/uat"]["status"] == "succeeded" and results["app/uat"]["operation"] == "destroy"
    assert app_queues("qa") == [] and app_queues("uat") == []
    assert results["app/prod"]["status"] == "skipped"  # waiting for prod's approval first

    # A trusted user promotes the commit: prod's gate passes, but protected prod does not
    # destroy without the explicit flag: the destroy is pending, with the command to run.
    promoted = run_cli(repo, "promote", "--env", "prod", "--commit", sha, "--actor", TRUSTED, "--json")

    assert promoted.code == 0, promoted.text
    outcome = promoted.json()
    # The destroy was found from the commit prod's stacks run: the command names it.
    command = f"orchestrator deploy --allow-destroy --before {root[:12]} --after {sha[:12]}"
    assert outcome["pending_destroys"] == ["app/prod"]
    prod = results_by_stack(outcome)["app/prod"]
    assert prod["status"] == "skipped"
    assert prod["error"] == f"destroy pending: prod is protected; run `{command}` to destroy it"
    assert app_queues("prod"), "nothing destroyed in prod"
    store = repo.open_store()
    try:
        promote_run = store.get_run(outcome["run_id"])
        assert promote_run is not None and promote_run.status == "blocked"
        assert not store.environment_succeeded("prod", sha), "prod is not done while a destroy waits"
    finally:
        store.close()

    allowed = run_cli(repo, "deploy", "--allow-destroy", "--json")

    assert allowed.code == 0, allowed.text
    results = results_by_stack(allowed.json())
    assert results["app/prod"]["status"] == "succeeded" and results["app/prod"]["operation"] == "destroy"
    assert results["app/prod"]["counts"]["delete"] >= 1
    assert app_queues("prod") == []
    store = repo.open_store()
    try:
        current = store.current_commits()
        assert not any(stack.startswith("app/") for stack in current), "a destroyed stack runs nothing"
    finally:
        store.close()
