"""Stacks that do not run in a deploy are recorded with their reason, and count for nothing.

A failed dependency, a closed promotion gate and a destroy pending in a protected environment
leave a `skipped` stack result (reason in `error`) and a `stack.skipped` audit entry, shown by
`orchestrator history`; they change neither what a stack runs now (`current_commits`) nor whether
an environment is done at a commit, so a re-run of the same push runs them.

The flow, the Git repository (tests/deploy/conftest.py's lean infrastructure, qa -> uat -> prod)
and the SQLite store are real; the engine is a stand-in that fails the stacks it is told to,
since what is tested is what the flow records, not what an engine does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from orchestrator.cli.store import history
from orchestrator.engines.base import OpCounts, StackResult
from orchestrator.flows.deploy import DeployOutcome, DeployRequest, run_deploy
from orchestrator.flows.gates import DESTROY_PENDING, WAITING_FOR_GATE
from orchestrator.models import StackSpec
from orchestrator.store import ENV_VAR
from orchestrator.store.api import StackRunRecord
from orchestrator.store.sql import SqlStore
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import TRUSTED, make_infra_repo

STACKS = [f"{p}/{e}" for e in ("qa", "uat", "prod") for p in ("network", "data", "app")]


class ScriptedEngine:
    """Succeeds, except for the stacks in `failing`; remembers what it was asked to do."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.failing = failing or set()
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def _result(self, spec: StackSpec, operation: Any) -> StackResult:
        sid = f"{spec.project}/{spec.environment}"
        with self._lock:
            self.calls.append((operation, sid))
        if sid in self.failing:
            return StackResult(stack=sid, operation=operation, status="failed", error=f"{sid}: quota exhausted")
        return StackResult(stack=sid, operation=operation, status="succeeded", counts=OpCounts(update=1))

    def preview(self, stack: StackSpec) -> StackResult:
        return self._result(stack, "preview")

    def update(self, stack: StackSpec) -> StackResult:
        return self._result(stack, "update")

    def destroy(self, stack: StackSpec, *, preview_only: bool) -> StackResult:
        return self._result(stack, "destroy-preview" if preview_only else "destroy")

    def drift(self, stack: StackSpec) -> StackResult:
        return self._result(stack, "drift")

    def outputs(self, stack: StackSpec) -> dict[str, Any]:
        return {}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InfraRepo:
    """Every stack deployed at the root commit (prod promoted by hand)."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    infra = make_infra_repo(tmp_path / "infra")
    with _store(infra) as store:
        store.record_promotion("prod", infra.sha(), TRUSTED, "initial roll-out")
    first = deploy(infra, ScriptedEngine())
    assert {sid: r.status for sid, r in first.results.items()} == dict.fromkeys(STACKS, "succeeded")
    return infra


@contextmanager
def _store(repo: InfraRepo) -> Iterator[SqlStore]:
    """A fresh connection to the repository's store, as a separate CI job would have."""
    store = repo.open_store()
    try:
        yield store
    finally:
        store.close()


def deploy(repo: InfraRepo, engine: ScriptedEngine, **request: Any) -> DeployOutcome:
    with _store(repo) as store:
        return run_deploy(DeployRequest(repo=repo.root, actor="ci-job", **request), store, None,
                          engine_factory=lambda _name: engine)


def promote(repo: InfraRepo, commit: str) -> None:
    with _store(repo) as store:
        store.record_promotion("prod", commit, TRUSTED, "approved in the change meeting")


def recorded(store: SqlStore, run_id: str) -> dict[str, StackRunRecord]:
    return {r.stack: r for r in store.history(limit=100) if r.run_id == run_id}


def skipped_audit(store: SqlStore, run_id: str) -> dict[str, dict[str, Any]]:
    return {e.stack or "": e.details for e in store.audit_log(run_id=run_id, limit=100) if e.action == "stack.skipped"}


def test_a_failed_dependency_and_a_closed_gate_are_recorded_but_change_nothing(repo: InfraRepo) -> None:
    root = repo.sha()
    repo.replace("stacks/network/__main__.py", "or 60", "or 90")
    sha = repo.commit("network: longer visibility timeout")

    outcome = deploy(repo, ScriptedEngine(failing={"network/qa"}))

    assert outcome.results["network/qa"].status == "failed"
    with _store(repo) as store:
        stored = recorded(store, outcome.run_id)
        assert set(stored) == set(STACKS), "every stack of the run is in the store, run or not"
        assert stored["network/qa"].status == "failed"
        assert (stored["data/qa"].status, stored["data/qa"].error) == (
            "skipped", "skipped: depends on network/qa, which failed")
        assert stored["app/qa"].error == "skipped: depends on data/qa, which was skipped"
        for env in ("uat", "prod"):
            for project in ("network", "data", "app"):
                record = stored[f"{project}/{env}"]
                assert record.status == "skipped" and record.commit == sha and record.operation == "update"
                assert (record.error or "").startswith(WAITING_FOR_GATE), record.error
        assert "requires qa" in (stored["network/uat"].error or "")
        assert "approving review" in (stored["app/prod"].error or "")

        audit = skipped_audit(store, outcome.run_id)
        assert set(audit) == set(STACKS) - {"network/qa"}
        assert audit["data/qa"] == {"operation": "update", "reason": stored["data/qa"].error, "waiting": False}
        assert audit["app/prod"]["reason"] == stored["app/prod"].error and audit["app/prod"]["waiting"] is True

        # What each stack runs is still the root commit: skipped results set nothing.
        assert store.current_commits() == dict.fromkeys(sorted(STACKS), root)
        assert not any(store.environment_succeeded(env, sha) for env in ("qa", "uat", "prod"))
        run = store.get_run(outcome.run_id)
        assert run is not None and run.status == "failed"

    # The same push again, network fixed: every environment runs, none is taken for done.
    promote(repo, sha)
    engine = ScriptedEngine()
    again = deploy(repo, engine)

    assert {sid: r.status for sid, r in again.results.items()} == dict.fromkeys(STACKS, "succeeded")
    updated = sorted(sid for op, sid in engine.calls if op == "update")
    assert updated == sorted(STACKS), "nothing reported from the store"
    with _store(repo) as store:
        assert store.current_commits() == dict.fromkeys(sorted(STACKS), sha)
        assert all(store.environment_succeeded(env, sha) for env in ("qa", "uat", "prod"))
        assert skipped_audit(store, again.run_id) == {}


def test_a_pending_destroy_is_recorded_and_keeps_the_stack_current(repo: InfraRepo) -> None:
    root = repo.sha()
    repo.git("rm", "-q", "-r", "stacks/app")
    sha = repo.commit("app: retired")
    promote(repo, sha)

    outcome = deploy(repo, ScriptedEngine())

    assert outcome.pending_destroys == ("app/prod",)
    assert {outcome.results[f"app/{e}"].status for e in ("qa", "uat")} == {"succeeded"}
    with _store(repo) as store:
        app_prod = recorded(store, outcome.run_id)["app/prod"]
        assert (app_prod.status, app_prod.operation) == ("skipped", "destroy")
        assert (app_prod.error or "").startswith(DESTROY_PENDING) and "--allow-destroy" in (app_prod.error or "")
        assert skipped_audit(store, outcome.run_id)["app/prod"]["waiting"] is True
        current = store.current_commits()
        assert "app/qa" not in current and current["app/prod"] == root, "the skipped destroy cleared nothing"
        assert not store.environment_succeeded("prod", sha)

    # Re-running the push: qa and uat are done (the store says their stacks were destroyed: this
    # engine keeps no history), so nothing runs there; prod is not (its stack was skipped), so
    # its destroy is pending, and recorded, again.
    engine = ScriptedEngine()
    again = deploy(repo, engine)
    assert engine.calls == []
    assert {sid for sid in again.results} == {"app/prod"}
    done = {c.id: c for c in again.plan.current if c.project == "app"}
    assert {sid: c.reason for sid, c in done.items()} == {
        f"app/{e}": f"already destroyed at {sha[:12]}" for e in ("qa", "uat")}
    assert again.pending_destroys == ("app/prod",)
    assert (again.results["app/prod"].error or "").startswith(DESTROY_PENDING)
    with _store(repo) as store:
        assert skipped_audit(store, again.run_id).keys() == {"app/prod"}


def test_history_shows_why_a_stack_did_not_run(repo: InfraRepo) -> None:
    repo.replace("stacks/network/__main__.py", "or 60", "or 90")
    sha = repo.commit("network: longer visibility timeout")
    outcome = deploy(repo, ScriptedEngine(failing={"network/qa"}))

    runner = CliRunner()
    shown = runner.invoke(history, ["--repo", str(repo.root), "--env", "qa", "--json"], catch_exceptions=False)
    mine = {r["stack"]: r for r in json.loads(shown.output)["history"] if r["run_id"] == outcome.run_id}
    assert mine["data/qa"]["status"] == "skipped" and mine["data/qa"]["commit"] == sha
    assert mine["data/qa"]["reason"] == "depends on network/qa, which failed"
    assert mine["data/qa"]["error"] == "skipped: depends on network/qa, which failed"
    assert mine["network/qa"]["reason"] is None, "a reason is for stacks that did not run"

    text = runner.invoke(history, ["--repo", str(repo.root), "--project", "data"], catch_exceptions=False).output
    header = next(line for line in text.splitlines() if "FINISHED (UTC)" in line)
    assert header.rstrip().endswith("REASON")
    rows = {line.split()[3]: line for line in text.splitlines() if outcome.run_id in line}
    assert rows["data/qa"].split()[5] == "skipped"
    assert rows["data/qa"].endswith(f"{sha[:12]}  {outcome.run_id}  depends on network/qa, which failed")
    assert f"{WAITING_FOR_GATE}requires qa: {sha[:12]} has not reached it yet (it failed in this run)" in rows[
        "data/uat"]
