"""The `files` VCS provider: everything a host would receive, written to a directory instead.

For dry runs and the demo. Layout under `out_dir`:
  comment.md                 the latest comment written (any PR, or none: a run without --pr)
  pr-<n>/comment.md          the comment of PR n (one per PR and marker: upserted, never duplicated)
  statuses.json              [{sha, context, state, description, target_url}], one entry per (sha, context)
  issues/<n>.md + issues.json  tracking issues and their index (number, title, state, marker, labels)
  deployments.json           [{id, sha, ref, environment, description, statuses: [...]}]
Inputs a review would give, read when present:
  approvals.json             {"<pr>": ["alice", ...]}   approving reviewers per PR
  permissions.json           {"<login>": "write", ...}  repository permission per user (absent: none)
  teams.json                 {"<org>/<team>": ["alice", ...]}
  pulls.json                 {"<n>": {head_sha, base_ref, head_ref, author, from_fork, merged, state, title}}
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from orchestrator.errors import UserError
from orchestrator.fsutil import atomic_write
from orchestrator.vcs.base import (
    PERMISSIONS,
    CommentRef,
    DeploymentState,
    Issue,
    Permission,
    PullRequest,
    StatusState,
    VcsError,
    check_deployment_state,
    check_status_state,
    with_marker,
)


class FilesVcs:
    def __init__(self, out_dir: Path | str, *, run_url: str | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.run_url = run_url  # the "Details" link of statuses that name none
        self.out_dir.mkdir(parents=True, exist_ok=True)
        # Flows set statuses from worker threads; read-modify-write of one JSON file needs a lock.
        self._lock = threading.Lock()

    # -- pull requests -------------------------------------------------------------------

    def add_pull(self, pr: PullRequest) -> None:
        """Record a pull request in pulls.json (the demo's way to simulate one)."""
        with self._lock:
            pulls = self._read_json("pulls.json", {})
            record = asdict(pr)
            record.pop("number")
            pulls[str(pr.number)] = record
            self._write_json("pulls.json", pulls)

    def find_pr_for_commit(self, sha: str) -> PullRequest | None:
        for pr in self._pulls():
            if pr.head_sha == sha:
                return pr
        return None

    def get_pr(self, number: int) -> PullRequest:
        for pr in self._pulls():
            if pr.number == number:
                return pr
        raise VcsError(
            f"pull request #{number} is not in {self.out_dir / 'pulls.json'}",
            status=404,
            endpoint="pulls.json",
            hint="the files provider only knows pull requests written to pulls.json (FilesVcs.add_pull)",
        )

    def _pulls(self) -> list[PullRequest]:
        pulls = self._read_json("pulls.json", {})
        try:
            return [PullRequest(number=int(number), **fields) for number, fields in pulls.items()]
        except (TypeError, ValueError) as exc:
            raise UserError(
                f"{self.out_dir / 'pulls.json'}: not a map of PR number to pull request fields ({exc})",
                hint='write e.g. {"7": {"head_sha": "...", "base_ref": "main", "head_ref": "feature", '
                '"author": "alice", "from_fork": false, "merged": false, "state": "open"}}',
            ) from None

    def approvals(self, pr: int) -> list[str]:
        approvals = self._read_json("approvals.json", {})
        users = approvals.get(str(pr), [])
        if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
            raise UserError(
                f"{self.out_dir / 'approvals.json'}: key {str(pr)!r} must be a list of user names",
                hint='write e.g. {"7": ["alice", "bob"]}',
            )
        return sorted(set(users))

    # -- comments ------------------------------------------------------------------------

    def comment_body(self, pr: int, marker: str) -> str | None:
        with self._lock:
            entry = self._read_json("comments.json", {}).get(f"{pr}:{marker}")
            path = None if entry is None else self.out_dir / entry["file"]
            return path.read_text(encoding="utf-8") if path is not None and path.exists() else None

    def upsert_comment(self, pr: int, marker: str, body: str) -> CommentRef:
        text = with_marker(body, marker)
        with self._lock:
            index = self._read_json("comments.json", {})
            key = f"{pr}:{marker}"
            created = key not in index
            if created:
                # The first marker of a PR takes comment.md; other markers (e.g. deploy) get their own file.
                name = "comment.md" if not _has_pr(index, pr) else f"comment-{len(_markers(index, pr)) + 1}.md"
                path = self.out_dir / f"pr-{pr}" / name
                index[key] = {
                    "pr": pr,
                    "marker": marker,
                    "file": str(path.relative_to(self.out_dir)),
                    "id": len(index) + 1,
                }
            else:
                path = self.out_dir / index[key]["file"]
            _write_text(path, text)
            _write_text(self.out_dir / "comment.md", text)
            self._write_json("comments.json", index)
            return CommentRef(id=int(index[key]["id"]), url=str(path), created=created)

    def write_comment(self, marker: str, body: str) -> CommentRef:
        """The comment of a run that names no pull request: `comment.md` only."""
        path = self.out_dir / "comment.md"
        with self._lock:
            _write_text(path, with_marker(body, marker))
        return CommentRef(id=0, url=str(path), created=True)

    # -- statuses ------------------------------------------------------------------------

    def set_status(
        self,
        sha: str,
        context: str,
        state: StatusState,
        description: str,
        target_url: str | None = None,
    ) -> None:
        entry = {
            "sha": sha,
            "context": context,
            "state": check_status_state(state),
            "description": description,
            "target_url": target_url or self.run_url,
        }
        with self._lock:
            statuses: list[dict[str, Any]] = self._read_json("statuses.json", [])
            for i, existing in enumerate(statuses):
                if existing.get("sha") == sha and existing.get("context") == context:
                    statuses[i] = entry
                    break
            else:
                statuses.append(entry)
            self._write_json("statuses.json", statuses)

    def statuses(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._read_json("statuses.json", [])
        return result

    # -- people --------------------------------------------------------------------------

    def author_permission(self, login: str) -> Permission:
        permission = self._read_json("permissions.json", {}).get(login, "none")
        for known in PERMISSIONS:
            if permission == known:
                return known
        raise UserError(
            f"{self.out_dir / 'permissions.json'}: {login}: unknown permission {permission!r}",
            hint=f"use one of {', '.join(PERMISSIONS)}",
        )

    def team_members(self, org: str, team: str) -> list[str]:
        return sorted(self._read_json("teams.json", {}).get(f"{org}/{team}", []))

    # -- issues --------------------------------------------------------------------------

    def find_issue(self, marker: str, *, include_closed: bool = False) -> Issue | None:
        for entry in self._read_json("issues.json", []):
            if entry.get("marker") == marker and (include_closed or entry.get("state") == "open"):
                return self._issue(entry)
        return None

    def open_issue(self, title: str, body: str, marker: str, labels: Sequence[str] = ()) -> Issue:
        with self._lock:
            index: list[dict[str, Any]] = self._read_json("issues.json", [])
            number = max((int(e["number"]) for e in index), default=0) + 1
            entry = {"number": number, "title": title, "state": "open", "marker": marker, "labels": list(labels)}
            index.append(entry)
            _write_text(self._issue_path(number), with_marker(body, marker))
            self._write_json("issues.json", index)
            return self._issue(entry)

    def update_issue(self, number: int, body: str, *, marker: str | None = None) -> Issue:
        with self._lock:
            entry = self._issue_entry(number)
            _write_text(self._issue_path(number), with_marker(body, marker) if marker else body)
            return self._issue(entry)

    def close_issue(self, number: int, comment: str) -> Issue:
        with self._lock:
            index: list[dict[str, Any]] = self._read_json("issues.json", [])
            entry = next((e for e in index if e["number"] == number), None)
            if entry is None:
                raise self._missing_issue(number)
            entry["state"] = "closed"
            if comment:
                entry.setdefault("comments", []).append(comment)
            self._write_json("issues.json", index)
            return self._issue(entry)

    def _issue_entry(self, number: int) -> dict[str, Any]:
        for entry in self._read_json("issues.json", []):
            if entry["number"] == number:
                return dict(entry)
        raise self._missing_issue(number)

    def _missing_issue(self, number: int) -> VcsError:
        return VcsError(f"issue #{number} is not in {self.out_dir / 'issues.json'}", status=404, endpoint="issues.json")

    def _issue_path(self, number: int) -> Path:
        return self.out_dir / "issues" / f"{number}.md"

    def _issue(self, entry: dict[str, Any]) -> Issue:
        path = self._issue_path(int(entry["number"]))
        return Issue(
            number=int(entry["number"]),
            title=str(entry["title"]),
            body=path.read_text(encoding="utf-8") if path.exists() else "",
            state=str(entry["state"]),
            url=str(path),
            labels=tuple(entry.get("labels", ())),
        )

    # -- deployments ---------------------------------------------------------------------

    def create_deployment(
        self, sha: str, environment: str, description: str, *, ref: str | None = None, transient: bool = False
    ) -> int:
        with self._lock:
            deployments: list[dict[str, Any]] = self._read_json("deployments.json", [])
            deployment_id = max((int(d["id"]) for d in deployments), default=0) + 1
            deployments.append(
                {
                    "id": deployment_id,
                    "sha": sha,
                    "ref": ref,
                    "environment": environment,
                    "description": description,
                    "transient": transient,
                    "statuses": [],
                }
            )
            self._write_json("deployments.json", deployments)
            return deployment_id

    def set_deployment_status(
        self,
        deployment_id: int,
        state: DeploymentState,
        description: str,
        environment_url: str | None = None,
        *,
        auto_inactive: bool | None = None,
    ) -> None:
        with self._lock:
            deployments: list[dict[str, Any]] = self._read_json("deployments.json", [])
            for deployment in deployments:
                if deployment["id"] == deployment_id:
                    deployment["statuses"].append(
                        {
                            "state": check_deployment_state(state),
                            "description": description,
                            "environment_url": environment_url,
                        }
                    )
                    self._write_json("deployments.json", deployments)
                    return
            raise VcsError(
                f"deployment {deployment_id} is not in {self.out_dir / 'deployments.json'}",
                status=404,
                endpoint="deployments.json",
            )

    # -- files ---------------------------------------------------------------------------

    def _read_json(self, name: str, default: Any) -> Any:
        path = self.out_dir / name
        if not path.exists():
            return default
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise UserError(
                f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})", hint="fix or delete the file"
            ) from None
        if not isinstance(data, type(default)):
            raise UserError(f"{path}: expected a JSON {type(default).__name__}, found {type(data).__name__}")
        return data

    def _write_json(self, name: str, data: Any) -> None:
        _write_text(self.out_dir / name, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _has_pr(index: dict[str, Any], pr: int) -> bool:
    return any(entry["pr"] == pr for entry in index.values())


def _markers(index: dict[str, Any], pr: int) -> list[str]:
    return [entry["marker"] for entry in index.values() if entry["pr"] == pr]


def _write_text(path: Path, text: str) -> None:
    """Atomic: a reader sees the old file or the new one, never half of it. Owner-only, as
    these files have always been (tempfile.mkstemp's permission)."""
    atomic_write(path, text, mode=0o600)
