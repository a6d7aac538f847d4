"""Running review stacks: their specs, their leases, the engine calls, what the store remembers.

A review stack is one of the environment's projects under another stack name (`pr-7`), in the
environment's backend, with its config and credentials. Its config is the environment's own
stack's (`Pulumi.dev.yaml` is copied to `Pulumi.pr-7.yaml` in the run's checkout when the pull
request has no file of its own for it, as Pulumi Deployments copies its template stack's), so a
pull request may change it like any other file.

Every destroy and removal goes through `guard`: the stack name must be one the review template
makes, and no environment's own stack (as the trusted base commit and the pull request's head
configure them). The configuration check refuses such templates already; this is the last word.
"""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from orchestrator.config.resolved import RepoConfig
from orchestrator.engines.base import Diagnostic, Engine, StackRemover, StackResult, redact_result
from orchestrator.engines.canonical import canonical
from orchestrator.engines.pulumi_config import stack_file
from orchestrator.errors import UserError
from orchestrator.execute import OnEvent, execute
from orchestrator.flows.checkouts import EngineFactory
from orchestrator.flows.locking import LockPolicy, StackLocked, holder_name, stack_lease
from orchestrator.flows.review_plan import ReviewPlan, ReviewStackPlan
from orchestrator.models import STACK_REFERENCES_KEY, PlannedStack, StackSpec, UpdateOrigin
from orchestrator.redact import Redactor
from orchestrator.store.api import Store
from orchestrator.store.review import ReviewStack, ReviewStatus, ReviewStore

Clock = Callable[[], datetime]
FLOW = "review"


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_run_id(clock: Clock) -> str:
    return f"{clock():%Y%m%d-%H%M%S}-review-{uuid.uuid4().hex[:8]}"


@dataclass
class ReviewRunner:
    """Runs the stacks of review plans for one pull request at one commit checked out at `checkout`.

    `trusted` is the base commit's configuration: review settings, backends and the names a review
    must never touch come from it; `head` (the pull request's own) brings the code and config."""

    trusted: RepoConfig
    head: RepoConfig
    checkout: Path
    commit: str
    pr: int
    store: Store
    reviews: ReviewStore
    engine_factory: EngineFactory
    actor: str
    redactor: Redactor = field(default_factory=Redactor)
    locks: LockPolicy = field(default_factory=LockPolicy)
    concurrency: int = 1
    on_event: OnEvent | None = None
    clock: Clock = utcnow
    run_id: str = ""
    engines: dict[str, Engine] = field(default_factory=dict)
    failed: bool = False  # a stack of this run failed or was locked

    def __post_init__(self) -> None:
        self.run_id = self.run_id or new_run_id(self.clock)

    # ------------------------------------------------------------------ specs
    def spec(self, target: ReviewStackPlan) -> StackSpec:
        """The environment's stack spec of the project, as the review stack."""
        base = self.head.stack_spec(target.project, target.environment, checkout=self.checkout)
        _copy_stack_file(base.directory, target.own_stack, target.stack_name)
        return dataclasses.replace(
            base,
            stack_name=target.stack_name,
            backend=self.trusted.backend_url(target.environment),
            config={**base.config, STACK_REFERENCES_KEY: dict(target.reads)},
            redirects=dict(target.redirects),
            origin=UpdateOrigin(commit=self.commit, flow=FLOW, run_id=self.run_id),
        )

    def engine(self, name: str) -> Engine:
        return self.engines.get(name) or self.engines.setdefault(name, self.engine_factory(name))

    def exists(self, target: ReviewStackPlan) -> bool:
        spec = self.spec(target)
        engine = self.engine(spec.engine)
        return isinstance(engine, StackRemover) and engine.exists(spec)

    def guard(self, target: ReviewStackPlan) -> None:
        """Refuse (UserError) to destroy or remove anything but a stack the review template makes."""
        env = self.trusted.environment(target.environment)
        if not env.review.made(env.name, target.project, target.stack_name):
            raise UserError(f"refusing to destroy {target.stack_name!r}: the review template "
                            f"{env.review.stack_name_template!r} of {env.name} does not make that name")
        backend = self.trusted.backend_url(env.name)
        short = target.stack_name.rsplit("/", 1)[-1]
        for config in (self.trusted, self.head):
            for other in config.environments.values():
                if (other.stack_name(target.project).rsplit("/", 1)[-1] == short
                        and config.backend_url(other.name) == backend):
                    raise UserError(f"refusing to destroy {target.project}/{target.stack_name}: it is the "
                                    f"{other.name} environment's own stack")

    # ------------------------------------------------------------------ running
    def run(self, plan: ReviewPlan) -> dict[str, StackResult]:
        """Update (up) or destroy and remove (down) every stack of `plan`, dependencies first
        (dependents first for destroys), each under its lease; results by review stack id."""

        def run_stack(stack: PlannedStack) -> StackResult:
            return self._run_stack(plan.stacks[stack.id], stack)

        execution = execute(plan.plan, run_stack, concurrency=self.concurrency, on_event=self.on_event)
        results = {sid: redact_result(r, self.redactor) for sid, r in execution.results.items()}
        self.failed = self.failed or any(r.status in ("failed", "locked") for r in results.values())
        for sid, result in results.items():
            self._remember(plan, plan.stacks[sid], result)
        return results

    def _run_stack(self, target: ReviewStackPlan, stack: PlannedStack) -> StackResult:
        destroy = stack.operation == "destroy"
        try:
            if destroy:
                self.guard(target)
            spec = self.spec(target)
            with stack_lease(self.store, target.id, holder=holder_name(FLOW, self.run_id, self.actor),
                             run_id=self.run_id, commit=self.commit, policy=self.locks, pr=self.pr):
                engine = self.engine(spec.engine)
                if not destroy:
                    return dataclasses.replace(canonical(engine.update(spec)), stack=target.id)
                result = dataclasses.replace(canonical(engine.destroy(spec, preview_only=False)), stack=target.id)
                return result if not result.ok else self._remove(engine, spec, result)
        except StackLocked as locked:
            return StackResult(stack=target.id, operation=stack.operation, status="locked", error=str(locked))
        except UserError as exc:
            return StackResult(stack=target.id, operation=stack.operation, status="failed", error=str(exc))

    def _remove(self, engine: Engine, spec: StackSpec, result: StackResult) -> StackResult:
        if not isinstance(engine, StackRemover):
            return dataclasses.replace(result, status="failed", error=f"the {spec.engine} engine cannot remove "
                                       f"stack {spec.stack_name} from its backend; it was destroyed")
        engine.remove(spec)
        note = Diagnostic("info", f"stack {spec.stack_name} removed from the backend")
        return dataclasses.replace(result, diagnostics=(*result.diagnostics, note))

    def _remember(self, plan: ReviewPlan, target: ReviewStackPlan, result: StackResult) -> None:
        destroy = result.operation == "destroy"
        status: ReviewStatus = (("destroyed" if result.ok else "destroy_failed") if destroy
                                else ("up" if result.ok else "failed"))
        self.reviews.record_stack(plan.environment, self.pr, ReviewStack(
            project=target.project, stack_name=target.stack_name, status=status, head=self.commit,
            updated_at=self.clock(), outputs={} if destroy else dict(result.outputs), error=result.error))
        self.store.audit(actor=self.actor, action=f"review.{'destroy' if destroy else 'update'}", run_id=self.run_id,
                         environment=plan.environment, stack=target.id, commit=self.commit,
                         details={"pr": self.pr, "status": result.status, "counts": result.counts.to_json(),
                                  "error": result.error})


def _copy_stack_file(directory: Path, own_stack: str, review_stack: str) -> None:
    """`Pulumi.<own>.yaml` as `Pulumi.<review>.yaml` in the run's checkout, unless the pull request
    has one: a review stack starts from its environment's stack config (and its encryption salt)."""
    target = stack_file(directory, review_stack)
    source = stack_file(directory, own_stack)
    if not target.exists() and source.exists():
        shutil.copyfile(source, target.with_name(f"Pulumi.{review_stack.rsplit('/', 1)[-1]}{source.suffix}"))

