"""Which review stacks a pull request gets, and what each one reads. Pure: plain values in and out.

A pull request's review stacks, in one environment with `review.enabled`, are the projects its
plan has there (those it changes and the projects that depend on them), plus those that already
have a review stack of this pull request (a later push that no longer touches a project keeps
its review stack until `down`, so its dependents keep reading it), limited to `review.projects`.
Dependencies order them in waves, as in a deploy.

A review stack's StackReferences read its upstream's review stack when the upstream has one,
else the environment's own stack of the upstream: `redirects` maps both names a program may ask
for (`network/pr-7`, as `pulumi.get_stack()` makes it, or `network/dev` written out) to the
stack to read, for the local engine, and `reads` is the same as project → stack for programs
run by the Pulumi CLI (config key `orchestrator:stack_references`, see models.STACK_REFERENCES_KEY).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from orchestrator.config.resolved import Environment, RepoConfig
from orchestrator.graph import reverse, waves
from orchestrator.models import Operation, Plan, PlannedStack


@dataclass(frozen=True)
class ReviewStackPlan:
    project: str
    environment: str  # whose config, credentials and backend the review stack uses
    stack_name: str  # e.g. pr-7
    own_stack: str  # the environment's own stack of the project, which a review never touches
    reads: dict[str, str] = field(default_factory=dict)  # upstream project → stack name read
    redirects: dict[str, str] = field(default_factory=dict)  # `<project>/<stack>` asked → stack read

    @property
    def id(self) -> str:
        return review_stack_id(self.project, self.stack_name)


@dataclass(frozen=True)
class ReviewPlan:
    environment: str
    pr: int
    plan: Plan  # PlannedStacks named `<project>/<review stack>` (their `environment` is the stack name)
    stacks: dict[str, ReviewStackPlan]  # by id, in plan order
    left_out: tuple[str, ...] = ()  # projects the pull request changes that review.projects leaves out

    @property
    def empty(self) -> bool:
        return not self.stacks


def review_stack_id(project: str, stack_name: str) -> str:
    return f"{project}/{stack_name}"


def review_plan(pr_plan: Plan, config: RepoConfig, environment: str, pr: int, *,
                existing: Iterable[str] = ()) -> ReviewPlan:
    """The review stacks `up` deploys for `pr_plan` (the pull request's plan) in `environment`;
    `existing`: projects that have a review stack of this pull request already."""
    env = config.environment(environment)
    planned = {s.project: s for s in pr_plan.stacks if s.environment == environment and s.operation != "destroy"}
    wanted = set(planned) | {p for p in existing if p in config.projects and config.deploys(p, environment)}
    chosen = sorted(p for p in wanted if env.review.allows(p))
    reasons = {
        p: planned[p].reasons if p in planned else ("kept: it has a review stack from an earlier push",)
        for p in chosen
    }
    left_out = tuple(sorted(p for p in planned if not env.review.allows(p)))
    return _build(config, env, pr, chosen, reasons, operation="update", pr_plan=pr_plan, left_out=left_out)


def teardown_plan(config: RepoConfig, environment: str, pr: int, projects: Iterable[str], *, head: str) -> ReviewPlan:
    """The review stacks `down` destroys: dependents before what they read."""
    env = config.environment(environment)
    chosen = sorted({p for p in projects if p in config.projects})
    reasons = {p: ("the pull request was closed, or its review environment expired",) for p in chosen}
    base = Plan(base=head, head=head, branch="", event="pr", environments=(environment,), changed_files=(), stacks=())
    return _build(config, env, pr, chosen, reasons, operation="destroy", pr_plan=base)


def _build(config: RepoConfig, env: Environment, pr: int, chosen: list[str], reasons: Mapping[str, tuple[str, ...]], *,
           operation: Operation, pr_plan: Plan, left_out: tuple[str, ...] = ()) -> ReviewPlan:
    names = {p: env.review.stack_name(env.name, p, pr) for p in chosen}
    upstreams = {p: tuple(d for d in config.project(p).dependencies if d in names) for p in chosen}
    order = upstreams if operation != "destroy" else {p: tuple(users) for p, users in reverse(upstreams).items()}
    order = {p: order.get(p, ()) for p in chosen}
    level = waves(order)
    stacks: dict[str, ReviewStackPlan] = {}
    planned: list[PlannedStack] = []
    for project in sorted(chosen, key=lambda p: (level[p], p)):
        name = names[project]
        reads, redirects = _reads(config, env, project, names, pr)
        review = ReviewStackPlan(project=project, environment=env.name, stack_name=name,
                                 own_stack=env.stack_name(project), reads=reads, redirects=redirects)
        stacks[review.id] = review
        planned.append(PlannedStack(
            project=project, environment=name, stack=name, directory=config.project(project).directory,
            operation=operation, wave=level[project],
            depends_on=tuple(review_stack_id(d, names[d]) for d in order[project]), reasons=reasons[project],
        ))
    plan = Plan(base=pr_plan.base, head=pr_plan.head, branch=pr_plan.branch, event="pr", environments=(env.name,),
                changed_files=pr_plan.changed_files, stacks=tuple(planned))
    return ReviewPlan(environment=env.name, pr=pr, plan=plan, stacks=stacks, left_out=left_out)


def _reads(config: RepoConfig, env: Environment, project: str, names: dict[str, str],
           pr: int) -> tuple[dict[str, str], dict[str, str]]:
    """What `project`'s StackReferences read: each upstream's review stack, else its own stack."""
    reads: dict[str, str] = {}
    redirects: dict[str, str] = {}
    for upstream in config.project(project).dependencies:
        if upstream not in config.projects:
            continue
        own = env.stack_name(upstream)
        target = names.get(upstream, own)
        reads[upstream] = target
        redirects[f"{upstream}/{own}"] = target
        redirects[f"{upstream}/{env.review.stack_name(env.name, upstream, pr)}"] = target
    return reads, redirects
