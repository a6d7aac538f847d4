"""Which jobs a webhook delivery asks for: GitHub and GitLab events → `JobSpec`s, or a reason to do nothing.

Decided from the payload alone (no Git, no API calls), so the receiver answers quickly; who
is trusted, whether a branch is tracked and what a PR's head is are the workers' questions.

Job keys: jobs of one key never run at once. A PR's previews, comment commands and unlock
share `pr:<n>`; a branch's deploys share `branch:<name>` (drift jobs of an environment use its
branch's key too, see scheduler.py), so a deploy and a remediation never touch one branch's
stacks together. Stack leases inside the flows still guard each stack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.ci.events import COMMANDS, ZERO_SHA, parse_command
from orchestrator.errors import UserError
from orchestrator.store.job_model import JobSpec

PREVIEW_ACTIONS = ("opened", "synchronize", "reopened", "retargeted")


class BadPayload(Exception):
    """A supported event whose payload lacks what such an event always carries, or carries it
    in the wrong shape (→ 400 with the reason, counted by `reason`)."""

    def __init__(self, message: str, reason: str = "missing_field") -> None:
        super().__init__(message)
        self.reason = reason


MAX_NUMBER = 2**31 - 1  # pull request and merge request numbers are 32-bit on both hosts
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")  # SHA-1 or SHA-256 repositories
_MAX_NAME = 255


@dataclass(frozen=True)
class Decision:
    jobs: tuple[JobSpec, ...]
    reason: str  # what we make of the delivery, for the 202 body and the log

    @property
    def acted(self) -> bool:
        return bool(self.jobs)


def pr_key(number: int) -> str:
    return f"pr:{number}"


def branch_key(branch: str) -> str:
    return f"branch:{branch}"


def ignored(reason: str) -> Decision:
    return Decision((), reason)


# --------------------------------------------------------------------------- GitHub


def github_decision(event: str, payload: Mapping[str, Any], *, expected_repo: str | None = None) -> Decision:
    """The jobs a GitHub delivery of `event` (the X-GitHub-Event header) asks for."""
    if event == "ping":
        return ignored("ping: the webhook reaches the orchestrator")
    if event not in ("pull_request", "push", "issue_comment"):
        return ignored(f"GitHub event {event!r} is not acted on (pull_request, push and issue_comment are)")
    from orchestrator.ci.events import IssueCommentEvent, PullRequestEvent, PushEvent
    from orchestrator.ci.github_actions import parse_event

    try:
        parsed = parse_event(event, payload)
    except UserError as exc:
        raise BadPayload(exc.message, "bad_field" if "malformed" in exc.message else "missing_field") from None
    repo = parsed.repo_full_name
    if expected_repo and repo.lower() != expected_repo.lower():
        return ignored(f"the delivery is for {repo}, this server serves {expected_repo}")
    if isinstance(parsed, PullRequestEvent):
        # An edit that changed the base branch changes what the PR deploys to: preview it again.
        retargeted = parsed.action == "edited" and parsed.base_changed_from is not None
        return _pull_request("retargeted" if retargeted else parsed.action, parsed.number, {
            "pr": parsed.number,
            "base_ref": parsed.base_ref,
            "base_sha": parsed.base_sha,
            "head_ref": parsed.head_ref,
            "head_sha": parsed.head_sha,
            "author": parsed.author,
            "from_fork": parsed.from_fork,
            "repo": repo,
        }, merged=bool((payload.get("pull_request") or {}).get("merged")))
    if isinstance(parsed, PushEvent):
        return _push(parsed.branch, parsed.before, parsed.after, parsed.pusher, repo, deleted=parsed.deleted)
    assert isinstance(parsed, IssueCommentEvent)
    if parsed.action != "created":
        return ignored(f"issue_comment {parsed.action}: only new comments carry commands")
    if not parsed.is_pull_request:
        return ignored(f"#{parsed.number} is an issue, not a pull request")
    return _comment(parsed.number, parsed.body, parsed.commenter, repo)


# --------------------------------------------------------------------------- GitLab


def gitlab_decision(event: str, payload: Mapping[str, Any], *, expected_repo: str | None = None) -> Decision:
    """The jobs a GitLab delivery asks for (`event` is the X-Gitlab-Event header; the payload's
    object_kind decides)."""
    kind = payload.get("object_kind") or payload.get("event_name")
    if kind not in ("merge_request", "push", "note"):
        return ignored(f"GitLab {event or kind!r} is not acted on (merge request, push and note hooks are)")
    try:
        repo = str(payload["project"]["path_with_namespace"])
        if expected_repo and repo.lower() != expected_repo.lower():
            return ignored(f"the delivery is for {repo}, this server serves {expected_repo}")
        if kind == "merge_request":
            return _gitlab_merge_request(payload, repo)
        if kind == "push":
            ref = _name(payload["ref"], "the ref")
            branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
            after = str(payload["after"])
            return _push(branch, str(payload["before"]), after, str(payload.get("user_username") or ""), repo,
                         deleted=after == ZERO_SHA)
        return _gitlab_note(payload, repo)
    except KeyError as exc:
        raise BadPayload(f"GitLab {kind} hook payload lacks {exc}") from None
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise BadPayload(f"GitLab {kind} hook payload has a malformed field ({exc})", "bad_field") from None


def _gitlab_merge_request(payload: Mapping[str, Any], repo: str) -> Decision:
    attrs = payload["object_attributes"]
    action = str(attrs.get("action") or "")
    number = int(attrs["iid"])
    # GitLab sends `changes` with every update; a new target branch there is a retarget.
    retargeted = action == "update" and "target_branch" in (payload.get("changes") or {})
    if action == "update" and not attrs.get("oldrev") and not retargeted:
        return ignored(f"merge request !{number} update without new commits or a new target branch")
    mapped = {"open": "opened", "reopen": "reopened", "update": "retargeted" if retargeted else "synchronize",
              "close": "closed", "merge": "closed"}.get(action, action)
    source = attrs.get("source_project_id")
    target = attrs.get("target_project_id")
    return _pull_request(mapped, number, {
        "pr": number,
        "base_ref": str(attrs["target_branch"]),
        "base_sha": "",  # GitLab's hook has no base commit: the worker uses the target branch
        "head_ref": str(attrs["source_branch"]),
        "head_sha": str(attrs["last_commit"]["id"]),
        # Trust is the merge request author's, never the hook's `user` (whoever opened, reopened,
        # rebased or pushed). The hook names the author by id only: the worker reads who that is
        # from the API (`merge_request_author`); no id, no author, no trust.
        "author": "",
        "author_id": attrs.get("author_id"),
        "from_fork": source is not None and target is not None and source != target,
        "repo": repo,
    }, merged=action == "merge")


def _gitlab_note(payload: Mapping[str, Any], repo: str) -> Decision:
    attrs = payload["object_attributes"]
    if attrs.get("noteable_type") != "MergeRequest":
        return ignored(f"a note on a {attrs.get('noteable_type')}, not a merge request")
    if attrs.get("action", "create") != "create":  # GitLab 16.11+ also sends edits (action: update)
        return ignored(f"note {attrs.get('action')}: only new notes carry commands")
    number = int(payload["merge_request"]["iid"])
    return _comment(number, str(attrs.get("note") or ""), str(payload["user"]["username"]), repo)


# --------------------------------------------------------------------------- shared


def _number(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_NUMBER:
        raise BadPayload(f"{what} must be a whole number from 1 to {MAX_NUMBER}, not {str(value)[:40]!r}", "bad_field")
    return value


def _sha(value: object, what: str, *, optional: bool = False) -> str:
    if optional and value in ("", None):
        return ""
    if not isinstance(value, str) or not _SHA.match(value):
        raise BadPayload(f"{what} must be a commit SHA (40 or 64 hex digits), not {str(value)[:80]!r}", "bad_field")
    return value


def _name(value: object, what: str, *, optional: bool = False) -> str:
    """A branch, login or repository name: text of one line, of a sane length."""
    if optional and value in ("", None):
        return ""
    if not isinstance(value, str) or not value or len(value) > _MAX_NAME or not value.isprintable():
        raise BadPayload(f"{what} must be a name of 1 to {_MAX_NAME} printable characters, not {str(value)[:80]!r}",
                         "bad_field")
    return value


def _pull_request(action: str, number: int, details: dict[str, Any], *, merged: bool) -> Decision:
    _number(number, "the pull request number")
    _sha(details["head_sha"], "the head commit")
    _sha(details["base_sha"], "the base commit", optional=True)
    for field_ in ("base_ref", "head_ref", "repo"):
        _name(details[field_], field_)
    _name(details["author"], "the author", optional=True)
    key = pr_key(number)
    if action in PREVIEW_ACTIONS:
        job = JobSpec(kind="preview", key=key, payload=details, commit=details["head_sha"], supersede=True)
        why = f" (retargeted to {details['base_ref']})" if action == "retargeted" else ""
        return Decision((job,), f"preview of #{number} at {details['head_sha'][:12]} queued{why}")
    if action == "closed":
        why = "merged" if merged else "closed"
        job = JobSpec(kind="unlock", key=key, payload={"pr": number, "reason": why}, supersede=True)
        return Decision((job,), f"#{number} {why}: its PR locks will be released")
    return ignored(f"pull request action {action!r} needs nothing (opened, synchronize, reopened, closed and "
                   "a change of base branch do)")


def _push(branch: str | None, before: str, after: str, pusher: str, repo: str, *, deleted: bool) -> Decision:
    if branch is None:
        return ignored("a tag push: deploys follow branches")
    if deleted or after == ZERO_SHA:
        return ignored(f"branch {branch} was deleted")
    _name(branch, "the branch")
    _sha(after, "the pushed commit (after)")
    _sha(before, "the commit before the push", optional=True)
    _name(pusher, "the pusher", optional=True)
    payload = {"branch": branch, "before": before, "after": after, "pusher": pusher, "repo": repo}
    job = JobSpec(kind="deploy", key=branch_key(branch), payload=payload, commit=after)
    return Decision((job,), f"deploy of {branch} at {after[:12]} queued")


def _comment(number: int, body: str, commenter: str, repo: str) -> Decision:
    command = parse_command(body)
    if command is None:
        return ignored("a comment without an /orchestrator command")
    if command not in COMMANDS:
        return ignored(f"unknown command /orchestrator {command} (known: {', '.join(COMMANDS)})")
    _number(number, "the pull request number")
    _name(commenter, "the commenter")
    payload = {"pr": number, "command": command, "commenter": commenter, "repo": repo}
    job = JobSpec(kind="comment", key=pr_key(number), payload=payload)
    return Decision((job,), f"/orchestrator {command} on #{number} by {commenter} queued (trust is checked)")
