"""GitLab (REST v4) behind the VCS interface: merge-request notes, commit statuses, approvals,
issues and deployments, on gitlab.com or a self-managed instance.

GitLab's words map onto ours: merge request IID → `pr`, note → comment, `name` of a commit
status → context, `opened` → open. States GitLab lacks are mapped (see the tables below).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from orchestrator.errors import UserError
from orchestrator.vcs._http import Clock, HostInfo, JsonApi, RetryPolicy, Sleep
from orchestrator.vcs.base import (
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
from orchestrator.vcs.gitlab_pipeline import GitLabPipeline
from orchestrator.vcs.status_ledger import ShownStatus, StatusLedger

DEFAULT_API_URL = "https://gitlab.com/api/v4"
# GitLab commit statuses: pending, running, success, failed, canceled.
_STATUS_STATE: dict[str, str] = {"pending": "pending", "success": "success", "failure": "failed", "error": "failed"}
# GitLab deployments accept running, success, failed, canceled through the API (created and
# blocked are GitLab's own), so our not-yet-started states read as running.
_DEPLOYMENT_STATE: dict[str, str] = {
    "queued": "running",
    "pending": "running",
    "in_progress": "running",
    "success": "success",
    "failure": "failed",
    "error": "failed",
    "inactive": "canceled",
}
# Project access levels → the GitHub-style permission names the trust settings use.
_ACCESS_LEVEL: list[tuple[int, Permission]] = [
    (50, "admin"),
    (40, "maintain"),
    (30, "write"),
    (20, "triage"),
    (10, "read"),
]
STATUS_DESCRIPTION_LIMIT = 255


class GitLabClient:
    def __init__(
        self,
        project: str,
        token: str,
        *,
        api_url: str | None = None,
        token_env: str = "GITLAB_TOKEN",
        policy: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        run_url: str | None = None,
        pipeline: GitLabPipeline | None = None,
    ) -> None:
        if not project:
            raise UserError("no GitLab project", hint="set vcs.repo in orchestrator.yaml to `group/project`")
        self.project = project
        self.run_url = run_url  # the "Details" link of statuses that name none: this job's page
        self.pipeline = pipeline  # the CI pipeline this runs in: statuses on its commit join it
        self._statuses = StatusLedger(self._read_statuses)
        self._mr_urls: dict[int, str] = {}
        self._project_path = f"/projects/{quote(project, safe='')}"
        self._api = JsonApi(
            base_url=api_url or DEFAULT_API_URL,
            headers={"PRIVATE-TOKEN": token, "Accept": "application/json", "User-Agent": "gitops-orchestrator"},
            token=token,
            host=HostInfo("GitLab", token_env),
            policy=policy,
            timeout=timeout,
            transport=transport,
            sleep=sleep,
            clock=clock,
        )

    @classmethod
    def from_settings(
        cls,
        *,
        project: str | None,
        token_env: str,
        api_url: str | None,
        env: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> GitLabClient:
        environ = os.environ if env is None else env
        token = environ.get(token_env, "")
        if not token:
            raise UserError(
                f"no GitLab token: environment variable {token_env} is empty or unset",
                hint=f"export {token_env}=<token with api scope>, or set vcs.token_env in orchestrator.yaml",
            )
        project = project or environ.get("CI_PROJECT_PATH") or environ.get("CI_PROJECT_ID")
        if not project:
            raise UserError(
                "no GitLab project: vcs.repo is not set and CI_PROJECT_PATH is empty",
                hint="set vcs.repo: group/project in orchestrator.yaml",
            )
        return cls(
            project,
            token,
            api_url=api_url or environ.get("CI_API_V4_URL"),
            token_env=token_env,
            pipeline=GitLabPipeline.from_env(environ),
            **kwargs,
        )

    def close(self) -> None:
        self._api.close()

    # -- merge requests ------------------------------------------------------------------

    def find_pr_for_commit(self, sha: str) -> PullRequest | None:
        path = f"{self._project_path}/repository/commits/{sha}/merge_requests"
        found = list(self._api.paginate(path))
        if not found:
            return None
        with self._api.parsed("GET", path):
            ranked = sorted(found, key=lambda mr: (mr.get("state") != "opened", mr.get("sha") != sha))
            return _merge_request(ranked[0])

    def get_pr(self, number: int) -> PullRequest:
        path = f"{self._project_path}/merge_requests/{number}"
        data = self._api.call("GET", path)
        with self._api.parsed("GET", path):
            pr = _merge_request(data)
        self._mr_urls[number] = pr.url
        return pr

    def approvals(self, pr: int) -> list[str]:
        path = f"{self._project_path}/merge_requests/{pr}/approvals"
        try:
            data = self._api.call("GET", path)
        except VcsError as exc:
            if exc.status not in (403, 404):
                raise
            raise VcsError(
                f"GitLab's merge request approvals API answered HTTP {exc.status} for !{pr}: this GitLab "
                "instance does not offer it to this token (an older GitLab Free, or approvals not in its tier), "
                "or the merge request is gone; approvals cannot be counted",
                status=exc.status,
                method="GET",
                endpoint=exc.endpoint,
                hint="approve the deploy with `orchestrator promote --env ENV --commit SHA` instead, or set "
                "`approvals: 0` for environments that cannot have merge request approvals",
            ) from None
        with self._api.parsed("GET", path):
            return sorted({entry["user"]["username"] for entry in data.get("approved_by") or []})

    # -- notes ---------------------------------------------------------------------------

    def comment_body(self, pr: int, marker: str) -> str | None:
        found = self._find_marked_note(pr, marker)
        return None if found is None else str(found.get("body") or "")

    def _find_marked_note(self, pr: int, marker: str) -> dict[str, Any] | None:
        notes_path = f"{self._project_path}/merge_requests/{pr}/notes"
        for note in self._api.paginate(notes_path, {"sort": "asc", "order_by": "created_at"}):
            with self._api.parsed("GET", notes_path):
                if not note.get("system") and marker in (note.get("body") or ""):
                    return dict(note)
        return None

    def upsert_comment(self, pr: int, marker: str, body: str) -> CommentRef:
        text = with_marker(body, marker)
        notes_path = f"{self._project_path}/merge_requests/{pr}/notes"
        existing = self._find_marked_note(pr, marker)
        if existing is None:
            created = self._api.call("POST", notes_path, json={"body": text})
            with self._api.parsed("POST", notes_path):
                note_id = int(created["id"])
            return CommentRef(id=note_id, url=self._note_url(pr, note_id), created=True)
        note_path = f"{notes_path}/{existing['id']}"
        if existing.get("body") != text:
            existing = self._api.call("PUT", note_path, json={"body": text})
        with self._api.parsed("PUT", note_path):
            note_id = int(existing["id"])
        return CommentRef(id=note_id, url=self._note_url(pr, note_id), created=False)

    def _note_url(self, pr: int, note_id: int) -> str:
        # The Notes API returns no web URL: the merge request's page plus the anchor GitLab uses.
        if pr not in self._mr_urls:
            self.get_pr(pr)
        return f"{self._mr_urls[pr]}#note_{note_id}" if self._mr_urls[pr] else f"note {note_id}"

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
            "state": _STATUS_STATE[check_status_state(state)],
            "name": context,
            "description": truncate(description, STATUS_DESCRIPTION_LIMIT),
            **(self.pipeline.placement(sha) if self.pipeline else {}),
        }
        target_url = target_url or self.run_url
        if target_url:
            payload["target_url"] = target_url
        wanted = ShownStatus(payload["state"], payload["description"], target_url or "")
        shown = self._statuses.shown(sha, context)
        # GitLab refuses to move a pending or running status to the state it is in (HTTP 400),
        # and the text of one cannot change without a new state: leave it as it is.
        unchanged_wait = shown is not None and shown.state == wanted.state and wanted.state in ("pending", "running")
        if shown == wanted or unchanged_wait:
            return
        self._api.call("POST", f"{self._project_path}/statuses/{sha}", json=payload)
        self._statuses.record(sha, context, wanted)

    def _read_statuses(self, sha: str) -> dict[str, ShownStatus]:
        # The latest status of each name, where this client posts: its pipeline, or its ref.
        path = f"{self._project_path}/repository/commits/{sha}/statuses"
        placement = self.pipeline.placement(sha) if self.pipeline else {}
        params: dict[str, str | int] = {k: v for k, v in placement.items() if k in ("pipeline_id", "ref")}
        shown: dict[str, ShownStatus] = {}
        for item in self._api.paginate(path, params):  # oldest first: the newest of a name wins
            with self._api.parsed("GET", path):
                shown[item["name"]] = ShownStatus(
                    item["status"], item.get("description") or "", item.get("target_url") or ""
                )
        return shown

    # -- people --------------------------------------------------------------------------

    def author_permission(self, login: str) -> Permission:
        users = self._api.call("GET", "/users", params={"username": login}) or []
        if not users:
            return "none"
        with self._api.parsed("GET", "/users"):
            member_path = f"{self._project_path}/members/all/{int(users[0]['id'])}"
        member = self._api.call("GET", member_path, missing_ok=True)
        with self._api.parsed("GET", member_path):
            level = int((member or {}).get("access_level", 0))
        for minimum, permission in _ACCESS_LEVEL:
            if level >= minimum:
                return permission
        return "none"

    def team_members(self, org: str, team: str) -> list[str]:
        path = f"/groups/{quote(f'{org}/{team}', safe='')}/members/all"
        members = list(self._api.paginate(path))
        with self._api.parsed("GET", path):
            return sorted(member["username"] for member in members)

    # -- issues --------------------------------------------------------------------------

    def find_issue(self, marker: str, *, include_closed: bool = False) -> Issue | None:
        params: dict[str, str | int] = {"state": "all" if include_closed else "opened"}
        path = f"{self._project_path}/issues"
        for item in self._api.paginate(path, params):
            with self._api.parsed("GET", path):
                if marker in (item.get("description") or ""):
                    return _issue(item)
        return None

    def open_issue(self, title: str, body: str, marker: str, labels: Sequence[str] = ()) -> Issue:
        payload: dict[str, Any] = {"title": title, "description": with_marker(body, marker)}
        if labels:
            payload["labels"] = ",".join(labels)
        return self._issue_call("POST", f"{self._project_path}/issues", payload)

    def update_issue(self, number: int, body: str, *, marker: str | None = None) -> Issue:
        text = with_marker(body, marker) if marker else body
        return self._issue_call("PUT", f"{self._project_path}/issues/{number}", {"description": text})

    def close_issue(self, number: int, comment: str) -> Issue:
        if comment:
            self._api.call("POST", f"{self._project_path}/issues/{number}/notes", json={"body": comment})
        return self._issue_call("PUT", f"{self._project_path}/issues/{number}", {"state_event": "close"})

    def _issue_call(self, method: str, path: str, payload: Mapping[str, Any]) -> Issue:
        data = self._api.call(method, path, json=payload)
        with self._api.parsed(method, path):
            return _issue(data)

    # -- deployments ---------------------------------------------------------------------

    def create_deployment(
        self, sha: str, environment: str, description: str, *, ref: str | None = None, transient: bool = False
    ) -> int:
        # GitLab deployments carry no description; the environment and commit say what ran.
        # `transient` has no GitLab counterpart: a `review/...` environment is GitLab's review app.
        # `ref` must be a branch or tag (GitLab answers 400 to a SHA): the branch that was deployed.
        branch = ref or (self.pipeline.head_branch if self.pipeline else None)
        if not branch:
            raise VcsError(
                f"a GitLab deployment of {sha[:12]} to {environment} needs the branch that was deployed",
                method="POST",
                endpoint=f"{self._project_path}/deployments",
            )
        payload = {"environment": environment, "sha": sha, "ref": branch, "tag": False, "status": "running"}
        path = f"{self._project_path}/deployments"
        data = self._api.call("POST", path, json=payload)
        with self._api.parsed("POST", path):
            return int(data["id"])

    def set_deployment_status(
        self,
        deployment_id: int,
        state: DeploymentState,
        description: str,
        environment_url: str | None = None,
        *,
        auto_inactive: bool | None = None,  # GitHub's; GitLab marks older deployments itself
    ) -> None:
        status = _DEPLOYMENT_STATE[check_deployment_state(state)]
        self._api.call("PUT", f"{self._project_path}/deployments/{deployment_id}", json={"status": status})


def _merge_request(data: Mapping[str, Any]) -> PullRequest:
    state = data.get("state", "opened")
    return PullRequest(
        number=int(data["iid"]),
        head_sha=data.get("sha") or "",
        base_ref=data["target_branch"],
        head_ref=data["source_branch"],
        author=(data.get("author") or {}).get("username", ""),
        from_fork=data.get("source_project_id") != data.get("target_project_id"),
        merged=state == "merged",
        state="open" if state in ("opened", "locked") else "closed",
        title=data.get("title") or "",
        url=data.get("web_url") or "",
    )


def _issue(data: Mapping[str, Any]) -> Issue:
    return Issue(
        number=int(data["iid"]),
        title=data.get("title") or "",
        body=data.get("description") or "",
        state="open" if data.get("state") == "opened" else "closed",
        url=data.get("web_url") or "",
        labels=tuple(data.get("labels") or ()),
    )
