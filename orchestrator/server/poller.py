"""Pull mode (`serve --poll SECONDS`): for networks webhooks cannot reach.

Every interval: `git fetch` the clone's remote (never --prune: a fetch that half-works must
not delete what we know), then, for each branch some environment tracks whose tip moved (or
that this database has never seen), queue one reconcile: a deploy of the branch's tip, which
plans every stack of the environments it feeds from the commit that stack last applied
(level-triggered, see converge.py). So pull mode does not diff pushes: commits pushed while
the remote was away, or two pushes between rounds, are covered by the one run, and a stack
left behind by a failed run is brought along by the next. When the remote cannot be reached
nothing else happens: the last fetched state stays, the outage shows in `status()` and
/metrics, and the next fetch that works reconciles to the tips it finds.

What we last saw of each branch lives in the database (`server_poll_heads`); deliveries are
named `poll:<branch>:<commit>`, so servers sharing the database queue each tip once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.errors import UserError
from orchestrator.git import GitRepo
from orchestrator.server.events import branch_key
from orchestrator.server.metrics import ServerMetrics
from orchestrator.server.periodic import Periodic
from orchestrator.store.job_model import JobSpec
from orchestrator.store.jobs import JobQueue

log = logging.getLogger("orchestrator.server")


@dataclass
class PollStatus:
    remote: str
    interval_s: float
    up: bool | None = None  # None: not fetched yet
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    queued: int = 0  # deploys queued by this process
    heads: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "interval_s": self.interval_s,
            "up": self.up,
            "last_attempt": None if self.last_attempt is None else self.last_attempt.isoformat(),
            "last_success": None if self.last_success is None else self.last_success.isoformat(),
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "queued": self.queued,
            "heads": dict(self.heads),
        }


class Poller:
    def __init__(
        self,
        repo: Path,
        queue: JobQueue,
        *,
        interval_s: float,
        remote: str = "origin",
        metrics: ServerMetrics | None = None,
        on_queued: Callable[[int], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.git = GitRepo(repo)
        self.queue = queue
        self.remote = remote
        self.metrics = metrics or ServerMetrics()
        self.on_queued = on_queued
        self.clock = clock
        self._status = PollStatus(remote=remote, interval_s=interval_s)
        self._lock = threading.Lock()
        self._service = Periodic("poller", self.poll_once, interval_s=lambda: self._status.interval_s,
                                 on_error=lambda exc: log.exception("pull mode: a poll round failed"))
        if not any(r.name == remote for r in self.git.repo.remotes):
            raise UserError(f"--poll: the clone {self.git.root} has no remote {remote!r}",
                            hint="clone the repository (git clone URL) and pass the clone as --repo")

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self._service.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._service.stop(timeout)

    def status(self) -> PollStatus:
        with self._lock:
            return PollStatus(**{**self._status.__dict__, "heads": dict(self._status.heads)})

    # ------------------------------------------------------------------ one round
    def poll_once(self) -> list[int]:
        """Fetch and queue deploys for new commits; the ids of the jobs queued."""
        now = self.clock()
        error = self._fetch()
        with self._lock:
            self._status.last_attempt = now
            if error is not None:
                self._status.up = False
                self._status.last_error = error
                self._status.consecutive_failures += 1
        if error is not None:
            self.metrics.poll_up.set(0)
            self.metrics.poll_failures.inc()
            log.warning("pull mode: fetching %s failed (%s); keeping the last fetched state", self.remote, error)
            return []
        self.metrics.poll_up.set(1)
        self.metrics.poll_last_success.set(now.timestamp())
        queued = self._queue_new_commits()
        with self._lock:
            self._status.up = True
            self._status.last_success = now
            self._status.last_error = None
            self._status.consecutive_failures = 0
            self._status.queued += len(queued)
        if queued and self.on_queued is not None:
            self.on_queued(len(queued))
        return queued

    def _fetch(self) -> str | None:
        return self.git.fetch(self.remote)  # never --prune; credentials in errors masked

    def _remote_branches(self) -> dict[str, str]:
        prefix = f"refs/remotes/{self.remote}/"
        out = self.git.run("for-each-ref", "--format=%(refname) %(objectname)", prefix).decode()
        found = {}
        for line in out.splitlines():
            ref, _, sha = line.partition(" ")
            name = ref.removeprefix(prefix)
            if name != "HEAD":
                found[name] = sha
        return found

    def _queue_new_commits(self) -> list[int]:
        known = self.queue.poll_heads()
        queued: list[int] = []
        for branch, tip in sorted(self._remote_branches().items()):
            if known.get(branch) == tip:
                continue
            if self._tracked(branch, tip):
                queued.extend(self._queue_reconcile(branch, known.get(branch), tip))
            self.queue.set_poll_head(branch, tip)
        with self._lock:
            self._status.heads = self.queue.poll_heads()
        return queued

    def _tracked(self, branch: str, tip: str) -> bool:
        from orchestrator.config.load import load_repository

        try:
            config = load_repository(self.git.root, self.git.tree(tip))
        except UserError as exc:
            log.warning("pull mode: %s at %s has no valid configuration (%s); not deployed", branch, tip[:12],
                        exc.message)
            return False
        return bool(config.environments_for_branch(branch))

    def _queue_reconcile(self, branch: str, last: str | None, tip: str) -> list[int]:
        """One deploy of the tip, whatever came between: each stack is planned from its own
        applied commit, so nothing pushed since `last` is lost. `last` is passed as `before`
        only to find projects deleted since (see flows/deploy.py)."""
        payload = {"branch": branch, "before": last or "", "after": tip, "pusher": "", "repo": "",
                   "flow": "reconcile"}
        spec = JobSpec(kind="deploy", key=branch_key(branch), payload=payload, commit=tip)
        done = self.queue.enqueue([spec], source="poll", delivery=f"poll:{branch}:{tip}", event="poll")
        if done.duplicate:
            return []
        log.info("pull mode: reconcile of %s to %s queued", branch, tip[:12])
        return list(done.job_ids)
