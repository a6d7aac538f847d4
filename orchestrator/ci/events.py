"""The CI events the flows act on, the same shape whichever CI produced them."""

from __future__ import annotations

import re
from dataclasses import dataclass

ZERO_SHA = "0" * 40  # what Git hosts send as `before` for a new branch
COMMANDS = ("preview", "deploy", "unlock")  # what `/orchestrator <command>` in a comment may ask
_COMMAND = re.compile(r"^\s*/orchestrator\s+(\S+)")


@dataclass(frozen=True)
class PullRequestEvent:
    number: int  # GitHub PR number or GitLab MR IID
    base_ref: str  # branch the change goes into
    base_sha: str  # base commit as the host saw it (GitLab: the MR's diff base)
    head_ref: str
    head_sha: str
    author: str
    from_fork: bool  # head lives in another repository: never run it with our credentials unasked
    action: str  # opened, synchronize, reopened, ... (GitLab: the MR pipeline's event type)
    repo_full_name: str
    base_changed_from: str | None = None  # an `edited` PR retargeted: the base branch it had before


@dataclass(frozen=True)
class PushEvent:
    ref: str  # refs/heads/main
    branch: str | None  # main; None for a tag push
    before: str  # ZERO_SHA when the branch was created
    after: str  # ZERO_SHA when the branch was deleted
    repo_full_name: str
    pusher: str
    created: bool = False
    deleted: bool = False
    forced: bool = False


@dataclass(frozen=True)
class IssueCommentEvent:
    """A comment on an issue or PR, e.g. a maintainer's `/orchestrator preview`."""

    number: int
    is_pull_request: bool
    body: str
    commenter: str
    author_association: str  # OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, ...
    action: str
    comment_id: int
    repo_full_name: str


CiEvent = PullRequestEvent | PushEvent | IssueCommentEvent


def parse_command(body: str) -> str | None:
    """`preview` for a comment starting `/orchestrator preview`; the word after /orchestrator, or None."""
    first = next((line for line in body.splitlines() if line.strip()), "")
    found = _COMMAND.match(first)
    return None if found is None else found.group(1).lower()
