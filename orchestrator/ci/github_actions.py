"""GitHub Actions: read the triggering event; write step summaries, outputs and annotations.

GitHub Actions puts the webhook payload of the triggering event in the file named by
GITHUB_EVENT_PATH and its name in GITHUB_EVENT_NAME; results go back through the files named
by GITHUB_STEP_SUMMARY and GITHUB_OUTPUT and through `::error ...::` lines on stdout.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from orchestrator.ci.events import CiEvent, IssueCommentEvent, PullRequestEvent, PushEvent
from orchestrator.errors import UserError

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
SUPPORTED_EVENTS = (*PULL_REQUEST_EVENTS, "push", "issue_comment")
AnnotationLevel = Literal["debug", "notice", "warning", "error"]


def read_event(env: Mapping[str, str] | None = None) -> CiEvent:
    """The event of the running workflow, from GITHUB_EVENT_NAME and GITHUB_EVENT_PATH."""
    environ = os.environ if env is None else env
    name = environ.get("GITHUB_EVENT_NAME", "")
    path = environ.get("GITHUB_EVENT_PATH", "")
    if not name or not path:
        raise UserError(
            "not running in GitHub Actions: GITHUB_EVENT_NAME or GITHUB_EVENT_PATH is unset",
            hint="use --ci github only inside a workflow run, or pass --repo/--base/--head instead",
        )
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"GITHUB_EVENT_PATH {path}: cannot read the event payload ({exc})") from None
    return parse_event(name, payload)


def parse_event(name: str, payload: Mapping[str, Any]) -> CiEvent:
    """A webhook payload (as Actions stores it) → our event; unsupported events are a UserError."""
    try:
        if name in PULL_REQUEST_EVENTS:
            return _pull_request(payload)
        if name == "push":
            return _push(payload)
        if name == "issue_comment":
            return _issue_comment(payload)
    except (KeyError, TypeError) as exc:
        raise UserError(f"GitHub {name} event payload lacks {exc}: not a {name} webhook payload") from None
    except (AttributeError, ValueError, OverflowError) as exc:  # a field of the wrong type (`ref: 5`)
        raise UserError(f"GitHub {name} event payload has a malformed field ({exc})") from None
    raise UserError(
        f"unsupported GitHub event {name!r}",
        hint=f"trigger the workflow on one of: {', '.join(SUPPORTED_EVENTS)}",
    )


def _pull_request(payload: Mapping[str, Any]) -> PullRequestEvent:
    pr = payload["pull_request"]
    head_repo = (pr["head"].get("repo") or {}).get("full_name")
    base_repo = pr["base"]["repo"]["full_name"]
    return PullRequestEvent(
        number=int(pr["number"]),
        base_ref=pr["base"]["ref"],
        base_sha=pr["base"]["sha"],
        head_ref=pr["head"]["ref"],
        head_sha=pr["head"]["sha"],
        author=pr["user"]["login"],
        # head.repo is null when the fork was deleted: still not our repository.
        from_fork=head_repo != base_repo,
        action=payload["action"],
        repo_full_name=payload["repository"]["full_name"],
        # `edited` with changes.base: the PR now targets another branch and must be previewed again.
        base_changed_from=((payload.get("changes") or {}).get("base") or {}).get("ref", {}).get("from"),
    )


def _push(payload: Mapping[str, Any]) -> PushEvent:
    ref = payload["ref"]
    pusher = payload.get("pusher") or {}
    return PushEvent(
        ref=ref,
        branch=ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None,
        before=payload["before"],
        after=payload["after"],
        repo_full_name=payload["repository"]["full_name"],
        pusher=pusher.get("username") or pusher.get("name") or "",
        created=bool(payload.get("created")),
        deleted=bool(payload.get("deleted")),
        forced=bool(payload.get("forced")),
    )


def _issue_comment(payload: Mapping[str, Any]) -> IssueCommentEvent:
    issue = payload["issue"]
    comment = payload["comment"]
    return IssueCommentEvent(
        number=int(issue["number"]),
        is_pull_request="pull_request" in issue,
        body=comment.get("body") or "",
        commenter=comment["user"]["login"],
        author_association=comment.get("author_association", "NONE"),
        action=payload["action"],
        comment_id=int(comment["id"]),
        repo_full_name=payload["repository"]["full_name"],
    )


# -- writing back to the workflow ----------------------------------------------------------


def write_step_summary(markdown: str, env: Mapping[str, str] | None = None) -> Path | None:
    """Append to the job summary; returns its path, or None outside Actions (nothing written)."""
    environ = os.environ if env is None else env
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return path


def write_outputs(outputs: Mapping[str, str], env: Mapping[str, str] | None = None) -> Path | None:
    """Append step outputs to GITHUB_OUTPUT; multi-line values use the `name<<DELIMITER` form."""
    environ = os.environ if env is None else env
    target = environ.get("GITHUB_OUTPUT")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        for name, value in outputs.items():
            handle.write(format_output(name, value))
    return path


def format_output(name: str, value: str) -> str:
    if not name or any(ch in name for ch in "\r\n=<"):
        raise ValueError(f"invalid GitHub Actions output name {name!r}")
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
    while delimiter in value:  # astronomically unlikely, but a collision would truncate the value
        delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def annotation(
    level: AnnotationLevel,
    message: str,
    title: str | None = None,
    *,
    file: str | None = None,
    line: int | None = None,
) -> str:
    """A workflow command line such as `::error title=Preview failed::app/dev: ...`."""
    properties = []
    if file is not None:
        properties.append(f"file={_escape_property(file)}")
    if line is not None:
        properties.append(f"line={line}")
    if title is not None:
        properties.append(f"title={_escape_property(title)}")
    props = " " + ",".join(properties) if properties else ""
    return f"::{level}{props}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    # As @actions/core's escapeData: % first, so the escapes themselves are not re-escaped.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
