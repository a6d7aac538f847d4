"""Shared by the flows: check out the commits a plan needs and run its stacks on their engines."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.chain import Chaining, Upstream, chaining, outputs_note
from orchestrator.config.load import load_repository
from orchestrator.config.resolved import RepoConfig
from orchestrator.engines.base import Engine, StackResult
from orchestrator.engines.canonical import canonical
from orchestrator.errors import UserError
from orchestrator.execute import Execution, OnEvent, execute, skipped_result
from orchestrator.git import EMPTY_TREE, WORKTREE_DIR_PREFIX, GitRepo
from orchestrator.models import Plan, PlannedStack, StackSpec

EngineFactory = Callable[[str], Engine]


def default_concurrency(config: RepoConfig, override: int | None = None) -> int:
    return override or config.settings.concurrency or os.cpu_count() or 1


def default_engine_factory(name: str) -> Engine:
    from orchestrator.engines.select import engine_for

    return engine_for(name)


@dataclass
class Checkouts:
    """Where the code of each commit of a plan is checked out: the head, and for destroys the
    commit each deleted project last existed in (its `PlannedStack.base`, else `default_base`)."""

    head: Path
    head_config: RepoConfig
    default_base: str | None = None
    bases: dict[str, tuple[Path, RepoConfig]] = field(default_factory=dict)
    _open_base: Callable[[str], tuple[Path, RepoConfig]] | None = None

    def spec(self, stack: PlannedStack) -> StackSpec:
        if stack.operation == "destroy":
            # The project is gone at head: its code and settings come from the commit it was found in.
            directory, config = self.base(stack.base or self.default_base)
            return config.stack_spec(stack.project, stack.environment, checkout=directory)
        return self.head_config.stack_spec(stack.project, stack.environment, checkout=self.head)

    def base(self, commit: str | None) -> tuple[Path, RepoConfig]:
        """The checkout of `commit` and its configuration, made on first use."""
        assert commit is not None and commit != EMPTY_TREE, "a destroy needs the commit its project existed in"
        if commit not in self.bases:
            assert self._open_base is not None
            self.bases[commit] = self._open_base(commit)
        return self.bases[commit]

    def prepare(self, plan: Plan) -> None:
        """Check out the commits the plan's destroys need, before its stacks run in parallel."""
        for stack in plan.stacks:
            if stack.operation == "destroy":
                self.base(stack.base or self.default_base)

    def relative(self, result: StackResult) -> StackResult:
        """The result with its error naming files as the repository does (`stacks/app/__main__.py`),
        not by the temporary checkout, which means nothing to a reviewer."""
        if not result.error:
            return result
        error = result.error
        for root in (self.head, *(directory for directory, _ in self.bases.values())):
            for spelling in {str(root), str(root.resolve())}:
                error = error.replace(spelling + os.sep, "")
        return dataclasses.replace(result, error=error)


@contextmanager
def open_checkouts(git: GitRepo, head: str, head_config: RepoConfig, *, default_base: str | None = None
                   ) -> Iterator[Checkouts]:
    """A temporary worktree of `head`; worktrees of base commits are added as destroys need them.
    All are removed at the end; those a killed run left are removed first."""
    git.prune_dead_worktrees()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=WORKTREE_DIR_PREFIX)))
        head_dir = stack.enter_context(git.worktree(head, tmp / "head"))

        def open_base(commit: str) -> tuple[Path, RepoConfig]:
            directory = stack.enter_context(git.worktree(commit, tmp / f"base-{commit[:12]}"))
            return directory, load_repository(git.root, git.tree(commit))

        yield Checkouts(head=head_dir, head_config=head_config, default_base=default_base, _open_base=open_base)


@contextmanager
def checkouts(git: GitRepo, plan: Plan, head_config: RepoConfig) -> Iterator[Checkouts]:
    """Temporary worktrees of head (and of the base commits the plan's destroys need)."""
    with open_checkouts(git, plan.head, head_config, default_base=plan.base) as where:
        where.prepare(plan)
        yield where


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
    deployed: dict[str, dict[str, Any]] = {}  # local engine previews: the stack's deployed outputs

    def run_stack(stack: PlannedStack) -> StackResult:
        spec = where.spec(stack)
        engine = engines.get(spec.engine)
        if engine is None:
            engine = engines.setdefault(spec.engine, engine_factory(spec.engine))
        chained = _chaining(stack, spec) if preview else Chaining()
        if chained.waiting is not None:
            finished[stack.id] = skipped_result(stack, chained.waiting)
            return finished[stack.id]
        if chained.previewed:
            spec = dataclasses.replace(spec, previewed=chained.previewed)
        result = where.relative(run_operation(engine, spec, stack, preview=preview))
        notes = chained.notes
        if preview and spec.engine == "local" and stack.operation == "preview" and result.ok:
            # The local engine reads deployed outputs from its state file: cheap enough to say
            # which outputs a preview changes, and to tell an upstream whose preview changes only
            # its outputs from one that changes nothing. Unreadable, they are left unsaid: the
            # preview itself succeeded.
            found = _deployed_outputs(engine, spec)
            if found is not None:
                deployed[stack.id] = found
                note = outputs_note(result, found)
                notes = (*notes, note) if note else notes
        if notes:
            result = dataclasses.replace(result, notes=(*result.notes, *notes))
        finished[stack.id] = result
        return result

    def _chaining(stack: PlannedStack, spec: StackSpec) -> Chaining:
        upstreams = [
            Upstream(planned[d], finished[d], deployed.get(d))
            for d in stack.depends_on
            if d in finished and finished[d].ok and planned[d].operation == "preview"
        ]
        return chaining(upstreams, spec.engine)

    return execute(plan, run_stack, concurrency=concurrency, on_event=on_event)


def _deployed_outputs(engine: Engine, spec: StackSpec) -> dict[str, Any] | None:
    try:
        return engine.outputs(spec)
    except (UserError, OSError, ValueError):  # a damaged state file: the next update reports it
        return None
