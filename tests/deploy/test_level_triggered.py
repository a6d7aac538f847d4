"""Level-triggered deploys: each stack goes from the commit it applied (read from its backend) to
the pushed commit, whatever CI did with the runs before.

Every test has its own Git remote, backend and cloud (moto, checked with boto3); every deploy
is a CI job of its own: a fresh clone, an empty run store, `deploy --ci github` on a push event.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from orchestrator.sandbox import ENDPOINT_ENV, InProcessSandbox
from tests.deploy.ci_clones import ZERO, Pipeline, report_markdown
from tests.support.cli import run_cli
from tests.support.lean_infra import PASSPHRASE, results_by_stack
from tests.support.sandbox import aws_client


@pytest.fixture
def sandbox() -> Iterator[InProcessSandbox]:
    """A cloud of this test's own: the same queue names are created by every test."""
    with InProcessSandbox() as running, pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENDPOINT_ENV, running.endpoint)
        patch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
        patch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
        patch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
        for name in ("GITHUB_ACTIONS", "GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "GITHUB_STEP_SUMMARY",
                     "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"):
            patch.delenv(name, raising=False)
        yield running


@pytest.fixture
def pipeline(tmp_path: Any, sandbox: InProcessSandbox) -> Pipeline:
    """network and data in qa, deployed from the first commit by a first CI job."""
    made = Pipeline.create(tmp_path)
    first = made.push("")
    run, _ = made.deploy(ZERO, first)
    assert run.code == 0, run.text
    assert {r["stack"] for r in run.json()["results"] if r["status"] == "succeeded"} == {"network/qa", "data/qa"}
    return made


def events_queue(sandbox: InProcessSandbox) -> tuple[str, dict[str, str]]:
    """(VisibilityTimeout, tags) of qa's network queue, read from the cloud."""
    client = aws_client("sqs", sandbox.endpoint)
    [url] = client.list_queues(QueueNamePrefix="qa-network-events")["QueueUrls"]
    timeout = client.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    return timeout["VisibilityTimeout"], client.list_queue_tags(QueueUrl=url).get("Tags", {})


def set_timeout(pipeline: Pipeline, seconds: int) -> None:
    program = "stacks/network/__main__.py"
    text = pipeline.developer.read(program)
    current = text.split('config.get_int("visibility_timeout_seconds") or ', 1)[1].split(",", 1)[0]
    pipeline.developer.replace(program, f"or {current},", f"or {seconds},")


def add_tag(pipeline: Pipeline, key: str, value: str) -> None:
    pipeline.developer.replace("stacks/network/__main__.py", 'Component="events"',
                               f'Component="events", {key}="{value}"')


def positions(outcome: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["stack"]: p for p in outcome["positions"]}


def current(outcome: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["stack"]: c for c in outcome["plan"]["current"]}


def test_a_cancelled_middle_run_loses_nothing_the_next_run_applies_both(
    pipeline: Pipeline, sandbox: InProcessSandbox
) -> None:
    first = pipeline.developer.sha()
    add_tag(pipeline, "Tier", "batch")
    middle = pipeline.push("network: batch tier")  # its pending run is cancelled by the next push
    set_timeout(pipeline, 120)
    third = pipeline.push("network: longer visibility timeout")

    run, _ = pipeline.deploy(middle, third)  # GitHub's push event: before is the middle commit

    assert run.code == 0, run.text
    outcome = run.json()
    timeout, tags = events_queue(sandbox)
    assert (timeout, tags["Tier"]) == ("120", "batch"), "both changes are in the cloud"
    network = results_by_stack(outcome)["network/qa"]
    assert network["status"] == "succeeded" and network["counts"]["update"] == 1
    assert positions(outcome)["network/qa"]["applied"]["commit"] == first, "planned from what it ran, not `before`"
    assert positions(outcome)["network/qa"]["source"] == "backend", "this job's store is empty"
    [reason, *_] = next(s for s in outcome["plan"]["stacks"] if s["id"] == "network/qa")["reasons"]
    assert reason == f"at {first[:12]}; since then: changed stacks/network/__main__.py"
    assert outcome["plan"]["changed_files"] == ["stacks/network/__main__.py"]


def test_runs_in_the_wrong_order_never_move_a_stack_back(pipeline: Pipeline, sandbox: InProcessSandbox) -> None:
    start = pipeline.developer.sha()
    set_timeout(pipeline, 150)
    older = pipeline.push("network: 150 s")
    set_timeout(pipeline, 180)
    newer = pipeline.push("network: 180 s")

    late_first, _ = pipeline.deploy(older, newer)
    assert late_first.code == 0, late_first.text
    assert events_queue(sandbox)[0] == "180"

    late, job = pipeline.deploy(start, older)  # the older push's run, delivered last

    assert late.code == 0, late.text
    outcome = late.json()
    assert outcome["results"] == [], "nothing ran"
    assert events_queue(sandbox)[0] == "180", "the cloud stays at the newer commit"
    said = current(outcome)
    assert said["network/qa"] == {"stack": "network/qa", "commit": newer,
                                  "reason": f"already at {newer[:12]}, which includes {older[:12]}"}
    assert said["data/qa"]["commit"] == newer
    markdown = report_markdown(outcome)
    assert "already up to date, nothing to deploy" in markdown.splitlines()[1]
    assert f"`network/qa` at `{newer[:7]}`: already at {newer[:12]}, which includes {older[:12]}" in markdown
    text = run_cli(job, "deploy", "--after", older, "--branch", "main")
    assert text.code == 0, text.text
    assert f"network/qa  already at {newer[:12]}, which includes {older[:12]}" in text.stdout
    assert "nothing to deploy" in text.stdout

    replayed, _ = pipeline.deploy(start, older)  # the same push delivered again
    assert replayed.code == 0 and replayed.json()["results"] == []
    assert events_queue(sandbox)[0] == "180"


def test_a_force_push_whose_before_vanished_deploys_from_the_applied_commit(
    pipeline: Pipeline, sandbox: InProcessSandbox
) -> None:
    deployed = pipeline.developer.sha()
    set_timeout(pipeline, 200)
    vanished = pipeline.push("network: 200 s")  # pushed, never deployed, then rewritten
    pipeline.developer.git("reset", "-q", "--hard", deployed)
    set_timeout(pipeline, 210)
    rewritten = pipeline.developer.commit("network: 210 s, rewritten")
    pipeline.push("", force=True)
    pipeline.developer.git("reflog", "expire", "--expire=now", "--all")
    pipeline.developer.git("gc", "-q", "--prune=now")
    subprocess.run(["git", "--git-dir", str(pipeline.origin), "gc", "-q", "--prune=now"], check=True)

    run, job = pipeline.deploy(vanished, rewritten)  # a forced push: `before` is gone everywhere

    assert run.code == 0, run.text
    assert subprocess.run(["git", "-C", str(job.root), "cat-file", "-e", vanished]).returncode != 0
    outcome = run.json()
    assert events_queue(sandbox)[0] == "210"
    assert positions(outcome)["network/qa"]["applied"]["commit"] == deployed
    assert any("is not in the branch's history here" in note for note in outcome["plan"]["notes"])


def test_a_commit_the_branch_does_not_hold_is_refused(pipeline: Pipeline, sandbox: InProcessSandbox) -> None:
    pipeline.developer.git("checkout", "-q", "-b", "experiment")
    set_timeout(pipeline, 999)
    stray = pipeline.developer.commit("network: an experiment")
    pipeline.developer.git("push", "-q", "origin", "experiment")
    pipeline.developer.git("checkout", "-q", "main")
    job = pipeline.clone(pipeline.developer.sha())
    job.git("fetch", "-q", "origin", "experiment")
    job.git("checkout", "-q", "-B", "main", stray)  # a job told that main is at a commit it is not

    run, _ = pipeline.deploy(pipeline.developer.sha(), stray, job=job)

    assert run.code == 1
    assert "Traceback" not in run.stderr
    assert f"commit {stray[:12]} is not on the history of branch main" in run.stderr
    assert "orchestrator rollback" in run.stderr
    assert events_queue(sandbox)[0] == "60"


def test_a_shallow_clone_fetches_the_history_it_needs_or_names_the_fix(
    pipeline: Pipeline, sandbox: InProcessSandbox
) -> None:
    before = pipeline.developer.sha()
    set_timeout(pipeline, 240)
    after = pipeline.push("network: 240 s")

    run, job = pipeline.deploy(before, after, depth=1)

    assert run.code == 0, run.text
    assert events_queue(sandbox)[0] == "240"
    assert job.git("rev-parse", "--is-shallow-repository") == "false"
    assert "the clone was shallow: its full history was fetched" in " ".join(run.json()["plan"]["notes"])

    set_timeout(pipeline, 250)
    later = pipeline.push("network: 250 s")
    cut_off = pipeline.clone(later, depth=1)
    shutil.move(pipeline.origin, pipeline.root / "origin-moved.git")  # the remote cannot be reached

    failed, _ = pipeline.deploy(after, later, job=cut_off)

    assert failed.code == 1
    assert "Traceback" not in failed.stderr
    assert "is a shallow clone and its history could not be fetched" in failed.stderr
    assert "fetch-depth: 0" in failed.stderr
    assert events_queue(sandbox)[0] == "240"


def test_an_empty_run_store_plans_from_the_backends(pipeline: Pipeline, sandbox: InProcessSandbox) -> None:
    first = pipeline.developer.sha()
    pipeline.developer.replace("stacks/data/__main__.py", 'Component="records"', 'Component="records", Tier="hot"')
    after = pipeline.push("data: hot tier")

    run, _ = pipeline.deploy(first, after)

    assert run.code == 0, run.text
    outcome = run.json()
    assert [r["stack"] for r in outcome["results"]] == ["data/qa"], "network is not touched"
    assert current(outcome)["network/qa"]["reason"] == f"at {first[:12]}; nothing since affects it"
    assert {p["source"] for p in outcome["positions"]} == {"backend"}
    [url] = aws_client("sqs", sandbox.endpoint).list_queues(QueueNamePrefix="qa-data-records")["QueueUrls"]
    assert aws_client("sqs", sandbox.endpoint).list_queue_tags(QueueUrl=url)["Tags"]["Tier"] == "hot"


def test_a_pulumi_yaml_change_runs_every_stack_of_the_project(pipeline: Pipeline, sandbox: InProcessSandbox) -> None:
    first = pipeline.developer.sha()
    pipeline.developer.replace(  # a project config default: read by every stack of the project
        "stacks/network/Pulumi.yaml", "description: network (test)",
        "description: network (test)\nconfig:\n  visibility_timeout_seconds:\n    type: integer\n    default: 90")
    after = pipeline.push("network: a longer default visibility timeout")

    run, _ = pipeline.deploy(first, after)

    assert run.code == 0, run.text
    assert events_queue(sandbox)[0] == "90", "the new default reached the cloud"
    outcome = run.json()
    stacks = {s["id"]: s for s in outcome["plan"]["stacks"]}
    assert set(stacks) == {"network/qa", "data/qa"}, "data reads network's outputs"
    assert stacks["network/qa"]["reasons"][0] == f"at {first[:12]}; since then: changed stacks/network/Pulumi.yaml"
    again, _ = pipeline.deploy(first, after)  # the next job finds the stacks at this commit
    assert again.code == 0 and again.json()["results"] == []
    assert {c["commit"] for c in current(again.json()).values()} == {after}


def test_a_rollback_is_explicit_and_the_next_deploy_rolls_forward(
    pipeline: Pipeline, sandbox: InProcessSandbox
) -> None:
    good = pipeline.developer.sha()
    add_tag(pipeline, "Tier", "batch")
    bad = pipeline.push("network: batch tier")
    run, job = pipeline.deploy(good, bad)
    assert run.code == 0 and events_queue(sandbox)[1]["Tier"] == "batch"

    back = run_cli(job, "rollback", "--env", "qa", "--to", good, "--actor", "oncall", "--json")

    assert back.code == 0, back.text
    assert "Tier" not in events_queue(sandbox)[1]
    shown = run_cli(job, "history", "--env", "qa")
    assert f"network/qa  {good[:12]}  rolled back, behind main (1 commit)" in shown.stdout
    behind = run_cli(job, "history", "--json").json()["behind"]
    assert behind["network/qa"]["rolled_back"] and behind["network/qa"]["head"] == bad
    replayed, _ = pipeline.deploy(good, good)  # a late run of the good commit: nothing to undo
    assert replayed.code == 0 and replayed.json()["results"] == []
    assert current(replayed.json())["network/qa"]["commit"] == good

    forward, _ = pipeline.deploy(good, bad)  # the next deploy (a re-run, or the next push)

    assert forward.code == 0, forward.text
    outcome = forward.json()
    assert events_queue(sandbox)[1]["Tier"] == "batch", "rolled forward again"
    network = positions(outcome)["network/qa"]
    assert (network["applied"]["commit"], network["applied"]["flow"]) == (good, "rollback")
    reasons = next(s for s in outcome["plan"]["stacks"] if s["id"] == "network/qa")["reasons"]
    assert reasons[0] == f"rolled back to {good[:12]}; since then: changed stacks/network/__main__.py"

    # To stay back, revert in Git: the revert commit holds the rolled-back code, so the deploy of
    # it leaves the rolled-back stack alone and nothing is behind any more.
    again = run_cli(job, "rollback", "--env", "qa", "--to", good, "--actor", "oncall")
    assert again.code == 0, again.text
    pipeline.developer.git("revert", "--no-edit", bad)
    reverted = pipeline.push("")

    settled, settled_job = pipeline.deploy(bad, reverted)

    assert settled.code == 0, settled.text
    assert [r["stack"] for r in settled.json()["results"]] == []
    assert current(settled.json())["network/qa"]["reason"] == f"at {good[:12]}; nothing since affects it"
    assert "Tier" not in events_queue(sandbox)[1], "the cloud stays rolled back"
    assert run_cli(settled_job, "reconcile", "--env", "qa", "--dry-run", "--json").json()["drifted"] == []


def test_a_tag_push_is_not_a_deploy(pipeline: Pipeline, sandbox: InProcessSandbox) -> None:
    sha = pipeline.developer.sha()
    run, _ = pipeline.deploy(ZERO, sha, ref="refs/tags/v1.0")
    assert run.code == 0, run.text
    assert json.loads(run.stdout) == {"skipped": "refs/tags/v1.0 is a tag, not a branch: a tag push is not a deploy "
                                                 "(nothing to do)"}


def newest_history_message(pipeline: Pipeline, project: str) -> str:
    directory = pipeline.backend / ".pulumi" / "history" / project / "qa"
    newest = max(directory.glob("*.history.json"), key=lambda p: int(p.name.split("-")[-1].split(".")[0]))
    message: str = json.loads(newest.read_text())["message"]
    return message


def test_reconcile_finds_a_stack_left_behind_and_brings_it_to_its_branch(
    pipeline: Pipeline, sandbox: InProcessSandbox
) -> None:
    start = pipeline.developer.sha()
    set_timeout(pipeline, 300)
    tip = pipeline.push("network: 300 s")  # its deploy run never happened
    job = pipeline.clone(tip)  # the scheduled job: a fresh clone, an empty store

    dry = run_cli(job, "reconcile", "--env", "qa", "--dry-run", "--json")

    assert dry.code == 0, dry.text
    found = dry.json()
    assert (found["branch"], found["head"], found["deploy"]) == ("main", tip, None)
    drifted = {d["stack"]: d for d in found["drifted"]}
    assert set(drifted) == {"network/qa", "data/qa"}
    assert (drifted["network/qa"]["applied"], drifted["network/qa"]["commits_behind"]) == (start, 1)
    assert drifted["network/qa"]["reasons"][0] == f"at {start[:12]}; since then: changed stacks/network/__main__.py"
    assert drifted["data/qa"]["reasons"] == ["depends on network"]
    assert events_queue(sandbox)[0] == "60", "a dry run deploys nothing"
    text = run_cli(job, "reconcile", "--env", "qa", "--dry-run")
    assert f"behind    network/qa  at {start[:12]}, 1 commit(s) behind" in text.stdout

    fixed = run_cli(job, "reconcile", "--env", "qa", "--json")

    assert fixed.code == 0, fixed.text
    deployed = results_by_stack(fixed.json()["deploy"])
    assert deployed["network/qa"]["status"] == "succeeded" and deployed["network/qa"]["counts"]["update"] == 1
    assert events_queue(sandbox)[0] == "300"
    assert newest_history_message(pipeline, "network").startswith(f"orchestrator reconcile {tip} run ")
    after = run_cli(pipeline.clone(tip), "reconcile", "--env", "qa", "--dry-run", "--json")
    assert after.code == 0 and after.json()["drifted"] == []
    assert {c["reason"] for c in after.json()["current"]} == {f"already at {tip[:12]}"}


def test_the_scheduled_drift_run_reports_git_drift_beside_cloud_drift(
    pipeline: Pipeline, sandbox: InProcessSandbox
) -> None:
    start = pipeline.developer.sha()
    set_timeout(pipeline, 300)
    pipeline.push("network: 300 s")  # its deploy run never happened
    add_tag(pipeline, "Owner", "ops")
    tip = pipeline.push("network: an owner tag")
    job = pipeline.clone(tip)  # the scheduled job: a fresh clone, an empty store
    out = job.root / "reports"

    run = run_cli(job, "drift", "--env", "qa", "--out", str(out), "--json")

    assert run.code == 2, run.text  # drift found: not in the cloud, in Git
    outcome = run.json()
    assert outcome["report"]["findings"] == [], "the cloud matches the stacks' state"
    behind = {d["stack"]: d for d in outcome["report"]["git_drift"]}
    assert set(behind) == {"network/qa", "data/qa"}
    assert behind["data/qa"]["reasons"] == ["depends on network"]  # reconcile would run it after network
    network = behind["network/qa"]
    assert (network["applied"], network["branch"], network["head"], network["commits_behind"]) == (
        start, "main", tip, 2)
    assert network["reasons"][0].startswith(f"at {start[:12]}; since then: changed stacks/network/__main__.py")
    markdown = (out / "drift-report.md").read_text(encoding="utf-8")
    assert "**2 stacks are behind their branch** (Git drift" in markdown
    assert f"| network/qa | `{start[:12]}` | main `{tip[:12]}` | 2 |" in markdown
    html = (out / "drift-report.html").read_text(encoding="utf-8")
    assert f'<tr class="behind" data-stack="network/qa" data-applied="{start}" data-head="{tip}">' in html
    text = run_cli(job, "drift", "--env", "qa", "--out", str(out))
    assert f"network/qa: behind main (Git drift): runs {start[:12]}, main is at {tip[:12]}, 2 commit(s) behind" in (
        text.stdout)
    timeout, tags = events_queue(sandbox)
    assert timeout == "60" and "Owner" not in tags, "a drift run deploys nothing"
