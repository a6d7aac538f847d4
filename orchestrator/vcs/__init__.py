"""VCS hosts behind one interface (see base.py). Providers are imported lazily: httpx stays
out of `orchestrator --help`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.errors import UserError
from orchestrator.vcs.base import (
    CommentRef,
    DeploymentState,
    Issue,
    Permission,
    PullRequest,
    StatusState,
    VcsClient,
    VcsError,
    permission_at_least,
    with_marker,
)

if TYPE_CHECKING:
    from orchestrator.config.resolved import Settings

__all__ = [
    "CommentRef",
    "DeploymentState",
    "Issue",
    "Permission",
    "PullRequest",
    "StatusState",
    "VcsClient",
    "VcsError",
    "make_vcs",
    "permission_at_least",
    "with_marker",
]


def make_vcs(
    settings: Settings,
    *,
    provider: str | None = None,
    out_dir: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    run_url: str | None = None,
    **client_options: Any,
) -> VcsClient:
    """The client for `provider` (default `settings.vcs_provider`): github, gitlab or files.

    `out_dir` is required for files; `env` defaults to os.environ (token and CI variables);
    `run_url` is where statuses link to ("Details"): default the CI run's page from `env`
    (the server passes its own page of the job); `client_options` go to the HTTP client
    (policy, sleep, clock, timeout, transport).
    """
    from orchestrator.vcs.run_link import ci_run_url

    environ = os.environ if env is None else env
    link = run_url or ci_run_url(environ)
    chosen = provider or settings.vcs_provider
    if chosen == "files":
        if out_dir is None:
            raise UserError("the files VCS provider needs an output directory", hint="pass --out DIR")
        from orchestrator.vcs.files import FilesVcs

        return FilesVcs(out_dir, run_url=link)
    if chosen == "github":
        from orchestrator.vcs.github import GitHubClient, warn_about_team_reads

        warn_about_team_reads(settings, environ)
        return GitHubClient.from_settings(
            repo=settings.vcs_repo,
            token_env=settings.vcs_token_env,
            api_url=settings.vcs_api_url,
            env=environ,
            run_url=link,
            **client_options,
        )
    if chosen == "gitlab":
        from orchestrator.vcs.gitlab import GitLabClient

        return GitLabClient.from_settings(
            project=settings.vcs_repo,
            token_env=settings.vcs_token_env,
            api_url=settings.vcs_api_url,
            env=environ,
            run_url=link,
            **client_options,
        )
    raise UserError(f"unknown VCS provider {chosen!r}", hint="use github, gitlab or files (vcs.provider or --vcs)")
