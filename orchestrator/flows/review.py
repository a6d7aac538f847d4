"""Use case: review stacks, an ephemeral environment per pull request.

`up` (a pull request opened, pushed to or reopened) deploys the pull request's head to its review
stacks in every environment of its base branch with `review.enabled`: created on the first run,
updated on each push, through stack leases and the trust check (never for a fork, nor for an
author outside `trust`), refused beyond `review.max_active`. `down` (closed or merged, or the TTL
ran out) destroys them and removes them from the backend. Both report in the pull request's one
comment (a "Review environment" section), with commit statuses and a transient GitHub Deployment.

What a review may touch is decided by the base branch's configuration (trusted): the review
settings, the backend, and the environments' own stack names. The pull request brings the code,
the projects and their config. `down` is level-triggered: it destroys every review stack of the
pull request its backend holds, whatever the store remembers (a CI job's store may be empty);
`max_active`, the TTL and `list` need the store shared (server mode, or `database:`).
"""

from __future__ import annotations

import dataclasses
import getpass
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from orchestrator.config.load import load_repository
from orchestrator.config.resolved import RepoConfig
from orchestrator.engines.base import StackResult
from orchestrator.errors import UserError
from orchestrator.execute import OnEvent
from orchestrator.flows.checkouts import EngineFactory, checkouts, default_concurrency, default_engine_factory
from orchestrator.flows.locking import LockPolicy
from orchestrator.flows.plan import PlanRequest, make_plan
from orchestrator.flows.redaction import secret_values
from orchestrator.flows.review_plan import ReviewPlan, review_plan, teardown_plan
from orchestrator.flows.review_report import EnvironmentReview, publish_review
from orchestrator.flows.review_run import Clock, ReviewRunner, utcnow
from orchestrator.flows.trust import Trust, check_trust
from orchestrator.git import GitRepo
from orchestrator.models import Plan
from orchestrator.redact import Redactor
from orchestrator.store.api import RunStatus
from orchestrator.store.review import ReviewStore
from orchestrator.vcs.base import VcsClient

if TYPE_CHECKING:
    from orchestrator.store.sql import SqlStore

Action = Literal["up", "down"]


@dataclass(frozen=True)
class ReviewRequest:
    repo: Path
    pr: int
    base: str  # the pull request's base branch (or its tip): the configuration trusted for reviews
    head: str = "HEAD"  # the pull request's head commit
    branch: str | None = None  # the base branch's name, when `base` is not one
    head_ref: str | None = None  # the pull request's own branch (GitLab deployments name it)
    author: str | None = None
    from_fork: bool = False
    title: str | None = None
    actor: str = field(default_factory=getpass.getuser)
    reason: str = "the pull request was closed"  # why a `down` runs, for the comment
    concurrency: int | None = None
    locks: LockPolicy = field(default_factory=LockPolicy)
    summary_path: Path | None = None  # GITHUB_STEP_SUMMARY


@dataclass(frozen=True)
class ReviewOutcome:
    action: Action
    pr: int
    head: str
    environments: tuple[EnvironmentReview, ...]
    trust: Trust | None = None
    published: bool = False
    publish_error: str | None = None
    report_path: Path | None = None
    notes: tuple[str, ...] = ()

    @property
    def results(self) -> dict[str, StackResult]:
        return {sid: r for env in self.environments for sid, r in env.results.items()}

    @property
    def failed(self) -> list[str]:
        return [sid for sid, r in self.results.items() if r.status in ("failed", "locked")]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.publish_error else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "pr": self.pr,
            "head": self.head,
            "trusted": None if self.trust is None else self.trust.trusted,
            "trust_reason": None if self.trust is None else self.trust.reason,
            "environments": [e.to_json() for e in self.environments],
            "published": self.published,
            "publish_error": self.publish_error,
            "report": None if self.report_path is None else str(self.report_path),
            "notes": list(self.notes),
            "exit_code": self.exit_code,
        }


def run_review_up(request: ReviewRequest, store: SqlStore, vcs: VcsClient | None, *,
                  engine_factory: EngineFactory = default_engine_factory, on_event: OnEvent | None = None,
                  clock: Clock = utcnow) -> ReviewOutcome:
    git = GitRepo(request.repo)
    plan, head_config = make_plan(PlanRequest(repo=request.repo, head=request.head, base=request.base,
                                              branch=request.branch, event="pr"))
    trusted = trusted_config(git, request.base)
    names = [e for e in plan.environments if e in trusted.environments and trusted.environments[e].review.enabled]
    if not names:
        return ReviewOutcome("up", request.pr, plan.head, ())
    trust = check_trust(trusted.settings, vcs, author=request.author, from_fork=request.from_fork)
    if not trust.trusted:
        untrusted = tuple(EnvironmentReview(e, "not_trusted", note=trust.reason) for e in names)
        return _published(request, vcs, "up", plan.head, untrusted, trust, Redactor(), trusted, store)
    config = with_trusted(head_config, trusted)
    reviews = ReviewStore(store)
    done: list[EnvironmentReview] = []
    with _runner(git, plan.head, trusted, config, request, store, engine_factory, on_event, clock,
                 action="up", environments=names, branch=plan.branch) as runner:
        for name in names:
            done.append(_up(runner, reviews, request, plan, config, name, clock))
        redactor = runner.redactor
    return _published(request, vcs, "up", plan.head, tuple(done), trust, redactor, trusted, store)


def run_review_down(request: ReviewRequest, store: SqlStore, vcs: VcsClient | None, *,
                    engine_factory: EngineFactory = default_engine_factory, on_event: OnEvent | None = None,
                    clock: Clock = utcnow) -> ReviewOutcome:
    """Destroy the pull request's review stacks in every environment that has or may have some."""
    git = GitRepo(request.repo)
    trusted = trusted_config(git, request.base)
    notes: tuple[str, ...] = ()
    try:
        head = git.resolve(request.head)
    except UserError:
        # The head is gone (a deleted branch not fetched): destroys need the projects' directories,
        # not their latest code, so the base branch's tip serves.
        head = git.resolve(request.base)
        notes = (f"the pull request's head {request.head[:12]} is not in this clone: the stacks were destroyed "
                 f"from the base branch's tip {head[:12]}",)
    config = with_trusted(load_repository(git.root, git.tree(head)), trusted)
    reviews = ReviewStore(store)
    branch = request.branch or git.branch_name(request.base) or request.base
    remembered = {r.environment for r in reviews.for_pr(request.pr) if r.live}
    names = sorted({e.name for e, _ in trusted.environments_for_branch(branch) if e.review.enabled} | remembered)
    names = [n for n in names if n in config.environments]
    done: list[EnvironmentReview] = []
    with _runner(git, head, trusted, config, request, store, engine_factory, on_event, clock,
                 action="down", environments=names, branch=branch) as runner:
        for name in names:
            found = _down(runner, reviews, request, config, name, clock)
            if found is not None:
                done.append(found)
        redactor = runner.redactor
    if not done:
        return ReviewOutcome("down", request.pr, head, (), notes=notes)
    return dataclasses.replace(_published(request, vcs, "down", head, tuple(done), None, redactor, trusted, store),
                               notes=notes)


def trusted_config(git: GitRepo, base: str) -> RepoConfig:
    """The configuration at the tip of the base branch: what a review may touch is decided there."""
    return load_repository(git.root, git.tree(git.resolve(base)))


def with_trusted(head: RepoConfig, trusted: RepoConfig) -> RepoConfig:
    """The pull request's configuration with each environment's review settings, backend and own
    stack names taken from the trusted one: a pull request cannot point a review at other stacks."""
    environments = {
        name: dataclasses.replace(env, review=trusted.environments[name].review,
                                  backend=trusted.environments[name].backend,
                                  stack_name_template=trusted.environments[name].stack_name_template)
        for name, env in head.environments.items() if name in trusted.environments
    }
    return dataclasses.replace(head, environments=environments)


@contextmanager
def _runner(git: GitRepo, head: str, trusted: RepoConfig, config: RepoConfig, request: ReviewRequest, store: SqlStore,
            engine_factory: EngineFactory, on_event: OnEvent | None, clock: Clock, *, action: Action,
            environments: Sequence[str], branch: str) -> Iterator[ReviewRunner]:
    """A runner at `head`, checked out, inside a run of the store (flow `review`): its leases are
    known as a run's, so a crashed run's are taken over as a deploy's are."""
    only_head = Plan(base=head, head=head, branch="", event="pr", environments=(), changed_files=(), stacks=())
    run = store.start_run(flow="review", commit=head, branch=branch, actor=request.actor, pr=request.pr,
                          environments=tuple(environments), details={"action": action})
    status: RunStatus = "failed"
    try:
        with checkouts(git, only_head, config) as where:
            specs = [config.stack_spec(p, e, checkout=where.head) for e in config.environments
                     for p in config.projects if config.deploys(p, e)]
            runner = ReviewRunner(
                trusted=trusted, head=config, checkout=where.head, commit=head, pr=request.pr, store=store,
                reviews=ReviewStore(store), engine_factory=engine_factory, actor=request.actor,
                redactor=Redactor(secret_values(specs)), locks=request.locks,
                concurrency=default_concurrency(config, request.concurrency), on_event=on_event, clock=clock,
                run_id=run.id)
            yield runner
            status = "failed" if runner.failed else "succeeded"
    finally:
        store.finish_run(run.id, status)


def _up(runner: ReviewRunner, reviews: ReviewStore, request: ReviewRequest, plan: Plan, config: RepoConfig,
        name: str, clock: Clock) -> EnvironmentReview:
    review = config.environment(name).review
    record = reviews.get(name, request.pr)
    existing = {s.project for s in record.live_stacks()} if record is not None else set()
    every = teardown_plan(config, name, request.pr, _review_projects(config, name), head=plan.head)
    existing |= {t.project for t in every.stacks.values() if t.project not in existing and runner.exists(t)}
    wanted = review_plan(plan, config, name, request.pr, existing=existing)
    if wanted.empty:
        return EnvironmentReview(name, "nothing", left_out=wanted.left_out)
    claim = reviews.claim(name, request.pr, head=plan.head, max_active=review.max_active, now=clock(),
                          branch=plan.branch, title=request.title)
    if not claim.granted:
        return EnvironmentReview(name, "refused", others=claim.active, max_active=review.max_active,
                                 stacks=tuple(wanted.stacks.values()), left_out=wanted.left_out)
    results = runner.run(wanted)
    ok = all(r.ok for r in results.values())
    reviews.finish_up(name, request.pr, ok=ok, now=clock(), error=_first_error(results))
    stored = reviews.get(name, request.pr)
    expires = None if stored is None else stored.last_push_at + timedelta(seconds=review.ttl_s)
    return EnvironmentReview(name, "up" if ok else "failed", results=results, stacks=tuple(wanted.stacks.values()),
                             left_out=wanted.left_out, expires_at=expires, ttl=review.ttl)


def _down(runner: ReviewRunner, reviews: ReviewStore, request: ReviewRequest, config: RepoConfig, name: str,
          clock: Clock) -> EnvironmentReview | None:
    record = reviews.get(name, request.pr)
    every = teardown_plan(config, name, request.pr, _review_projects(config, name), head=runner.commit)
    remembered = {s.project for s in record.live_stacks()} if record is not None else set()
    found = {t.project for t in every.stacks.values() if t.project in remembered or runner.exists(t)}
    if not found and (record is None or not record.live):
        return None  # nothing of this pull request exists in this environment
    if record is not None:
        reviews.start_down(name, request.pr, now=clock())
    doomed: ReviewPlan = teardown_plan(config, name, request.pr, found, head=runner.commit)
    results = runner.run(doomed) if not doomed.empty else {}
    ok = all(r.ok for r in results.values())
    reviews.finish_down(name, request.pr, ok=ok, now=clock(), error=_first_error(results))
    return EnvironmentReview(name, "destroyed" if ok else "destroy_failed", results=results,
                             stacks=tuple(doomed.stacks.values()),
                             note=request.reason if ok else _first_error(results))


def _review_projects(config: RepoConfig, environment: str) -> list[str]:
    review = config.environment(environment).review
    return [p for p in sorted(config.projects) if config.deploys(p, environment) and review.allows(p)]


def _first_error(results: Mapping[str, StackResult]) -> str | None:
    return next((f"{sid}: {r.error or r.status}" for sid, r in results.items() if not r.ok), None)


def _published(request: ReviewRequest, vcs: VcsClient | None, action: Action, head: str,
               environments: Sequence[EnvironmentReview], trust: Trust | None, redactor: Redactor,
               trusted: RepoConfig, store: SqlStore) -> ReviewOutcome:
    published, error, report = publish_review(
        vcs, request.pr, head=head, action=action, environments=environments, redactor=redactor,
        reviews=ReviewStore(store), root=trusted.root, summary_path=request.summary_path, head_ref=request.head_ref)
    return ReviewOutcome(action, request.pr, head, tuple(environments), trust, published, error, report)

