"""The deploy flow's whole store path once against a real PostgreSQL server: runs, stack
results, the `requires` gate, leases, the audit log and `orchestrator history`, with
ORCHESTRATOR_DATABASE_URL pointing at a fresh schema (the PostgreSQL fixture of the store tests:
a throwaway cluster, or $ORCHESTRATOR_TEST_POSTGRES_URL)."""

from __future__ import annotations

from pathlib import Path

from orchestrator.sandbox import InProcessSandbox
from orchestrator.store.sql import SqlStore
from tests.support.cli import run_cli
from tests.support.lean_infra import make_infra_repo, results_by_stack


def test_deploy_end_to_end_on_postgresql(
    tmp_path: Path, sandbox: InProcessSandbox, postgres_schema_url: str
) -> None:
    repo = make_infra_repo(tmp_path / "infra", environments=("qa", "uat"), projects=("network",))
    env = {"ORCHESTRATOR_DATABASE_URL": postgres_schema_url}

    run = run_cli(repo, "deploy", "--json", env=env)

    assert run.code == 0, run.text
    outcome = run.json()
    results = results_by_stack(outcome)
    assert results["network/qa"]["status"] == "succeeded" and results["network/uat"]["status"] == "succeeded"
    assert [g["reasons"] for g in outcome["gates"]] == [[], [f"qa is at {repo.sha()[:12]}"]]
    assert not (repo.root / ".orchestrator" / "orchestrator.db").exists(), "nothing went to the SQLite default"

    store = SqlStore(postgres_schema_url)
    try:
        assert store.backend == "postgresql"
        recorded = store.get_run(outcome["run_id"])
        assert recorded is not None and recorded.status == "succeeded" and recorded.flow == "deploy"
        assert store.environment_succeeded("uat", repo.sha())
        assert store.current_commits() == {"network/qa": repo.sha(), "network/uat": repo.sha()}
        assert store.locks(include_expired=True) == [], "leases released"
        actions = [e.action for e in sorted(store.audit_log(run_id=outcome["run_id"]), key=lambda e: e.id)]
        assert actions == [
            "deploy.started", "gate.passed", "stack.update", "gate.passed", "stack.update", "deploy.finished",
        ]
    finally:
        store.close()

    history = run_cli(repo, "history", "--json", env=env)
    assert history.code == 0, history.text
    assert {r["stack"] for r in history.json()["history"]} == {"network/qa", "network/uat"}
