"""The life of an AWS resource type through the whole engine, in one call.

A case is a small Pulumi program of our own that reads `step` from its config (`create`,
then `update`, then `replace`) and declares the service's resources accordingly. The
harness runs it with the real SDK in the engine's child process against moto on loopback:

1. `update` at step `create`: every resource is created;
2. `preview` at step `create`: no changes (what was created reads back as declared);
3. `update` at step `update`: exactly `updated` change, in place; then a no-change preview;
4. `update` at step `replace`: exactly `replaced` change (skipped when empty); no-change preview;
5. `drift` after `drift(clients, outputs)` changed things behind the engine's back: exactly
   `drifted` is reported;
6. `destroy`: nothing the stack made is left: each recorded object reads as gone through its
   provider, and the Resource Groups Tagging API finds nothing with the case's tag (every
   resource gets it as an `aws:defaultTags` default tag).

Each step that fails says which step, what was expected and what the engine reported.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.engines.base import StackResult
from orchestrator.engines.local.engine import LocalEngine
from orchestrator.models import AwsSettings, StackSpec

CASE_TAG = "orchestrator-case"
Clients = Callable[[str], Any]


@dataclass(frozen=True)
class TypeCase:
    """`updated`/`replaced`/`drifted` map resource names to the op expected at that step;
    `drift` makes the out-of-band change (given a boto3 client factory and the stack outputs)."""

    program: str
    updated: Mapping[str, str] = field(default_factory=dict)
    replaced: Mapping[str, str] = field(default_factory=dict)
    drift: Callable[[Clients, Mapping[str, Any]], None] | None = None
    drifted: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    # ARN parts of objects AWS keeps, tagged, after their delete (ECS's INACTIVE clusters,
    # services and task definitions): the tagging API may list them; they must read as gone.
    lingering: tuple[str, ...] = ()


@dataclass
class CaseRun:
    """What each step returned, for assertions beyond the harness's own."""

    results: dict[str, StackResult] = field(default_factory=dict)

    def outputs(self, step: str) -> dict[str, Any]:
        return self.results[step].outputs


def boto_clients(endpoint: str) -> Clients:
    import boto3

    def client(service: str) -> Any:
        session: Any = boto3.session.Session()
        return session.client(service, region_name="us-east-1", endpoint_url=endpoint,
                              aws_access_key_id="testing", aws_secret_access_key="testing")

    return client


class _Stack:
    def __init__(self, root: Path, endpoint: str, case: TypeCase) -> None:
        self.directory = root / "case"
        self.backend = root / "backend"
        self.endpoint = endpoint
        self.case = case
        self.tag = uuid.uuid4().hex[:12]
        self.directory.mkdir(parents=True)
        (self.directory / "Pulumi.yaml").write_text("name: case\nruntime: python\n")
        (self.directory / "__main__.py").write_text(case.program)

    def spec(self, step: str) -> StackSpec:
        config = {
            "case:step": step,
            "aws:defaultTags": json.dumps({"tags": {CASE_TAG: self.tag}}),
            **{k if ":" in k else f"case:{k}": v for k, v in self.case.config.items()},
        }
        return StackSpec(project="case", environment="dev", stack_name="dev", directory=self.directory,
                         backend=f"file://{self.backend}", config=config,
                         aws=AwsSettings(region="us-east-1", endpoint=self.endpoint))

    def recorded(self) -> list[dict[str, Any]]:
        path = self.backend / ".pulumi" / "stacks" / "case" / "dev.json"
        data = json.loads(path.read_text())
        return [r for r in data["checkpoint"]["latest"].get("resources", [])
                if r.get("custom") and r["type"].startswith("aws:")]


def _ops(result: StackResult) -> dict[str, str]:
    return {c.name: c.op for c in result.changes}


def _check(step: str, result: StackResult, expected: Mapping[str, str]) -> None:
    assert result.ok, f"{step}: {result.status}: {result.error}\n{[d.message for d in result.diagnostics]}"
    diffs = {c.name: [(d.path, d.old, d.new) for d in c.diffs] for c in result.changes}
    assert _ops(result) == dict(expected), (
        f"{step}: expected {dict(expected)}, the engine reported {_ops(result)}; diffs: {diffs}")


def run_type_case(case: TypeCase, root: Path, endpoint: str) -> CaseRun:
    stack = _Stack(root, endpoint, case)
    engine = LocalEngine()
    run = CaseRun()

    def step(label: str, result: StackResult, expected: Mapping[str, str] | None = None) -> StackResult:
        run.results[label] = result
        if expected is not None:
            _check(label, result, expected)
        return result

    created = step("create", engine.update(stack.spec("create")))
    assert created.ok, f"create: {created.error}\n{[d.message for d in created.diagnostics]}"
    assert created.counts.create >= 1 and set(_ops(created).values()) == {"create"}, _ops(created)
    step("no-change preview after create", engine.preview(stack.spec("create")), {})
    if case.updated:
        step("update", engine.update(stack.spec("update")), case.updated)
        step("no-change preview after update", engine.preview(stack.spec("update")), {})
    last = "update" if case.updated else "create"
    if case.replaced:
        step("replace", engine.update(stack.spec("replace")), case.replaced)
        step("no-change preview after replace", engine.preview(stack.spec("replace")), {})
        last = "replace"
    if case.drift is not None:
        case.drift(boto_clients(endpoint), engine.outputs(stack.spec(last)))
        step("drift", engine.drift(stack.spec(last)), case.drifted)
    recorded = stack.recorded()
    step("destroy", engine.destroy(stack.spec(last), preview_only=False))
    assert run.results["destroy"].ok, run.results["destroy"].error
    _assert_nothing_left(stack, recorded)
    return run


def _assert_nothing_left(stack: _Stack, recorded: list[dict[str, Any]]) -> None:
    from orchestrator.engines.local.providers.base import ProviderContext
    from orchestrator.engines.local.providers.registry import get_provider

    ctx = ProviderContext(project="case", stack="dev", aws=AwsSettings(region="us-east-1", endpoint=stack.endpoint),
                          manifests_dir=stack.backend / "manifests", config={})
    left = []
    for res in recorded:
        provider = get_provider(res["type"], ctx)
        if provider.read(res["urn"], res["id"], _plain(res.get("inputs")), _plain(res.get("outputs"))) is not None:
            left.append(f"{res['type']} {res['id']}")
    tagging = boto_clients(stack.endpoint)("resourcegroupstaggingapi")
    tagged = tagging.get_resources(TagFilters=[{"Key": CASE_TAG, "Values": [stack.tag]}])["ResourceTagMappingList"]
    left.extend(t["ResourceARN"] for t in tagged if not any(part in t["ResourceARN"] for part in stack.case.lingering))
    assert not left, f"destroy left these behind: {left}"


def _plain(props: Any) -> dict[str, Any]:
    """Recorded properties without secret envelopes (the harness's programs keep no secrets
    that reads need)."""
    from orchestrator.engines.local.props import is_secret

    return {k: v for k, v in (props or {}).items() if not is_secret(v)}
