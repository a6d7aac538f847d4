"""What a deploy targets in Git: the head commit, the branch it is on, and that branch's tip.

A deploy moves stacks forward along their branch only. A head the branch no longer holds (a
pipeline re-run after a force push) is refused; going back is `rollback`'s job. The clone may
be shallow (CI's default): its history is fetched first, since stacks are planned from the
commits they applied, which a one-commit clone does not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.config.load import load_repository
from orchestrator.config.resolved import RepoConfig
from orchestrator.errors import UserError
from orchestrator.flows.plan import PlanRequest, default_branch
from orchestrator.git import ZERO_SHA, BranchTip, GitRepo

TAG_PREFIX = "refs/tags/"


def is_tag(ref: str | None) -> bool:
    return bool(ref) and str(ref).startswith(TAG_PREFIX)


@dataclass(frozen=True)
class Target:
    head: str
    branch: str
    config: RepoConfig  # the head's configuration
    tip: BranchTip | None  # None when no environment tracks the branch
    before: str | None  # the push's `before`, kept only when it is an ancestor of the head
    notes: tuple[str, ...]


def resolve_target(repo: Path, *, after: str, before: str | None, branch: str | None) -> Target:
    git = GitRepo(repo)
    notes: list[str] = []
    if git.ensure_full_history():
        notes.append("the clone was shallow: its full history was fetched to compare commits")
    head = git.resolve(after)
    name = default_branch(git, PlanRequest(repo=repo, head=head, branch=branch, event="push"))
    config = load_repository(git.root, git.tree(head))
    tip = git.branch_tip(name) if config.environments_for_branch(name) else None
    if tip is not None and tip.note:
        notes.append(f"branch tip from {tip.source}: {tip.note}")
    if tip is not None and tip.sha is not None and tip.sha != head and not git.is_ancestor(head, tip.sha):
        raise UserError(
            f"commit {head[:12]} is not on the history of branch {name} (its tip is {tip.sha[:12]}, {tip.source}): "
            "a deploy only moves stacks forward along their branch",
            hint=f"deploy the tip of {name} instead (a re-run of a pipeline whose commit a force push removed "
            "deploys nothing); to go back to an older commit, use `orchestrator rollback --env ENV --to COMMIT`",
        )
    kept = _before_hint(git, before, head)
    if before and before != ZERO_SHA and kept is None:
        notes.append(f"the push's `before` {before[:12]} is not in the branch's history here (a force push?): "
                     "ignored; each stack is planned from the commit it applied")
    return Target(head=head, branch=name, config=config, tip=tip, before=kept, notes=tuple(notes))


def _before_hint(git: GitRepo, before: str | None, head: str) -> str | None:
    """The push's `before`, only where it can serve as a hint: present and an ancestor of the head."""
    if not before or before == ZERO_SHA:
        return None
    try:
        sha = git.resolve(before)
    except UserError:
        return None
    return sha if sha != head and git.is_ancestor(sha, head) else None
