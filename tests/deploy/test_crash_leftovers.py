"""What a deploy killed with SIGKILL leaves, and the next run on the same host clearing it at
once: the stack lease (taken over, audited, although it would not expire for ten minutes) and
the Git worktrees its checkouts were in (pruned)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.sandbox import InProcessSandbox
from tests.deploy.test_locks_and_crash import finish, lease_of, pending_operations, start_deploy, wait_for
from tests.support.cli import run_cli
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import SLOW_GATE, make_infra_repo, results_by_stack

STACK = "network/qa"


@pytest.fixture
def repo(tmp_path: Path, sandbox: InProcessSandbox) -> Iterator[InfraRepo]:
    infra = make_infra_repo(tmp_path / "infra", environments=("qa",), projects=("network",))
    first = run_cli(infra, "deploy", "--json")
    assert first.code == 0, first.text
    yield infra


def locked_worktrees(repo: InfraRepo) -> dict[str, str]:
    """Worktree path -> lock reason, from `git worktree list --porcelain`."""
    found = {}
    for block in repo.git("worktree", "list", "--porcelain").split("\n\n"):
        fields = dict(line.partition(" ")[::2] for line in block.splitlines() if line)
        if "locked" in fields:
            found[fields["worktree"]] = fields["locked"]
    return found


def test_a_killed_runs_lease_is_taken_over_at_once_and_its_worktrees_pruned(repo: InfraRepo) -> None:
    program = repo.read("stacks/network/__main__.py")
    repo.write("stacks/network/__main__.py", program + SLOW_GATE.replace("{label}", "killed"))
    sha = repo.commit("network: a slow gate")
    victim = start_deploy(repo, "--lock-ttl", "600", slow_s=120)
    try:
        wait_for(lambda: pending_operations(repo), "the update to be under way")
        lease = lease_of(repo)
        worktrees = locked_worktrees(repo)
    finally:
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
    assert lease is not None and f"pid {victim.pid}" in lease.holder
    assert lease_of(repo) is not None, "the lease would hold for ten more minutes"
    [(path, reason)] = worktrees.items()
    assert reason.startswith(f"orchestrator pid {victim.pid} on ") and Path(path).is_dir()

    started = time.monotonic()
    after = finish(start_deploy(repo, "--lock-wait", "120", slow_s=0))

    assert time.monotonic() - started < 60, "nobody waited for the dead run's lease"
    result = results_by_stack(after.json())[STACK]
    assert result["status"] != "locked", result
    assert "pending operation" in (result["error"] or ""), "the killed update's leftovers are reported"
    store = repo.open_store()
    try:
        [taken] = [e for e in store.audit_log(limit=100) if e.action == "lock.taken_over"]
        assert taken.stack == STACK and taken.commit == sha
        assert taken.details["from_run"] == lease.run_id
        assert taken.details["reason"].startswith(f"its process (pid {victim.pid} on ")
    finally:
        store.close()
    assert path not in locked_worktrees(repo) and not Path(path).exists()
    assert not Path(path).parent.exists(), "the killed run's temporary directory is gone too"
    assert locked_worktrees(repo) == {}
