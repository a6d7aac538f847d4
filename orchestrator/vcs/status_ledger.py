"""What each commit status shows now, so a client posts only the statuses that change.

One status per stack per run adds up: a rerun of the same commit would post them all again,
and every write counts against the host's (secondary) rate limits. GitLab even refuses a
second `pending` for the same name and commit (HTTP 400). So each client reads a commit's
current statuses once, the first time it sets one there, and skips a post that would change
nothing; what it posts afterwards is remembered without reading again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from orchestrator.vcs.base import VcsError

log = logging.getLogger("orchestrator.vcs")


@dataclass(frozen=True)
class ShownStatus:
    """A status as the host shows it, in the host's own state words."""

    state: str
    description: str = ""
    target_url: str = ""


class StatusLedger:
    def __init__(self, read: Callable[[str], Mapping[str, ShownStatus]]) -> None:
        self._read = read  # commit → {context: status shown now}
        self._known: dict[str, dict[str, ShownStatus]] = {}

    def shown(self, sha: str, context: str) -> ShownStatus | None:
        if sha not in self._known:
            try:
                self._known[sha] = dict(self._read(sha))
            except VcsError as exc:
                # Not knowing only costs a post that may change nothing; the post reports real trouble.
                log.info("could not read the statuses of %s (%s); posting them all", sha[:12], exc.message)
                self._known[sha] = {}
        return self._known[sha].get(context)

    def record(self, sha: str, context: str, status: ShownStatus) -> None:
        self._known.setdefault(sha, {})[context] = status
