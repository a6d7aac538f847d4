"""The VCS interface: what the flows need from GitHub, GitLab or a directory of files.

Values are frozen dataclasses; every provider returns the same shapes, so flows never see
provider JSON. Failures of the host's API raise `VcsError`, which names the method, the
endpoint, the HTTP status and the host's own message, and never the token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from orchestrator.errors import UserError

StatusState = Literal["pending", "success", "failure", "error"]
DeploymentState = Literal["error", "failure", "inactive", "in_progress", "queued", "pending", "success"]
Permission = Literal["admin", "maintain", "write", "triage", "read", "none"]

STATUS_STATES: tuple[StatusState, ...] = ("pending", "success", "failure", "error")
DEPLOYMENT_STATES: tuple[DeploymentState, ...] = (
    "error",
    "failure",
    "inactive",
    "in_progress",
    "queued",
    "pending",
    "success",
)
# Where the token trust.teams needs is explained (named in warnings and PR comments).
TEAMS_DOC = "docs/security.md#trusted-authors"
# Ordered weakest first, so `permission_at_least` can compare ranks.
PERMISSIONS: tuple[Permission, ...] = ("none", "read", "triage", "write", "maintain", "admin")


class VcsError(UserError):
    """A call to the VCS host failed for good (after retries, or a 4xx that retrying cannot fix)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        endpoint: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.method = method
        self.endpoint = endpoint


@dataclass(frozen=True)
class PullRequest:
    number: int
    head_sha: str
    base_ref: str
    head_ref: str
    author: str
    from_fork: bool
    merged: bool
    state: str  # "open" or "closed" (GitLab's "opened"/"merged"/"closed"/"locked" are mapped)
    title: str = ""
    url: str = ""


@dataclass(frozen=True)
class CommentRef:
    id: int
    url: str
    created: bool  # True when this call created the comment, False when it edited the marked one


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str
    state: str  # "open" or "closed"
    url: str = ""
    labels: tuple[str, ...] = ()


@runtime_checkable
class VcsClient(Protocol):
    """What the flows call. `pr` is the pull request number (GitHub) or merge request IID (GitLab)."""

    def find_pr_for_commit(self, sha: str) -> PullRequest | None: ...

    def get_pr(self, number: int) -> PullRequest: ...

    def upsert_comment(self, pr: int, marker: str, body: str) -> CommentRef: ...

    def comment_body(self, pr: int, marker: str) -> str | None:
        """The body of the marked comment, or None: for a flow that owns one section of it."""
        ...

    def set_status(
        self,
        sha: str,
        context: str,
        state: StatusState,
        description: str,
        target_url: str | None = None,
    ) -> None: ...

    def approvals(self, pr: int) -> list[str]: ...

    def author_permission(self, login: str) -> Permission: ...

    def team_members(self, org: str, team: str) -> list[str]: ...

    def find_issue(self, marker: str, *, include_closed: bool = False) -> Issue | None: ...

    def open_issue(self, title: str, body: str, marker: str, labels: Sequence[str] = ()) -> Issue: ...

    def update_issue(self, number: int, body: str, *, marker: str | None = None) -> Issue: ...

    def close_issue(self, number: int, comment: str) -> Issue: ...

    def create_deployment(
        self, sha: str, environment: str, description: str, *, ref: str | None = None, transient: bool = False
    ) -> int:
        """`ref`: the branch that was deployed (GitLab needs it; GitHub deploys the SHA itself).
        `transient`: the environment will not exist for long (a review environment); never production."""
        ...

    def set_deployment_status(
        self,
        deployment_id: int,
        state: DeploymentState,
        description: str,
        environment_url: str | None = None,
        *,
        auto_inactive: bool | None = None,
    ) -> None:
        """`auto_inactive`: GitHub's flag (None leaves GitHub's default, true)."""
        ...


@runtime_checkable
class LooseComments(Protocol):
    """A provider that can keep a comment without a pull request number (the files provider:
    a dry run of a preview on two commits writes the comment all the same)."""

    def write_comment(self, marker: str, body: str) -> CommentRef: ...


def with_marker(body: str, marker: str) -> str:
    """The body with the hidden marker on its first line, so the comment or issue can be found again."""
    if not marker:
        raise ValueError("a marker is required to find the comment or issue again")
    return body if marker in body else f"{marker}\n{body}"


def permission_at_least(permission: str, minimum: str) -> bool:
    """True when `permission` ranks at or above `minimum` (unknown names rank as none)."""
    ranks: dict[str, int] = {name: rank for rank, name in enumerate(PERMISSIONS)}
    return ranks.get(permission, 0) >= ranks.get(minimum, len(PERMISSIONS))


def check_status_state(state: str) -> StatusState:
    for known in STATUS_STATES:
        if state == known:
            return known
    raise ValueError(f"unknown commit status state {state!r}; expected one of {', '.join(STATUS_STATES)}")


def check_deployment_state(state: str) -> DeploymentState:
    for known in DEPLOYMENT_STATES:
        if state == known:
            return known
    raise ValueError(f"unknown deployment state {state!r}; expected one of {', '.join(DEPLOYMENT_STATES)}")


def truncate(text: str, limit: int) -> str:
    """GitHub rejects status and deployment descriptions over 140 characters; cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
