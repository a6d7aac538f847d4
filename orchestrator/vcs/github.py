"""GitHub (REST v3) behind the VCS interface; api.github.com or a GitHub Enterprise server.

Every path, method and body field here is in GitHub's published description
(fixtures/github/rest-api.subset.json); the test stand-in validates each call against it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from orchestrator.errors import UserError
from orchestrator.vcs._http import Clock, HostInfo, JsonApi, RetryPolicy, Sleep
from orchestrator.vcs.base import (
    PERMISSIONS,
    TEAMS_DOC,
    CommentRef,
    DeploymentState,
    Issue,
    Permission,
    PullRequest,
    StatusState,
    VcsError,
    check_deployment_state,
    check_status_state,
    truncate,
    with_marker,
)
from orchestrator.vcs.status_ledger import ShownStatus, StatusLedger

if TYPE_CHECKING:
    from orchestrator.config.resolved import Settings

log = logging.getLogger("orchestrator.vcs")
DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
# GitHub rejects longer status and deployment-status descriptions with 422.
DESCRIPTION_LIMIT = 140
# Review states that replace a user's earlier verdict; COMMENTED and PENDING leave it standing.
_VERDICT_STATES = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}


class GitHubClient:
    def __init__(
        self,
        repo: str,
        token: str,
        *,
        api_url: str | None = None,
        token_env: str = "GITHUB_TOKEN",
        policy: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        run_url: str | None = None,
    ) -> None:
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            raise UserError(
                f"vcs.repo {repo!r} is not `owner/name`",
                hint="set vcs.repo in orchestrator.yaml, e.g. `repo: acme/infrastructure`",
            )
        self.repo = repo
        self.run_url = run_url  # the "Details" link of statuses that name none: this run's page
        self._api = JsonApi(
            base_url=api_url or DEFAULT_API_URL,
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "Authorization": f"Bearer {token}",
                "User-Agent": "gitops-orchestrator",
            },
            token=token,
            host=HostInfo("GitHub", token_env),
            policy=policy,
            timeout=timeout,
            transport=transport,
            sleep=sleep,
            clock=clock,
        )
        self._statuses = StatusLedger(self._read_statuses)

    @classmethod
    def from_settings(
        cls,
        *,
        repo: str | None,
        token_env: str,
        api_url: str | None,
        env: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> GitHubClient:
        environ = os.environ if env is None else env
        token = environ.get(token_env, "")
        if not token:
            raise UserError(
                f"no GitHub token: environment variable {token_env} is empty or unset",
                hint=f"export {token_env}=<token>, or set vcs.token_env in orchestrator.yaml",
            )
        if not repo:
            repo = environ.get("GITHUB_REPOSITORY", "")
        if not repo:
            raise UserError(
                "no GitHub repository: vcs.repo is not set and GITHUB_REPOSITORY is empty",
                hint="set vcs.repo: owner/name in orchestrator.yaml",
            )
        return cls(repo, token, api_url=api_url or environ.get("GITHUB_API_URL"), token_env=token_env, **kwargs)

    def close(self) -> None:
        self._api.close()

    @property
    def _repo_path(self) -> str:
        return f"/repos/{self.repo}"

    # -- pull requests -------------------------------------------------------------------

    def find_pr_for_commit(self, sha: str) -> PullRequest | None:
        path = f"{self._repo_path}/commits/{sha}/pulls"
        pulls = list(self._api.paginate(path))
        if not pulls:
            return None
        with self._api.parsed("GET", path):
            # Prefer the open PR whose head is this commit; a merge commit's PR is closed and merged.
            ranked = sorted(pulls, key=lambda p: (p.get("state") != "open", p["head"]["sha"] != sha))
            return _pull_request(ranked[0])

    def get_pr(self, number: int) -> PullRequest:
        path = f"{self._repo_path}/pulls/{number}"
        data = self._api.call("GET", path)
        with self._api.parsed("GET", path):
            return _pull_request(data)

    def pr_files(self, number: int) -> list[str]:
        path = f"{self._repo_path}/pulls/{number}/files"
        items = list(self._api.paginate(path))
        with self._api.parsed("GET", path):
            return [item["filename"] for item in items]

    def approvals(self, pr: int) -> list[str]:
        path = f"{self._repo_path}/pulls/{pr}/reviews"
        verdicts: dict[str, str] = {}
        reviews = list(self._api.paginate(path))
        with self._api.parsed("GET", path):
            for review in reviews:
                user = review.get("user") or {}
                state = review.get("state", "")
                if user.get("login") and state in _VERDICT_STATES:
                    verdicts[user["login"]] = state  # the API lists reviews oldest first
        return sorted(login for login, state in verdicts.items() if state == "APPROVED")

    # -- comments ------------------------------------------------------------------------

    def upsert_comment(self, pr: int, marker: str, body: str) -> CommentRef:
        text = with_marker(body, marker)
        existing = self._find_marked_comment(pr, marker)
        if existing is None:
            path = f"{self._repo_path}/issues/{pr}/comments"
            created = self._api.call("POST", path, json={"body": text})
            with self._api.parsed("POST", path):
                return CommentRef(id=int(created["id"]), url=created.get("html_url") or "", created=True)
        path = f"{self._repo_path}/issues/comments/{existing['id']}"
        if existing.get("body") != text:
            existing = self._api.call("PATCH", path, json={"body": text})
        with self._api.parsed("PATCH", path):
            return CommentRef(id=int(existing["id"]), url=existing.get("html_url") or "", created=False)

    def comment_body(self, pr: int, marker: str) -> str | None:
        found = self._find_marked_comment(pr, marker)
        return None if found is None else str(found.get("body") or "")

    def _find_marked_comment(self, pr: int, marker: str) -> dict[str, Any] | None:
        # The oldest marked comment wins, so a PR keeps one stable comment even after a race.
        path = f"{self._repo_path}/issues/{pr}/comments"
        for comment in self._api.paginate(path):
            with self._api.parsed("GET", path):
                if marker in (comment.get("body") or ""):
                    return {**comment, "id": int(comment["id"])}
        return None

    # -- statuses ------------------------------------------------------------------------

    def set_status(
        self,
        sha: str,
        context: str,
        state: StatusState,
        description: str,
        target_url: str | None = None,
    ) -> None:
        payload: dict[str, Any] = {
            "state": check_status_state(state),
            "context": context,
            "description": truncate(description, DESCRIPTION_LIMIT),
        }
        target_url = target_url or self.run_url
        if target_url:
            payload["target_url"] = target_url
        wanted = ShownStatus(payload["state"], payload["description"], target_url or "")
        if self._statuses.shown(sha, context) == wanted:
            return  # the commit already shows exactly this: a post would only spend rate limit
        self._api.call("POST", f"{self._repo_path}/statuses/{sha}", json=payload)
        self._statuses.record(sha, context, wanted)

    def _read_statuses(self, sha: str) -> dict[str, ShownStatus]:
        # The combined status holds the latest status of each context (its first 100 are enough
        # to skip reposts: a context not among them is simply posted).
        path = f"{self._repo_path}/commits/{sha}/status"
        data = self._api.call("GET", path, params={"per_page": 100})
        with self._api.parsed("GET", path):
            return {
                item["context"]: ShownStatus(item["state"], item.get("description") or "", item.get("target_url") or "")
                for item in data["statuses"]
            }

    # -- people --------------------------------------------------------------------------

    def author_permission(self, login: str) -> Permission:
        path = f"{self._repo_path}/collaborators/{login}/permission"
        data = self._api.call("GET", path, missing_ok=True)
        if data is None:
            return "none"
        with self._api.parsed("GET", path):
            # `permission` folds maintain into write and triage into read; `role_name` keeps them.
            for candidate in (data.get("role_name"), data.get("permission")):
                for known in PERMISSIONS:
                    if candidate == known:
                        return known
        return "none"

    def team_members(self, org: str, team: str) -> list[str]:
        # Not in rest-api.subset.json (the stand-in serves it unvalidated); documented at
        # https://docs.github.com/rest/teams/members#list-team-members
        path = f"/orgs/{org}/teams/{team}/members"
        members = list(self._api.paginate(path))
        with self._api.parsed("GET", path):
            return sorted(member["login"] for member in members)

    # -- issues --------------------------------------------------------------------------

    def find_issue(self, marker: str, *, include_closed: bool = False) -> Issue | None:
        params: dict[str, str | int] = {"state": "all" if include_closed else "open"}
        path = f"{self._repo_path}/issues"
        for item in self._api.paginate(path, params):
            with self._api.parsed("GET", path):
                if "pull_request" in item:
                    continue  # the issues list includes pull requests
                if marker in (item.get("body") or ""):
                    return _issue(item)
        return None

    def open_issue(self, title: str, body: str, marker: str, labels: Sequence[str] = ()) -> Issue:
        payload: dict[str, Any] = {"title": title, "body": with_marker(body, marker)}
        if labels:
            payload["labels"] = list(labels)
        return self._issue_call("POST", f"{self._repo_path}/issues", payload)

    def update_issue(self, number: int, body: str, *, marker: str | None = None) -> Issue:
        text = with_marker(body, marker) if marker else body
        return self._issue_call("PATCH", f"{self._repo_path}/issues/{number}", {"body": text})

    def close_issue(self, number: int, comment: str) -> Issue:
        if comment:
            self._api.call("POST", f"{self._repo_path}/issues/{number}/comments", json={"body": comment})
        payload = {"state": "closed", "state_reason": "completed"}
        return self._issue_call("PATCH", f"{self._repo_path}/issues/{number}", payload)

    def _issue_call(self, method: str, path: str, payload: Mapping[str, Any]) -> Issue:
        data = self._api.call(method, path, json=payload)
        with self._api.parsed(method, path):
            return _issue(data)

    # -- deployments ---------------------------------------------------------------------

    def create_deployment(
        self, sha: str, environment: str, description: str, *, ref: str | None = None, transient: bool = False
    ) -> int:
        # `ref` is the SHA itself: a branch name would deploy whatever the branch points at by then.
        payload: dict[str, Any] = {
            "ref": sha,
            "environment": environment,
            "description": truncate(description, DESCRIPTION_LIMIT),
            # The orchestrator is the deployer: no merge of the default branch into a SHA, and no
            # check of other statuses (our own pending statuses on the commit would block it).
            "auto_merge": False,
            "required_contexts": [],
        }
        if transient:
            # Shown as destroyed once set inactive; never an environment users depend on.
            payload.update(transient_environment=True, production_environment=False)
        path = f"{self._repo_path}/deployments"
        response = self._api.request("POST", path, json=payload)
        assert response is not None
        data = self._api.decode("POST", response)
        with self._api.parsed("POST", path):
            if response.status_code == 201:
                return int(data["id"])
            # 202: GitHub answered with a message instead of a deployment (a merge it would do first).
            raise VcsError(
                f"GitHub API POST {path} did not create a deployment: HTTP {response.status_code}: "
                f"{data.get('message', '')}",
                status=response.status_code,
                method="POST",
                endpoint=path,
            )

    def set_deployment_status(
        self,
        deployment_id: int,
        state: DeploymentState,
        description: str,
        environment_url: str | None = None,
        *,
        auto_inactive: bool | None = None,
    ) -> None:
        payload: dict[str, Any] = {
            "state": check_deployment_state(state),
            "description": truncate(description, DESCRIPTION_LIMIT),
        }
        if environment_url:
            payload["environment_url"] = environment_url
        if auto_inactive is not None:
            payload["auto_inactive"] = auto_inactive
        if self.run_url:
            payload["log_url"] = self.run_url  # "View logs" on the deployment: the run that deployed
        self._api.call("POST", f"{self._repo_path}/deployments/{deployment_id}/statuses", json=payload)


def warn_about_team_reads(settings: Settings, env: Mapping[str, str]) -> str | None:
    """Warn (and return the warning) when trust.teams is set but the token is GitHub Actions' own.

    Listing a team's members needs organization read access (a GitHub App installation token
    with "Members: read", or a personal access token with `read:org`); the GITHUB_TOKEN a
    workflow gets can never have it, so every team lookup fails with 403/404.
    """
    if not settings.trust_teams or env.get("GITHUB_ACTIONS") != "true" or settings.vcs_token_env != "GITHUB_TOKEN":
        return None
    message = (
        f"trust.teams ({', '.join(settings.trust_teams)}) needs a token that can read the organization's team "
        "members; the GITHUB_TOKEN of GitHub Actions cannot, so team membership vouches for no one here. "
        "Give the orchestrator a GitHub App token (Members: read) or a token with read:org in another "
        f"variable and name it in vcs.token_env; see {TEAMS_DOC}"
    )
    log.warning("%s", message)
    return message


def _pull_request(data: Mapping[str, Any]) -> PullRequest:
    head = data["head"]
    base = data["base"]
    head_repo = (head.get("repo") or {}).get("full_name")
    base_repo = (base.get("repo") or {}).get("full_name")
    return PullRequest(
        number=int(data["number"]),
        head_sha=head["sha"],
        base_ref=base["ref"],
        head_ref=head["ref"],
        author=(data.get("user") or {}).get("login", ""),
        # A deleted fork leaves head.repo null: still not the base repository, so a fork.
        from_fork=head_repo is None or head_repo != base_repo,
        merged=bool(data.get("merged")) or data.get("merged_at") is not None,
        state=data["state"],
        title=data.get("title") or "",
        url=data.get("html_url") or "",
    )


def _issue(data: Mapping[str, Any]) -> Issue:
    return Issue(
        number=int(data["number"]),
        title=str(data.get("title") or ""),
        body=data.get("body") or "",
        state=data["state"],
        url=data.get("html_url") or "",
        labels=tuple(label if isinstance(label, str) else label.get("name", "") for label in data.get("labels") or ()),
    )
