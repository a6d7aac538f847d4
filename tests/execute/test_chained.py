"""Chained previews through `run_plan` with a stand-in engine (the Pulumi CLI cannot run here):
what each dependent is handed, when it waits instead of running, and why. The local engine's
side runs for real in tests/flows/test_chained_previews.py."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest

from orchestrator.chain import WAITING_FOR_UPSTREAM, Upstream, chaining, is_new_stack
from orchestrator.engines.base import UNKNOWN, OpCounts, ResourceChange, StackResult
from orchestrator.flows.checkouts import run_plan
from orchestrator.flows.gates import is_waiting
from orchestrator.flows.publish import status_of
from orchestrator.models import EngineName, Plan, PlannedStack, PreviewedOutputs, StackSpec


def planned(project: str, wave: int, *deps: str) -> PlannedStack:
    return PlannedStack(
        project=project, environment="dev", stack="dev", directory=f"stacks/{project}", operation="preview",
        wave=wave, depends_on=tuple(f"{d}/dev" for d in deps), reasons=("test",),
    )


def preview(stack_id: str, *, create: int = 0, update: int = 0, same: int = 0, **outputs: Any) -> StackResult:
    changes = tuple(
        ResourceChange(f"urn:pulumi:dev::{stack_id.split('/')[0]}::t:m:T::r{i}", "t:m:T", f"r{i}", op)
        for i, op in enumerate(["create"] * create + ["update"] * update)
    )
    return StackResult(
        stack=stack_id, operation="preview", status="succeeded",
        counts=OpCounts(create=create, update=update, same=same), changes=changes, outputs=outputs,
    )


class StandInEngine:
    """Answers previews from a table and records the spec each stack was previewed with."""

    def __init__(self, answers: dict[str, StackResult], deployed: dict[str, dict[str, Any]] | None = None) -> None:
        self.answers = answers
        self.deployed = deployed  # None: every stack deployed with the outputs its preview shows
        self.specs: dict[str, StackSpec] = {}
        self.lock = threading.Lock()

    def preview(self, spec: StackSpec) -> StackResult:
        with self.lock:
            self.specs[spec.id] = spec
        return self.answers[spec.id]

    def outputs(self, spec: StackSpec) -> dict[str, Any]:
        if self.deployed is None:
            return dict(self.answers[spec.id].outputs)
        return self.deployed.get(spec.id, {})


class Where:
    """The part of `Checkouts` run_plan uses: a spec per planned stack."""

    def __init__(self, engine: EngineName) -> None:
        self.engine = engine

    def spec(self, stack: PlannedStack) -> StackSpec:
        return StackSpec(stack.project, stack.environment, stack.stack, Path(stack.directory), "file:///x",
                         engine=self.engine)

    def relative(self, result: StackResult) -> StackResult:
        return result


CHAIN = (planned("base", 0), planned("middle", 1, "base"), planned("top", 2, "middle"))


def run(
    engine_name: EngineName, answers: dict[str, StackResult], deployed: dict[str, dict[str, Any]] | None = None
) -> tuple[dict[str, StackResult], StandInEngine]:
    plan = Plan(base="a" * 40, head="b" * 40, branch="develop", event="pr", environments=("dev",),
                changed_files=(), stacks=CHAIN)
    engine = StandInEngine(answers, deployed)
    execution = run_plan(plan, Where(engine_name), preview=True, concurrency=2,  # type: ignore[arg-type]
                         engine_factory=lambda _name: engine)  # type: ignore[arg-type,return-value]
    return dict(execution.results), engine


def test_local_engine_dependents_read_the_previewed_outputs_of_new_upstreams() -> None:
    results, engine = run("local", {
        "base/dev": preview("base/dev", create=2, queue_url=UNKNOWN, region="us-east-1"),
        "middle/dev": preview("middle/dev", create=1, parameter=UNKNOWN, region="us-east-1"),
        "top/dev": preview("top/dev", create=2),
    })
    assert all(r.status == "succeeded" for r in results.values())
    assert engine.specs["base/dev"].previewed == ()
    assert engine.specs["middle/dev"].previewed == (
        PreviewedOutputs("base", "dev", {"region": "us-east-1"}, ("queue_url",)),
    )
    assert engine.specs["top/dev"].previewed == (
        PreviewedOutputs("middle", "dev", {"region": "us-east-1"}, ("parameter",)),
    )
    assert results["top/dev"].notes == (
        "outputs of middle/dev taken from this pull request's preview; known: region; known after apply: parameter",
    )


def test_an_unchanged_upstream_is_read_as_deployed() -> None:
    results, engine = run("local", {
        "base/dev": preview("base/dev", same=3, region="us-east-1"),
        "middle/dev": preview("middle/dev", update=1),
        "top/dev": preview("top/dev", same=1),
    })
    assert engine.specs["middle/dev"].previewed == () and results["middle/dev"].notes == ()
    assert engine.specs["top/dev"].previewed != ()


def test_an_upstream_changing_only_its_outputs_is_read_as_previewed() -> None:
    """`export("name", new)` changes no resource of the upstream, but what its dependents read."""
    results, engine = run("local", {
        "base/dev": preview("base/dev", same=1, name="ACME Inc.", region="us-east-1"),
        "middle/dev": preview("middle/dev", same=1, region="us-east-1"),
        "top/dev": preview("top/dev", same=1),
    }, deployed={"base/dev": {"name": "ACME", "region": "us-east-1"}, "middle/dev": {"region": "us-east-1"}})
    assert engine.specs["middle/dev"].previewed == (
        PreviewedOutputs("base", "dev", {"name": "ACME Inc.", "region": "us-east-1"}, ()),
    )
    assert results["middle/dev"].notes == (
        "outputs of base/dev taken from this pull request's preview; known: name, region",
    )
    assert engine.specs["top/dev"].previewed == (), "middle/dev's outputs are as deployed"
    assert results["base/dev"].notes == ("outputs that change: name",), "the count (~0) does not show it"
    assert results["top/dev"].notes == ()


def test_deployed_outputs_that_cannot_be_read_do_not_fail_a_preview() -> None:
    """A damaged state file: the previews succeeded, so they stay succeeded; the outputs note is
    left out (the next update reports the file)."""

    class Unreadable(StandInEngine):
        def outputs(self, spec: StackSpec) -> dict[str, Any]:
            raise ValueError("Expecting value: line 1 column 1 (char 0)")

    plan = Plan(base="a" * 40, head="b" * 40, branch="develop", event="pr", environments=("dev",),
                changed_files=(), stacks=CHAIN)
    engine = Unreadable({s.id: preview(s.id, same=1, region="us-east-1") for s in CHAIN})
    execution = run_plan(plan, Where("local"), preview=True, concurrency=2,  # type: ignore[arg-type]
                         engine_factory=lambda _name: engine)  # type: ignore[arg-type,return-value]
    assert [r.status for r in execution.results.values()] == ["succeeded"] * 3
    assert all(r.notes == () for r in execution.results.values())


def test_pulumi_engine_dependents_of_a_new_upstream_wait_for_it() -> None:
    results, engine = run("pulumi", {"base/dev": preview("base/dev", create=2, queue_url=UNKNOWN)})
    assert set(engine.specs) == {"base/dev"}, "nothing is previewed against a stack that does not exist"
    middle, top = results["middle/dev"], results["top/dev"]
    assert middle.status == top.status == "skipped"
    assert middle.error == (
        f"{WAITING_FOR_UPSTREAM}base/dev does not exist yet (this pull request creates it); the Pulumi CLI can only "
        "preview a StackReference to a deployed stack, so this stack is previewed once it is deployed"
    )
    assert top.error == f"{WAITING_FOR_UPSTREAM}middle/dev is waiting for its own upstream"
    assert is_waiting(middle) and is_waiting(top)
    assert status_of(middle)[0] == "pending", "waiting, not failed"


def test_pulumi_engine_dependents_of_a_changed_upstream_say_they_read_its_current_outputs() -> None:
    results, _ = run("pulumi", {
        "base/dev": preview("base/dev", update=1, same=2),
        "middle/dev": preview("middle/dev", same=1),
        "top/dev": preview("top/dev", same=1),
    })
    assert results["middle/dev"].notes == (
        "previewed against the current outputs of base/dev: this pull request changes base/dev, so what this stack "
        "reads from it may differ after merge",
    )
    assert results["top/dev"].notes == ()


@pytest.mark.parametrize(
    ("counts", "new"),
    [(OpCounts(create=3), True), (OpCounts(create=3, same=1), False), (OpCounts(update=1), False), (OpCounts(), False)],
)
def test_a_new_stack_is_one_whose_preview_creates_everything(counts: OpCounts, new: bool) -> None:
    result = dataclasses.replace(preview("base/dev"), counts=counts)
    assert is_new_stack(result) is new
    assert (chaining([Upstream(planned("base", 0), result)], "pulumi").waiting is not None) is new


def test_secret_outputs_never_travel_they_are_read_as_deployed() -> None:
    from orchestrator.engines.base import SECRET

    results, engine = run("local", {
        "base/dev": preview("base/dev", update=1, same=1, password=SECRET, url="https://x"),
        "middle/dev": preview("middle/dev", same=1),
        "top/dev": preview("top/dev", same=1),
    })
    assert engine.specs["middle/dev"].previewed == (
        PreviewedOutputs("base", "dev", {"url": "https://x"}, (), ("password",)),
    )
    assert SECRET not in repr(engine.specs["middle/dev"])
    assert results["middle/dev"].notes == (
        "outputs of base/dev taken from this pull request's preview; known: url; secret, read as deployed: password",
    )
