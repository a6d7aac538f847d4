"""Shared by the flows: check out the commits a plan needs and run its stacks on their engines."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from orchestrator.chain import Chaining, Upstream, chaining
from orchestrator.config.load import load_repository
from orchestrator.config.resolved import RepoConfig
from orchestrator.engines.base import Engine, StackResult
from orchestrator.engines.canonical import canonical
from orchestrator.execute import Execution, OnEvent, execute, skipped_result
from orchestrator.git import EMPTY_TREE, GitRepo
from orchestrator.models import Plan, PlannedStack, StackSpec

EngineFactory = Callable[[str], Engine]


def default_concurrency(config: RepoConfig, override: int | None = None) -> int:
    return override or config.settings.concurrency or os.cpu_count() or 1


def default_engine_factory(name: str) -> Engine:
    from orchestrator.engines.select import engine_for

    return engine_for(name)


@dataclass(frozen=True)
class Checkouts:
    """Where the code of each commit of a plan is checked out."""

    head: Path
    base: Path | None
    head_config: RepoConfig
    base_config: RepoConfig | None

    def spec(self, stack: PlannedStack) -> StackSpec:
        if stack.operation == "destroy":
            # The project is gone at head: its code and settings come from the base commit.
            assert self.base is not None and self.base_config is not None
            return self.base_config.stack_spec(stack.project, stack.environment, checkout=self.base)
        return self.head_config.stack_spec(stack.project, stack.environment, checkout=self.head)

    def relative(self, result: StackResult) -> StackResult:
        """The result with its error naming files as the repository does (`stacks/app/__main__.py`),
        not by the temporary checkout, which means nothing to a reviewer."""
        if not result.error:
            return result
        error = result.error
        for root in (self.head, self.base):
            if root is not None:
                for spelling in {str(root), str(root.resolve())}:
                    error = error.replace(spelling + os.sep, "")
        return dataclasses.replace(result, error=error)


@contextmanager
def checkouts(git: GitRepo, plan: Plan, head_config: RepoConfig) -> Iterator[Checkouts]:
    """Temporary worktrees of head (and of base when the plan destroys deleted projects)."""
    needs_base = any(s.operation == "destroy" for s in plan.stacks) and plan.base != EMPTY_TREE
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="orchestrator-")))
        head_dir = stack.enter_context(git.worktree(plan.head, tmp / "head"))
        base_dir = stack.enter_context(git.worktree(plan.base, tmp / "base")) if needs_base else None
        base_config = load_repository(git.root, git.tree(plan.base)) if needs_base else None
        yield Checkouts(head=head_dir, base=base_dir, head_config=head_config, base_config=base_config)


def run_operation(engine: Engine, spec: StackSpec, stack: PlannedStack, *, preview: bool) -> StackResult:
    """The engine call for a planned stack: previews on PRs, real operations on merges (in the
    canonical order, so the same change reads the same in every environment and every run)."""
    if stack.operation == "destroy":
        return canonical(engine.destroy(spec, preview_only=preview))
    if stack.operation == "drift":
        return canonical(engine.drift(spec))
    if preview or stack.operation == "preview":
        return canonical(engine.preview(spec))
    return canonical(engine.update(spec))


def run_plan(
    plan: Plan,
    where: Checkouts,
    *,
    preview: bool,
    concurrency: int,
    engine_factory: EngineFactory = default_engine_factory,
    on_event: OnEvent | None = None,
) -> Execution:
    engines: dict[str, Engine] = {}
    planned = {s.id: s for s in plan.stacks}
    finished: dict[str, StackResult] = {}  # waves order the stacks: upstreams finish first

    def run_stack(stack: PlannedStack) -> StackResult:
        spec = where.spec(stack)
        chained = _chaining(stack, spec) if preview else Chaining()
        if chained.waiting is not None:
            finished[stack.id] = skipped_result(stack, chained.waiting)
            return finished[stack.id]
        if chained.previewed:
            spec = dataclasses.replace(spec, previewed=chained.previewed)
        engine = engines.get(spec.engine)
        if engine is None:
            engine = engines.setdefault(spec.engine, engine_factory(spec.engine))
        result = where.relative(run_operation(engine, spec, stack, preview=preview))
        if chained.notes:
            result = dataclasses.replace(result, notes=(*result.notes, *chained.notes))
        finished[stack.id] = result
        return result

    def _chaining(stack: PlannedStack, spec: StackSpec) -> Chaining:
        upstreams = [
            Upstream(planned[d], finished[d])
            for d in stack.depends_on
            if d in finished and finished[d].ok and planned[d].operation == "preview"
        ]
        return chaining(upstreams, spec.engine)

    return execute(plan, run_stack, concurrency=concurrency, on_event=on_event)
