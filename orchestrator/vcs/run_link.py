"""The web page of the CI run this process is part of: where a commit status's "Details" link goes.

Read from the CI's own variables, like the repository and API URL the clients read (the CI
adapters in `ci/` parse events; this is only the link)."""

from __future__ import annotations

from collections.abc import Mapping


def ci_run_url(env: Mapping[str, str]) -> str | None:
    """The run's page from the CI's own variables; None outside CI (or when a variable is missing).

    GitHub Actions: `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID` (the
    run's summary, where the job summary with the full report is). GitLab CI: `CI_JOB_URL`.
    """
    if env.get("GITHUB_ACTIONS") == "true":
        server = env.get("GITHUB_SERVER_URL") or "https://github.com"
        repo, run_id = env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
        return f"{server.rstrip('/')}/{repo}/actions/runs/{run_id}" if repo and run_id else None
    if env.get("GITLAB_CI"):
        return env.get("CI_JOB_URL") or None
    return None
