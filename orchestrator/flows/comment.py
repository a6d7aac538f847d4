"""`/orchestrator preview` in a pull request comment, in CI: is the commenter trusted?

The comment workflow runs this on its own, trusted checkout (the default branch) before any
of the pull request's code is checked out: only when it says yes does the next job check out
the pull request's head and preview it. Trust is read as for every preview: `trust` of the
pull request's base branch, and the commenter's permission through the VCS API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.ci.events import IssueCommentEvent, parse_command
from orchestrator.config.load import load_repository
from orchestrator.config.resolved import Settings
from orchestrator.errors import ConfigError, UserError
from orchestrator.flows.trust import is_trusted_user
from orchestrator.git import GitRepo
from orchestrator.vcs.base import VcsClient


@dataclass(frozen=True)
class CommentVerdict:
    trusted: bool
    reason: str
    pr: int
    commenter: str
    head_sha: str = ""
    base_ref: str = ""

    def outputs(self) -> dict[str, str]:
        """What the next job reads (GITHUB_OUTPUT)."""
        return {
            "trusted": "true" if self.trusted else "false",
            "reason": self.reason,
            "pr": str(self.pr),
            "commenter": self.commenter,
            "head_sha": self.head_sha,
            "base_ref": self.base_ref,
        }


def judge_preview_comment(
    repo: Path, event: IssueCommentEvent, make_vcs: Callable[[Settings], VcsClient]
) -> CommentVerdict:
    no = CommentVerdict(False, "", event.number, event.commenter)
    if not event.is_pull_request or parse_command(event.body) != "preview":
        return _with(no, "the comment is not `/orchestrator preview` on a pull request")
    if event.action != "created":
        return _with(no, f"the comment was {event.action}: only new comments carry commands")
    git = GitRepo(repo)
    # The VCS settings come from this checkout (the default branch: our code), not from the PR.
    vcs = make_vcs(load_repository(git.root).settings)
    pull = vcs.get_pr(event.number)
    if pull.state != "open":
        return _with(no, f"#{pull.number} is {pull.state}: nothing to preview")
    trusted, why = is_trusted_user(_base_settings(git, pull.base_ref), vcs, event.commenter)
    return CommentVerdict(trusted, why, pull.number, event.commenter, pull.head_sha, pull.base_ref)


def _with(verdict: CommentVerdict, reason: str) -> CommentVerdict:
    return CommentVerdict(verdict.trusted, reason, verdict.pr, verdict.commenter)


def _base_settings(git: GitRepo, base_ref: str) -> Settings:
    """`trust` as the pull request's base branch has it (the checkout's when that branch is not fetched)."""
    for ref in (f"refs/remotes/origin/{base_ref}", f"refs/heads/{base_ref}"):
        try:
            return load_repository(git.root, git.tree(git.resolve(ref))).settings
        except ConfigError:
            return Settings()  # an invalid base configuration vouches for nobody by name
        except UserError:
            continue
    return load_repository(git.root).settings
