"""The local engine records the commit each update applied in the backend's update history, in
the layout and format of Pulumi's DIY backend (`.pulumi/history/<project>/<stack>/`), and reads
it back: what a stack runs is known from the backend alone."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from orchestrator.engines.applied import RecordsApplied
from orchestrator.engines.local.engine import LocalEngine
from orchestrator.models import UpdateOrigin
from tests.engine.programs import items_config
from tests.support.engine_stack import Stack

A, B, C, D = ("a1" * 20, "b2" * 20, "c3" * 20, "d4" * 20)


def history_files(st: Stack) -> list[Path]:
    directory = st.backend / ".pulumi" / "history" / st.name / st.stack
    return sorted(directory.glob("*.history.json"), key=lambda p: int(p.name.split("-")[-1].split(".")[0]))


def entries(st: Stack) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in history_files(st)]


def test_each_update_leaves_a_pulumi_format_history_entry_naming_its_commit(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    assert isinstance(engine, RecordsApplied)
    config = items_config(st.store, [{"name": "a", "value": "one"}])
    assert engine.applied(st.spec(config)) is None, "never deployed"

    first = engine.update(replace(st.spec(config), origin=UpdateOrigin(A, "deploy", "run-1")))
    assert first.ok, first.error

    [entry] = entries(st)
    assert entry["kind"] == "update" and entry["result"] == "succeeded"
    assert entry["message"] == f"orchestrator deploy {A} run run-1"
    assert entry["environment"]["git.head"] == A
    assert isinstance(entry["startTime"], int) and entry["endTime"] >= entry["startTime"]
    assert entry["resourceChanges"] == {"create": 2}
    [path] = history_files(st)
    checkpoint = path.with_name(path.name.replace(".history.json", ".checkpoint.json"))
    assert json.loads(checkpoint.read_text()) == st.state(), "the checkpoint as this update left it"

    applied = engine.applied(st.spec(config))
    assert applied is not None
    assert (applied.commit, applied.flow, applied.run_id, applied.operation) == (A, "deploy", "run-1", "update")


def test_a_no_change_update_moves_the_applied_commit_and_a_failed_one_does_not(
    make_stack: Callable[..., Stack],
) -> None:
    st = make_stack()
    engine = LocalEngine()
    config = items_config(st.store, [{"name": "a", "value": "one"}])
    assert engine.update(replace(st.spec(config), origin=UpdateOrigin(A, "deploy", "run-1"))).ok

    unchanged = engine.update(replace(st.spec(config), origin=UpdateOrigin(B, "deploy", "run-2")))
    assert unchanged.ok and unchanged.counts.changed == 0
    applied = engine.applied(st.spec(config))
    assert applied is not None and applied.commit == B, "the stack runs B now, though nothing changed"

    failing = items_config(st.store, [{"name": "a", "value": "two"}], fail=True)
    failed = engine.update(replace(st.spec(failing), origin=UpdateOrigin(C, "deploy", "run-3")))
    assert failed.status == "failed"
    assert [(e["result"], e["message"].split()[2]) for e in entries(st)] == [
        ("succeeded", A), ("succeeded", B), ("failed", C)]
    applied = engine.applied(st.spec(config))
    assert applied is not None and applied.commit == B, "the next run plans from B again"


def test_a_rollback_is_named_and_a_destroy_ends_what_the_stack_runs(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    config = items_config(st.store, [{"name": "a", "value": "one"}])
    assert engine.update(replace(st.spec(config), origin=UpdateOrigin(B, "deploy", "run-1"))).ok
    assert engine.update(replace(st.spec(config), origin=UpdateOrigin(A, "rollback", "run-2"))).ok
    rolled_back = engine.applied(st.spec(config))
    assert rolled_back is not None and (rolled_back.commit, rolled_back.flow) == (A, "rollback")

    assert engine.destroy(replace(st.spec(config), origin=UpdateOrigin(D, "deploy", "run-3")), preview_only=False).ok
    destroyed = engine.applied(st.spec(config))
    assert destroyed is not None and destroyed.destroyed and destroyed.commit == D
    assert entries(st)[-1]["kind"] == "destroy"


def test_previews_drift_checks_and_refreshes_leave_no_history(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    config = items_config(st.store, [{"name": "a", "value": "one"}])
    assert engine.update(replace(st.spec(config), origin=UpdateOrigin(A, "deploy", "run-1"))).ok
    assert engine.preview(st.spec(config)).ok
    assert engine.drift(st.spec(config)).ok
    assert engine.refresh(st.spec(config)).ok
    assert len(entries(st)) == 1


def test_a_torn_newest_entry_is_passed_over(make_stack: Callable[..., Stack]) -> None:
    st = make_stack()
    engine = LocalEngine()
    config = items_config(st.store, [{"name": "a", "value": "one"}])
    assert engine.update(replace(st.spec(config), origin=UpdateOrigin(A, "deploy", "run-1"))).ok
    [path] = history_files(st)
    stamp = int(path.name.split("-")[-1].split(".")[0])
    path.with_name(f"{st.stack}-{stamp + 1}.history.json").write_text('{"kind": "upd')  # a crash mid-write
    applied = engine.applied(st.spec(config))
    assert applied is not None and applied.commit == A
