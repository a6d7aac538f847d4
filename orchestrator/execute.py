"""Runs a Plan: waves in order, bounded concurrency inside a wave, dependents of a failure skipped.

The engine call is passed in (`run_stack`) so flows decide the operation (preview, update,
destroy) and this module stays free of engine and I/O details.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from orchestrator.chain import waiting_behind
from orchestrator.engines.base import ResultOperation, StackResult
from orchestrator.models import Plan, PlannedStack

RunStack = Callable[[PlannedStack], StackResult]
OnEvent = Callable[[str, PlannedStack, StackResult | None], None]  # ("start"|"done", stack, result)


@dataclass(frozen=True)
class Execution:
    plan: Plan
    results: Mapping[str, StackResult]  # by stack id, in plan order
    duration_s: float

    @property
    def ok(self) -> bool:
        return all(r.status == "succeeded" for r in self.results.values())

    def failed(self) -> list[str]:
        return [sid for sid, r in self.results.items() if r.status in ("failed", "locked")]


def skipped_result(stack: PlannedStack, reason: str) -> StackResult:
    return StackResult(stack=stack.id, operation=_result_operation(stack), status="skipped", error=reason)


def refused_result(stack: PlannedStack, reason: str) -> StackResult:
    """The plan refused this stack (see PlannedStack.refusal): it fails without running."""
    return StackResult(stack=stack.id, operation=_result_operation(stack), status="failed", error=reason)


def _result_operation(stack: PlannedStack) -> ResultOperation:
    return stack.operation


def execute(
    plan: Plan,
    run_stack: RunStack,
    *,
    concurrency: int,
    on_event: OnEvent | None = None,
    blocked: Mapping[str, str] | None = None,
) -> Execution:
    """Run every stack of `plan`. `blocked` maps stack ids to a reason not to run them (gates)."""
    started = time.monotonic()
    results: dict[str, StackResult] = {}
    blocked = dict(blocked or {})
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for wave in plan.waves:
            stacks = [s for s in plan.stacks if s.id in wave]
            runnable: list[PlannedStack] = []
            for stack in stacks:
                reason = blocked.get(stack.id) or _failed_dependency(stack, results)
                if stack.refusal or reason:
                    results[stack.id] = (
                        refused_result(stack, stack.refusal) if stack.refusal else skipped_result(stack, reason or "")
                    )
                    if on_event:
                        on_event("done", stack, results[stack.id])
                else:
                    runnable.append(stack)
            for stack, result in zip(runnable, pool.map(lambda s: _run(s, run_stack, on_event), runnable), strict=True):
                results[stack.id] = result
    ordered = {s.id: results[s.id] for s in plan.stacks}
    return Execution(plan=plan, results=ordered, duration_s=time.monotonic() - started)


def _run(stack: PlannedStack, run_stack: RunStack, on_event: OnEvent | None) -> StackResult:
    if on_event:
        on_event("start", stack, None)
    try:
        result = run_stack(stack)
    except Exception as exc:  # an engine bug must not take the other stacks down with it
        result = StackResult(
            stack=stack.id,
            operation=_result_operation(stack),
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
        )
    if on_event:
        on_event("done", stack, result)
    return result


def _failed_dependency(stack: PlannedStack, results: Mapping[str, StackResult]) -> str | None:
    for dependency in stack.depends_on:
        result = results.get(dependency)
        if result is not None and result.status != "succeeded":
            failed = f"skipped: depends on {dependency}, which {_past(result.status)}"
            return waiting_behind(dependency, result) or failed
    return None


def _past(status: str) -> str:
    return {"failed": "failed", "locked": "was locked", "skipped": "was skipped"}.get(status, status)
