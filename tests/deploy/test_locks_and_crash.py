"""Stack leases under real contention: deploy processes racing on one stack, a deploy killed
with SIGKILL in the middle of an update, and `orchestrator locks list|release`.

One environment (qa) and one project (network) keep it quick. A `Gate` dynamic resource
whose create sleeps for $SLOW_CREATE_S holds a deploy inside an update for as long as the
test needs (the variable reaches the engine's child process through the environment).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.sandbox import InProcessSandbox
from tests.support.cli import CliRun, cli_command, run_cli
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import SLOW_GATE, make_infra_repo, results_by_stack

STACK = "network/qa"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, sandbox: InProcessSandbox) -> Iterator[InfraRepo]:
    infra = make_infra_repo(tmp_path_factory.mktemp("locks") / "infra", environments=("qa",), projects=("network",))
    first = run_cli(infra, "deploy", "--json")
    assert first.code == 0, first.text
    yield infra


def add_gate(repo: InfraRepo, label: str) -> str:
    """A commit adding one slow `Gate` resource to the network program."""
    program = repo.read("stacks/network/__main__.py")
    if "class Gate" not in program:
        repo.write("stacks/network/__main__.py", program + SLOW_GATE.replace("{label}", label))
    else:
        repo.write(
            "stacks/network/__main__.py",
            program + f'\nGate(naming.resource_name(project, env, "gate-{label}"), label="{label}")\n',
        )
    return repo.commit(f"network: gate {label}")


def start_deploy(
    repo: InfraRepo, *args: str, slow_s: float, release: Path | None = None
) -> subprocess.Popen[str]:
    """`orchestrator deploy` in the background, in a process group of its own (so the test can
    kill it together with its engine child, as a crashed CI runner would go). Its update of
    a new Gate waits `slow_s` seconds or until the file `release` exists."""
    env = {**os.environ, "SLOW_CREATE_S": str(slow_s)}
    if release is not None:
        env["GATE_RELEASE_FILE"] = str(release)
    return subprocess.Popen(
        cli_command(repo, "deploy", "--json", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=repo.root,
        start_new_session=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> CliRun:
    out, err = proc.communicate(timeout=timeout)
    return CliRun(proc.returncode, out, err)


def wait_for(condition: Callable[[], Any], what: str, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def lease_of(repo: InfraRepo) -> Any:
    store = repo.open_store()
    try:
        return store.get_lock(STACK)
    finally:
        store.close()


def pending_operations(repo: InfraRepo) -> list[dict[str, Any]]:
    try:
        latest = repo.state("network", "qa")["checkpoint"]["latest"]
    except (FileNotFoundError, ValueError):  # mid-rename or mid-write
        return []
    found: list[dict[str, Any]] = latest.get("pending_operations") or []
    return found


def gates_in_state(repo: InfraRepo) -> list[str]:
    resources = repo.state("network", "qa")["checkpoint"]["latest"]["resources"]
    return sorted(r["urn"].rsplit("::", 1)[1] for r in resources if r["type"] == "pulumi-python:dynamic:Resource")


def assert_no_changes(repo: InfraRepo) -> None:
    preview = run_cli(repo, "stack", "preview", "--project", "network", "--env", "qa", "--json")
    assert preview.code == 0, preview.text
    result = preview.json()
    assert result["status"] == "succeeded" and result["changes"] == [], preview.stdout
    assert result["counts"]["same"] >= 3


def running_runs(repo: InfraRepo) -> int:
    store = repo.open_store()
    try:
        return sum(1 for run in store.runs(limit=20) if run.status == "running")
    finally:
        store.close()


def test_racing_deploys_one_waits_one_reports_the_holder_and_state_stays_intact(
    repo: InfraRepo, tmp_path: Path
) -> None:
    sha = add_gate(repo, "race")
    release = tmp_path / "release-the-gate"
    holder = start_deploy(repo, "--lock-ttl", "30", slow_s=90, release=release)
    patient = None
    try:
        lease = wait_for(lambda: lease_of(repo), "the first deploy to take the lease")
        refused = finish(start_deploy(repo, "--lock-wait", "0.5", slow_s=0))
        patient = start_deploy(repo, "--lock-wait", "90", slow_s=0)
        wait_for(lambda: running_runs(repo) == 2, "the second deploy to start its run")
        time.sleep(2.0)  # and to reach the lease it waits for
        release.touch()
        first, second = finish(holder), finish(patient)
    finally:
        for proc in (holder, patient):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)

    assert first.code == 0, first.text
    assert results_by_stack(first.json())[STACK]["counts"]["create"] == 1
    assert lease.commit == sha and f"pid {holder.pid}" in lease.holder

    assert refused.code == 1, refused.text
    locked = results_by_stack(refused.json())[STACK]
    assert locked["status"] == "locked"
    assert locked["error"].startswith(f"{STACK} is locked by {lease.holder} (run {lease.run_id}, commit {sha[:12]},")
    assert f"orchestrator locks release {STACK}" in locked["error"]

    assert second.code == 0, second.text
    waited = results_by_stack(second.json())[STACK]
    assert waited["status"] == "succeeded", "the patient deploy waited for the lease, then ran"
    assert waited["counts"]["create"] == 0 and waited["counts"]["update"] == 0, "and found nothing left to do"

    assert gates_in_state(repo) == ["qa-network-gate"]
    assert pending_operations(repo) == []
    assert lease_of(repo) is None, "every lease released"
    assert_no_changes(repo)


def test_kill_9_mid_update_lease_expires_next_deploy_reports_it_and_converges_after_repair(repo: InfraRepo) -> None:
    add_gate(repo, "crash")
    victim = start_deploy(repo, "--lock-ttl", "2", slow_s=120)
    try:
        wait_for(lambda: pending_operations(repo), "the update to be under way (a pending create in state)")
        lease = lease_of(repo)
    finally:
        os.killpg(victim.pid, signal.SIGKILL)  # the deploy and its engine child: the runner died
        victim.wait(timeout=10)
    assert lease is not None and f"pid {victim.pid}" in lease.holder
    [pending] = pending_operations(repo)
    assert pending["type"] == "creating" and pending["resource"]["urn"].endswith("::qa-network-gate-crash")

    listed = run_cli(repo, "locks", "list", "--json")
    assert listed.code == 0, listed.text
    [shown] = listed.json()
    assert shown["stack"] == STACK and shown["holder"] == lease.holder and shown["run_id"] == lease.run_id

    started = time.monotonic()
    after_crash = run_cli(repo, "deploy", "--json", "--lock-wait", "30")

    assert after_crash.code == 1, after_crash.text
    outcome = after_crash.json()
    assert outcome["interrupted_runs"] == [lease.run_id], "the next deploy reports the interrupted run"
    failed = results_by_stack(outcome)[STACK]
    assert failed["status"] == "failed"
    assert "pending operation" in failed["error"]
    assert "orchestrator stack repair --project network --env qa" in failed["error"]
    assert time.monotonic() - started < 25, "the dead run's lease expired; nobody waited for the full wait"
    store = repo.open_store()
    try:
        crashed = store.get_run(lease.run_id)
        assert crashed is not None and crashed.status == "interrupted"
        assert any(e.action == "run.interrupted" and e.run_id == lease.run_id for e in store.audit_log(limit=50))
    finally:
        store.close()

    repaired = run_cli(repo, "stack", "repair", "--project", "network", "--env", "qa", "--json")
    assert repaired.code == 0, repaired.text
    assert pending_operations(repo) == []

    converged = run_cli(repo, "deploy", "--json")

    assert converged.code == 0, converged.text
    assert converged.json()["interrupted_runs"] == []
    result = results_by_stack(converged.json())[STACK]
    assert result["status"] == "succeeded" and result["counts"]["create"] == 1
    assert gates_in_state(repo) == ["qa-network-gate", "qa-network-gate-crash"]
    assert_no_changes(repo)


def test_locks_list_and_release_a_stuck_lease(repo: InfraRepo) -> None:
    store = repo.open_store()
    try:
        stuck = store.acquire_lock(
            STACK, holder="deploy run r-stuck by ci on runner-7 pid 4242", run_id="r-stuck", commit="c" * 40,
            ttl_s=3600,
        )
    finally:
        store.close()
    assert stuck is not None

    listed = run_cli(repo, "locks", "list")
    assert listed.code == 0, listed.text
    assert STACK in listed.stdout and "runner-7 pid 4242" in listed.stdout and "cccccccccccc" in listed.stdout
    blocked = run_cli(repo, "deploy", "--json", "--redeploy", "--lock-wait", "0.3")
    assert blocked.code == 1
    assert "is locked by deploy run r-stuck by ci on runner-7 pid 4242" in results_by_stack(blocked.json())[STACK][
        "error"
    ]

    released = run_cli(repo, "locks", "release", STACK, "--yes")

    assert released.code == 0, released.text
    assert f"released the lock on {STACK} (was held by deploy run r-stuck" in released.stdout
    assert run_cli(repo, "locks", "list").stdout.strip() == "no locks"
    store = repo.open_store()
    try:
        [entry] = [e for e in store.audit_log(limit=20) if e.action == "lock.released"]
        assert entry.stack == STACK and entry.details["holder"].startswith("deploy run r-stuck")
    finally:
        store.close()
    again = run_cli(repo, "deploy", "--json", "--redeploy", "--lock-wait", "0.3")
    assert again.code == 0, again.text
