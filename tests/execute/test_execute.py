"""Running a plan: waves in order, bounded concurrency, dependents of failures skipped."""

from __future__ import annotations

import threading
import time

from orchestrator.engines.base import StackResult
from orchestrator.execute import execute
from orchestrator.models import Plan, PlannedStack


def stack(project: str, env: str, wave: int, *deps: str) -> PlannedStack:
    return PlannedStack(
        project=project,
        environment=env,
        stack=env,
        directory=f"stacks/{project}",
        operation="update",
        wave=wave,
        depends_on=tuple(deps),
        reasons=("test",),
    )


def make_plan(*stacks: PlannedStack) -> Plan:
    return Plan(
        base="a" * 40, head="b" * 40, branch="main", event="push", environments=("qa",),
        changed_files=(), stacks=stacks,
    )


def test_waves_run_in_order_and_dependents_of_a_failure_are_skipped() -> None:
    plan = make_plan(
        stack("network", "qa", 0),
        stack("other", "qa", 0),
        stack("data", "qa", 1, "network/qa"),
        stack("app", "qa", 2, "data/qa"),
        stack("independent", "qa", 1, "other/qa"),
    )
    order: list[str] = []

    def run(s: PlannedStack) -> StackResult:
        order.append(s.id)
        status = "failed" if s.project == "network" else "succeeded"
        return StackResult(stack=s.id, operation="update", status=status)  # type: ignore[arg-type]

    result = execute(plan, run, concurrency=1)
    assert result.results["network/qa"].status == "failed"
    assert result.results["data/qa"].status == "skipped"
    assert "depends on network/qa, which failed" in (result.results["data/qa"].error or "")
    assert result.results["app/qa"].status == "skipped"
    assert "depends on data/qa, which was skipped" in (result.results["app/qa"].error or "")
    assert result.results["independent/qa"].status == "succeeded"
    assert "data/qa" not in order and "app/qa" not in order
    assert order.index("other/qa") < order.index("independent/qa")
    assert result.failed() == ["network/qa"]
    assert not result.ok


def test_stacks_of_one_wave_run_concurrently_up_to_the_bound() -> None:
    plan = make_plan(*(stack(f"p{i}", "qa", 0) for i in range(6)))
    running = 0
    peak = 0
    lock = threading.Lock()

    def run(s: PlannedStack) -> StackResult:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return StackResult(stack=s.id, operation="update", status="succeeded")

    result = execute(plan, run, concurrency=2)
    assert result.ok
    assert peak == 2


def test_an_engine_exception_fails_only_its_stack_and_blocked_stacks_are_reported() -> None:
    plan = make_plan(stack("a", "qa", 0), stack("b", "qa", 0), stack("c", "qa", 0))

    def run(s: PlannedStack) -> StackResult:
        if s.project == "a":
            raise RuntimeError("boom")
        return StackResult(stack=s.id, operation="update", status="succeeded")

    result = execute(plan, run, concurrency=2, blocked={"c/qa": "waiting for approval"})
    assert result.results["a/qa"].status == "failed"
    assert "RuntimeError: boom" in (result.results["a/qa"].error or "")
    assert result.results["b/qa"].status == "succeeded"
    assert result.results["c/qa"].status == "skipped"
    assert result.results["c/qa"].error == "waiting for approval"
