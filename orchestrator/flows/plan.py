"""Use case: the plan for two commits and a branch, read from Git."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from orchestrator.config.load import load_repository
from orchestrator.config.resolved import RepoConfig
from orchestrator.deletions import left_behind
from orchestrator.git import ZERO_SHA, GitRepo
from orchestrator.models import Plan
from orchestrator.planner import Event, PlanInput, plan


@dataclass(frozen=True)
class PlanRequest:
    repo: Path
    head: str
    base: str | None = None
    branch: str | None = None
    event: Event = "pr"


def resolve_base(git: GitRepo, request: PlanRequest, head: str) -> str:
    """PR: merge-base of the base branch and head. Push: `before`, or head's first parent."""
    if request.event == "pr":
        base = git.resolve(request.base or "HEAD")
        return git.merge_base(base, head)
    if request.base is None or request.base == ZERO_SHA:
        return git.first_parent(head)
    return git.resolve(request.base)


def default_branch(git: GitRepo, request: PlanRequest) -> str:
    """The PR's target branch (a named --base) or the pushed branch (the checked-out one)."""
    if request.branch:
        return request.branch.removeprefix("refs/heads/")  # as CI events name it
    if request.event == "pr" and request.base and (target := git.branch_name(request.base)):
        return target
    current = git.current_branch()
    if current is None:
        from orchestrator.errors import UserError

        raise UserError("cannot tell the branch (detached HEAD)", "pass --branch NAME")
    return current


def make_plan(request: PlanRequest) -> tuple[Plan, RepoConfig]:
    git = GitRepo(request.repo)
    head = git.resolve(request.head)
    base = resolve_base(git, request, head)
    branch = default_branch(git, request)
    head_config = load_repository(git.root, git.tree(head))
    changes = tuple(git.changes(base, head))

    def base_config() -> RepoConfig:
        from orchestrator.errors import ConfigError, UserError

        try:
            return load_repository(git.root, git.tree(base))
        except ConfigError as exc:  # say which commit: the user may have fixed it in head already
            raise UserError(
                f"in the base commit {base[:12]}: {exc.message}",
                "a project directory was deleted, so its stacks are read from the base commit's "
                "configuration; fix that commit's configuration or plan from a valid base",
            ) from None

    result = plan(
        PlanInput(
            head_config=head_config,
            changes=changes,
            branch=branch,
            event=request.event,
            base=base,
            head=head,
            left_behind=left_behind(changes, head_config, git.tree(head)),
        ),
        base_config=base_config,
    )
    if not result.environments:
        hint = uncommitted_environments(git, branch, head)
        if hint is not None:
            result = replace(result, notes=(*result.notes, hint))
    return result, head_config


def uncommitted_environments(git: GitRepo, branch: str, commit: str) -> str | None:
    """Why no environment tracks `branch` at `commit` when the working tree says otherwise:
    environment files written (by `orchestrator init`, or by hand) but not committed there.
    Plans and deploys read the configuration committed at the commits they compare."""
    from orchestrator.errors import UserError

    try:
        working = load_repository(git.root)
    except UserError:
        return None  # the working tree's own errors are for `orchestrator environments` to show
    fed = [env for env, _rule in working.environments_for_branch(branch)]
    if not fed:
        return None
    files = ", ".join(env.source for env in fed)
    return (
        f"hint: {files} in your working tree track {branch}, but commit {commit[:12]} does not have "
        f"{'it' if len(fed) == 1 else 'them'}: plans and deploys read the configuration committed there; "
        f"commit the configuration (on {branch} too)"
    )
