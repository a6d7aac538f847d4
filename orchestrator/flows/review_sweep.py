"""Review environments over time: the listing, and the sweep that destroys expired ones (no push
for `review.ttl`) and retries failed `down`s until they succeed. The server's scheduler runs the
sweep; `orchestrator review sweep` runs it by hand or from a scheduled CI job."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.config.resolved import RepoConfig
from orchestrator.errors import UserError
from orchestrator.flows.checkouts import EngineFactory, default_engine_factory
from orchestrator.flows.review import ReviewOutcome, ReviewRequest, run_review_down
from orchestrator.flows.review_run import Clock, utcnow
from orchestrator.git import GitRepo
from orchestrator.store.review import ReviewEnvironment, ReviewStore
from orchestrator.vcs.base import VcsClient

if TYPE_CHECKING:
    from orchestrator.store.sql import SqlStore

SWEEP_ACTOR = "orchestrator-review-sweep"


@dataclass(frozen=True)
class Due:
    review: ReviewEnvironment
    reason: str  # for the comment: why it is destroyed now


@dataclass(frozen=True)
class SweepOutcome:
    downs: tuple[ReviewOutcome, ...]
    errors: tuple[str, ...]  # a review that could not even be attempted (a commit gone, a bad config)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors or any(d.exit_code for d in self.downs) else 0

    def to_json(self) -> dict[str, Any]:
        return {"downs": [d.to_json() for d in self.downs], "errors": list(self.errors), "exit_code": self.exit_code}


def expires_at(review: ReviewEnvironment, config: RepoConfig) -> datetime | None:
    env = config.environments.get(review.environment)
    return None if env is None else review.last_push_at + timedelta(seconds=env.review.ttl_s)


def due(reviews: Iterable[ReviewEnvironment], config: RepoConfig, now: datetime) -> list[Due]:
    """What the sweep destroys now: failed downs (retried every sweep), then expired ones."""
    found: list[Due] = []
    for review in reviews:
        if review.status == "destroy_failed":
            found.append(Due(review, f"retrying the destroy that failed {review.destroy_attempts} time(s)"))
            continue
        ends = expires_at(review, config)
        if review.status in ("up", "failed") and ends is not None and ends <= now:
            ttl = config.environments[review.environment].review.ttl
            found.append(Due(review, f"expired: no push for {ttl}; push again to re-create it"))
    return found


def run_review_sweep(repo: Path, store: SqlStore, vcs: VcsClient | None, *,
                     engine_factory: EngineFactory = default_engine_factory, clock: Clock = utcnow,
                     remote: str = "origin") -> SweepOutcome:
    git = GitRepo(repo)
    from orchestrator.config.load import load_repository

    config = load_repository(git.root)
    downs: list[ReviewOutcome] = []
    errors: list[str] = []
    for item in due(ReviewStore(store).live(), config, clock()):
        review = item.review
        try:
            request = ReviewRequest(repo=git.root, pr=review.pr, base=_base_ref(git, review.branch, remote),
                                    head=review.head, branch=review.branch, actor=SWEEP_ACTOR, reason=item.reason)
            downs.append(run_review_down(request, store, vcs, engine_factory=engine_factory, clock=clock))
        except UserError as exc:
            errors.append(f"#{review.pr} in {review.environment}: {exc.message}")
    return SweepOutcome(tuple(downs), tuple(errors))


def _base_ref(git: GitRepo, branch: str | None, remote: str) -> str:
    """The base branch's tip as this clone knows it (its remote-tracking branch first)."""
    for ref in ([f"refs/remotes/{remote}/{branch}", f"refs/heads/{branch}"] if branch else []):
        try:
            git.resolve(ref)
            return ref
        except UserError:
            continue
    return "HEAD"


def listing(reviews: Sequence[ReviewEnvironment], config: RepoConfig, now: datetime) -> list[dict[str, Any]]:
    """`orchestrator review list` and the dashboard: one entry per review environment."""
    rows = []
    for review in reviews:
        ends = expires_at(review, config)
        rows.append({
            "environment": review.environment,
            "pr": review.pr,
            "title": review.title,
            "status": review.status,
            "head": review.head,
            "created_at": review.created_at.isoformat(),
            "last_push_at": review.last_push_at.isoformat(),
            "age_s": round((now - review.created_at).total_seconds()),
            "expires_at": None if ends is None else ends.isoformat(),
            "expires_in_s": None if ends is None else round((ends - now).total_seconds()),
            "error": review.error,
            "destroy_attempts": review.destroy_attempts,
            "stacks": [{"id": s.id, "project": s.project, "stack_name": s.stack_name, "status": s.status,
                        "outputs": s.outputs, "error": s.error} for s in review.live_stacks()],
        })
    return rows
