"""GitLab CI: the pipeline's merge request or push, from GitLab's predefined CI/CD variables."""

from __future__ import annotations

import os
from collections.abc import Mapping

from orchestrator.ci.events import ZERO_SHA, PullRequestEvent, PushEvent
from orchestrator.errors import UserError


def read_event(env: Mapping[str, str] | None = None) -> PullRequestEvent | PushEvent:
    """A merge request pipeline → PullRequestEvent; a branch pipeline → PushEvent."""
    environ = os.environ if env is None else env
    if not environ.get("GITLAB_CI"):
        raise UserError(
            "not running in GitLab CI: GITLAB_CI is unset",
            hint="use --ci gitlab only inside a pipeline, or pass --repo/--base/--head instead",
        )
    if environ.get("CI_MERGE_REQUEST_IID"):
        return _merge_request(environ)
    if environ.get("CI_COMMIT_BRANCH"):
        return _push(environ)
    if environ.get("CI_COMMIT_TAG") and environ.get("CI_PIPELINE_SOURCE", "push") == "push":
        # A tag push: a push event without a branch, which `deploy` reports and leaves alone.
        return PushEvent(
            ref=f"refs/tags/{environ['CI_COMMIT_TAG']}",
            branch=None,
            before=environ.get("CI_COMMIT_BEFORE_SHA") or ZERO_SHA,
            after=_required(environ, "CI_COMMIT_SHA"),
            repo_full_name=environ.get("CI_PROJECT_PATH", ""),
            pusher=environ.get("GITLAB_USER_LOGIN", ""),
        )
    source = environ.get("CI_PIPELINE_SOURCE", "unknown")
    what = f"tag {environ['CI_COMMIT_TAG']}" if environ.get("CI_COMMIT_TAG") else f"source {source!r}"
    raise UserError(
        f"unsupported GitLab pipeline ({what}): neither a merge request nor a branch pipeline",
        hint="run the orchestrator in merge_request_event pipelines and branch pipelines",
    )


def _merge_request(environ: Mapping[str, str]) -> PullRequestEvent:
    source_project = environ.get("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", "")
    target_project = environ.get("CI_MERGE_REQUEST_PROJECT_ID", "")
    return PullRequestEvent(
        number=int(_required(environ, "CI_MERGE_REQUEST_IID")),
        base_ref=_required(environ, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
        base_sha=environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA", ""),
        head_ref=environ.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", ""),
        # Merged-results pipelines run on a merge commit; the MR's own head is the source SHA.
        head_sha=environ.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or _required(environ, "CI_COMMIT_SHA"),
        # GITLAB_USER_LOGIN is who started the pipeline: the pusher of the MR's latest commit.
        author=environ.get("GITLAB_USER_LOGIN", ""),
        from_fork=bool(source_project) and source_project != target_project,
        action=environ.get("CI_MERGE_REQUEST_EVENT_TYPE", "detached"),
        repo_full_name=environ.get("CI_MERGE_REQUEST_PROJECT_PATH") or environ.get("CI_PROJECT_PATH", ""),
    )


def _push(environ: Mapping[str, str]) -> PushEvent:
    branch = environ["CI_COMMIT_BRANCH"]
    before = environ.get("CI_COMMIT_BEFORE_SHA") or ZERO_SHA
    return PushEvent(
        ref=f"refs/heads/{branch}",
        branch=branch,
        before=before,
        after=_required(environ, "CI_COMMIT_SHA"),
        repo_full_name=environ.get("CI_PROJECT_PATH", ""),
        pusher=environ.get("GITLAB_USER_LOGIN", ""),
        created=before == ZERO_SHA,
    )


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name)
    if not value:
        raise UserError(f"GitLab CI variable {name} is unset", hint="is this a GitLab CI job of a supported pipeline?")
    return value
