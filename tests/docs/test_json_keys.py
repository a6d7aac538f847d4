"""The JSON outputs documented in docs/flows.md and docs/operations.md have the keys the code
produces: tools are told to rely on them, so a renamed or added key must reach the docs."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator.engines.base import Diagnostic, OpCounts, PolicyViolation, PropertyDiff, ResourceChange, StackResult
from orchestrator.models import Plan, PlannedStack

ROOT = Path(__file__).resolve().parents[2]
FLOWS = (ROOT / "docs" / "flows.md").read_text(encoding="utf-8")
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    following = re.search(r"^#{1,2} ", text[start + len(heading) :], flags=re.M)  # the next ## section
    return text[start : start + len(heading) + following.start()] if following else text[start:]


def _quoted(text: str) -> set[str]:
    """Every `"key"` and `` `key` `` written in `text`."""
    return set(re.findall(r'"(\w+)"', text)) | set(re.findall(r"`(\w+)`", text))


def _literal_keys(function: Callable[..., Any]) -> set[str]:
    """The string keys of the dict literal(s) a to_json-like function returns."""
    return set(re.findall(r'^\s*"(\w+)":', inspect.getsource(function), flags=re.M)) | set(
        re.findall(r'[{,]\s*"(\w+)":', inspect.getsource(function))
    )


def _stack_result() -> StackResult:
    return StackResult(
        stack="app/dev",
        operation="preview",
        status="succeeded",
        counts=OpCounts(update=1),
        changes=(ResourceChange("urn:x", "aws:s3/bucket:Bucket", "b", "update", (PropertyDiff("tags.a", "add"),)),),
        diagnostics=(Diagnostic("warning", "w", "urn:x"),),
        policy_violations=(PolicyViolation("pack", "policy", "advisory", "m", "urn:x"),),
    )


def _keys_deep(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys_deep(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys_deep(v)}
    return set()


def test_stack_result_keys_are_documented() -> None:
    documented = _quoted(_section(FLOWS, "## Stack results"))
    missing = _keys_deep(_stack_result().to_json()) - documented
    assert not missing, f"StackResult JSON keys missing from docs/flows.md (## Stack results): {sorted(missing)}"


def test_plan_keys_are_documented() -> None:
    plan = Plan(
        base="a",
        head="b",
        branch="main",
        event="pr",
        environments=("dev",),
        changed_files=("x",),
        stacks=(PlannedStack("app", "dev", "dev", "stacks/app", "preview", 0, (), ("r",)),),
    )
    section = _section(FLOWS, "## The plan")
    assert not _keys_deep(plan.to_json()) - _quoted(section)
    assert not _keys_deep(plan.to_matrix()) - _quoted(section)


@pytest.mark.parametrize(
    "where,heading,function",
    [
        ("flows", "## 1. Preview on a pull request", "orchestrator.flows.preview:PreviewOutcome.to_json"),
        ("flows", "## 2. Deploy on merge", "orchestrator.flows.deploy:DeployOutcome.to_json"),
        ("flows", "## 2. Deploy on merge", "orchestrator.flows.gates:GateResult.to_json"),
        ("flows", "### Reconcile", "orchestrator.models:GitDrift.to_json"),
        ("flows", "### Reconcile", "orchestrator.flows.reconcile:GitDriftReport.to_json"),
        ("flows", "### Reconcile", "orchestrator.flows.reconcile:ReconcileOutcome.to_json"),
        ("flows", "## 3. Drift on a schedule", "orchestrator.flows.drift:DriftOutcome.to_json"),
        ("flows", "## 3. Drift on a schedule", "orchestrator.drift.model:Finding.to_json"),
        ("flows", "## 3. Drift on a schedule", "orchestrator.drift.model:StackDrift.to_json"),
        ("operations", "## Locks", "orchestrator.cli.store:_lease_json"),
        ("operations", "## History", "orchestrator.cli.store:_record_json"),
    ],
)
def test_outcome_keys_are_documented(where: str, heading: str, function: str) -> None:
    import importlib

    module_name, _, qualified = function.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualified.split("."):
        target = getattr(target, part)
    keys = _literal_keys(target)
    assert keys, f"no keys found in {function}"
    text = FLOWS if where == "flows" else OPERATIONS
    missing = keys - _quoted(_section(text, heading))
    assert not missing, f"{function} keys missing from docs/{where}.md ({heading}): {sorted(missing)}"


def test_the_key_finder_sees_a_missing_key() -> None:
    def to_json() -> dict[str, Any]:
        return {"stack": 1, "brand_new_key": 2}

    assert _literal_keys(to_json) == {"stack", "brand_new_key"}
    assert "brand_new_key" not in _quoted(_section(FLOWS, "## Stack results"))
