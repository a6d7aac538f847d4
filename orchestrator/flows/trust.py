"""Who may have their pull request previewed.

A preview runs the PR's code with the environment's credentials, so code from forks or from
authors outside `trust` waits until a trusted user asks for it (`/orchestrator preview`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from orchestrator.config.resolved import Settings
from orchestrator.vcs.base import TEAMS_DOC, VcsClient, VcsError, permission_at_least

log = logging.getLogger("orchestrator.flows")


@dataclass(frozen=True)
class Trust:
    trusted: bool
    reason: str | None = None  # why not (for the comment), or who vouched


def is_trusted_user(settings: Settings, vcs: VcsClient | None, login: str) -> tuple[bool, str]:
    if login in settings.trust_users:
        return True, f"{login} is listed in trust.users"
    if vcs is None:
        return False, f"{login} is not in trust.users and no VCS API is configured to check permissions"
    unread: list[str] = []
    for team in settings.trust_teams:
        org, _, name = team.partition("/")
        try:
            if login in vcs.team_members(org, name):
                return True, f"{login} is a member of {team}"
        except VcsError as exc:
            # A team we cannot read vouches for no one, but the user must learn why (and fix the token).
            unread.append(f"trust.teams {team} could not be read ({exc.message}; see {TEAMS_DOC})")
            log.warning("trust.teams %s could not be read: %s", team, exc.message)
    teams = "".join(f"; {problem}" for problem in unread)
    try:
        permission = vcs.author_permission(login)
    except VcsError as exc:
        return False, f"the permission of {login} could not be read ({exc.message}){teams}"
    minimum = settings.trust_min_permission
    if permission_at_least(permission, minimum):
        return True, f"{login} has {permission} permission"
    held = "no" if permission == "none" else permission  # GitHub's word for no access reads badly in a sentence
    return False, f"{login} has {held} permission; {minimum} or above is required{teams}"


def check_trust(
    settings: Settings,
    vcs: VcsClient | None,
    *,
    author: str | None,
    from_fork: bool,
    approved_by: str | None = None,
) -> Trust:
    if approved_by is not None:
        ok, why = is_trusted_user(settings, vcs, approved_by)
        if ok:
            return Trust(True, f"approved by {approved_by} ({why})")
        return Trust(False, f"{approved_by} asked for a preview but is not trusted: {why}")
    if from_fork:
        return Trust(False, "the pull request comes from a fork")
    if author is None:
        return Trust(True, None)  # run by hand or by CI on the repository's own branches
    if not author:  # a webhook that named no author: nobody vouches for the code
        return Trust(False, "the pull request's author is not known (the hook names none, or no VCS API was "
                            "given to read it)")
    ok, why = is_trusted_user(settings, vcs, author)
    return Trust(ok, None if ok else why)
