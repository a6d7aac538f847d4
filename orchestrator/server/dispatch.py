"""Running a queued job: fetch the repository, then call the flow the job stands for.

The server works on a local clone (`--repo`). Before each job it fetches the clone's remote
(when it has one) so the commits a webhook names are there; the flows then check out what
they need in temporary worktrees, leaving the clone's working tree alone.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.ci.events import ZERO_SHA
from orchestrator.errors import UserError
from orchestrator.server.worker import JobOutcome
from orchestrator.store.job_model import Job

if TYPE_CHECKING:
    from orchestrator.config.resolved import Settings
    from orchestrator.flows.checkouts import EngineFactory
    from orchestrator.flows.review import ReviewOutcome
    from orchestrator.git import GitRepo
    from orchestrator.store.sql import SqlStore
    from orchestrator.vcs.base import PullRequest, VcsClient

log = logging.getLogger("orchestrator.server")
SERVER_ACTOR = "orchestrator-server"
FETCH_TIMEOUT_S = 120.0

# (settings of the base commit, provider, the job's page for status links) → client;
# raises UserError when it cannot be made.
VcsFactory = Callable[["Settings", str, "str | None"], "VcsClient"]
# (repository, environment, store, vcs) → outcome: the drift check of one environment.
DriftRunner = Callable[[Path, str, "SqlStore", "VcsClient | None"], JobOutcome]


def default_vcs_factory(settings: Settings, provider: str, run_url: str | None) -> VcsClient:
    from orchestrator.vcs import make_vcs

    return make_vcs(settings, provider=provider, run_url=run_url)


def default_drift_runner(repo: Path, environment: str, store: SqlStore, vcs: VcsClient | None) -> JobOutcome:
    from orchestrator.flows.drift import DriftRequest, run_drift

    outcome = run_drift(DriftRequest(repo=repo, environments=(environment,), actor=SERVER_ACTOR), store, vcs)
    result = {"run_id": outcome.run_id, "exit_code": outcome.exit_code, "drift": outcome.exit_code == 2,
              "failures": outcome.failures[:20]}
    if outcome.exit_code == 1:
        return JobOutcome("failed", result, "; ".join(outcome.failures[:5]) or "the drift check failed")
    return JobOutcome("succeeded", result)


# One fetch at a time per process: concurrent fetches of one clone fight over its ref locks.
_GIT_LOCK = threading.Lock()


@dataclass
class FlowRunner:
    """Runs jobs with the real flows. Everything that reaches outside can be replaced in tests."""

    repo: Path
    store: SqlStore
    vcs_factory: VcsFactory = default_vcs_factory
    drift_runner: DriftRunner = default_drift_runner
    engine_factory: EngineFactory | None = None
    remote: str = "origin"
    fetch: bool = True
    public_url: str | None = None  # where users reach this server: statuses link to /jobs/<id> there
    notes: list[str] = field(default_factory=list)

    def __call__(self, job: Job) -> JobOutcome:
        handler: dict[str, Callable[[Job], JobOutcome]] = {
            "preview": self._preview,
            "deploy": self._deploy,
            "drift": self._drift,
            "unlock": self._unlock,
            "comment": self._comment,
            "review": self._review,
        }
        run = handler.get(job.kind)
        if run is None:
            return JobOutcome("failed", error=f"unknown job kind {job.kind!r}")
        return run(job)

    # ------------------------------------------------------------------ git
    def _git(self) -> GitRepo:
        from orchestrator.git import GitRepo

        return GitRepo(self.repo)

    def refresh(self, git: GitRepo, *, pr: int | None = None, provider: str = "github",
                want: tuple[str, ...] = ()) -> str | None:
        """Fetch the remote (and a PR's head when a wanted commit is still missing); the fetch error, if any.
        A failed fetch is not fatal: commits fetched earlier are still there."""
        if not self.fetch or not any(r.name == self.remote for r in git.repo.remotes):
            return None
        error = _fetch(git.root, [self.remote])
        missing = [sha for sha in want if sha and not _has_commit(git.root, sha)]
        if missing and pr is not None:
            ref = f"refs/pull/{pr}/head" if provider == "github" else f"refs/merge-requests/{pr}/head"
            error = _fetch(git.root, [self.remote, f"+{ref}:refs/orchestrator/pr/{pr}"]) or error
        return error

    def _ref_on(self, git: GitRepo, sha: str, branch: str) -> str:
        """The best local name for the tip of `branch`: the commit itself, the remote-tracking branch, the branch."""
        if sha and _has_commit(git.root, sha):
            return sha
        for ref in (f"refs/remotes/{self.remote}/{branch}", f"refs/heads/{branch}"):
            if _has_commit(git.root, ref):
                return ref
        raise UserError(f"branch {branch} is not in the server's clone {git.root}",
                        hint=f"check that the clone's remote {self.remote!r} has it")

    def _vcs(self, settings: Settings, job: Job, *, required: bool) -> VcsClient | None:
        from orchestrator.server.job_page import job_url

        provider = job.source if job.source in ("github", "gitlab") else settings.vcs_provider
        try:
            return self.vcs_factory(settings, provider, job_url(self.public_url, job.id))
        except UserError as exc:
            if required:
                raise
            log.warning("reporting to %s is off for this job: %s", provider, exc.message)
            return None

    # ------------------------------------------------------------------ jobs
    def _preview(self, job: Job, *, approved_by: str | None = None) -> JobOutcome:
        from orchestrator.config.load import load_repository
        from orchestrator.flows.preview import PreviewRequest, run_preview

        p = job.payload
        git = self._git()
        with _GIT_LOCK:
            wanted = (p["head_sha"], p.get("base_sha", ""))
            fetch_error = self.refresh(git, pr=p["pr"], provider=job.source, want=wanted)
        if not _has_commit(git.root, p["head_sha"]):
            return JobOutcome("failed", error=f"commit {p['head_sha'][:12]} of #{p['pr']} is not in the clone"
                              + (f" (fetch failed: {fetch_error})" if fetch_error else ""))
        base = self._ref_on(git, p.get("base_sha", ""), p["base_ref"])
        settings = load_repository(git.root, git.tree(git.resolve(base))).settings
        vcs = self._vcs(settings, job, required=True)
        request = PreviewRequest(repo=git.root, base=base, head=p["head_sha"], branch=p["base_ref"], pr=p["pr"],
                                 author=merge_request_author(p, vcs), from_fork=bool(p.get("from_fork")),
                                 approved_by=approved_by)
        kwargs: dict[str, Any] = {} if self.engine_factory is None else {"engine_factory": self.engine_factory}
        outcome = run_preview(request, vcs, **kwargs)
        failed = [sid for sid, r in outcome.results.items() if r.status != "succeeded"]
        result = {"pr": p["pr"], "head": p["head_sha"], "trusted": outcome.trust.trusted,
                  "trust_reason": outcome.trust.reason, "stacks": len(outcome.results), "failed": failed,
                  "published": outcome.published, "publish_error": outcome.publish_error}
        # Then the pull request's review stacks, where its base branch's environments have them.
        review, review_error = self._review_up(p, git, base, vcs)
        if review is not None:
            result["review"] = review
        if outcome.exit_code != 0:
            why = outcome.publish_error or f"{len(failed)} stack(s) failed: {', '.join(failed[:5])}"
            return JobOutcome("failed", result, why)
        if review_error is not None:
            return JobOutcome("failed", result, review_error)
        return JobOutcome("succeeded", result)

    def _deploy(self, job: Job, *, actor: str | None = None, pr: int | None = None) -> JobOutcome:
        from orchestrator.config.load import load_repository
        from orchestrator.flows.deploy import DeployRequest, run_deploy

        p = job.payload
        git = self._git()
        with _GIT_LOCK:
            fetch_error = self.refresh(git, want=(p["after"],))
        if not _has_commit(git.root, p["after"]):
            return JobOutcome("failed", error=f"commit {p['after'][:12]} of {p['branch']} is not in the clone"
                              + (f" (fetch failed: {fetch_error})" if fetch_error else ""))
        config = load_repository(git.root, git.tree(git.resolve(p["after"])))
        if not config.environments_for_branch(p["branch"]):
            return JobOutcome("skipped", {"branch": p["branch"]}, f"no environment tracks branch {p['branch']}")
        before = p.get("before") or None
        if before == ZERO_SHA or (before and not _has_commit(git.root, before)):
            before = None  # a new branch, or history rewritten: the deploy flow diffs against the parent
        vcs = self._vcs(config.settings, job, required=False)
        request = DeployRequest(repo=git.root, after=p["after"], before=before, branch=p["branch"],
                                actor=actor or p.get("pusher") or SERVER_ACTOR, pr=pr,
                                flow="reconcile" if p.get("flow") == "reconcile" else "deploy")
        kwargs: dict[str, Any] = {} if self.engine_factory is None else {"engine_factory": self.engine_factory}
        outcome = run_deploy(request, self.store, vcs, **kwargs)
        result = {"run_id": outcome.run_id, "branch": p["branch"], "commit": p["after"], "failed": outcome.failed,
                  "gates": [g.to_json() for g in outcome.gates], "published": outcome.published,
                  "publish_error": outcome.publish_error}
        if outcome.exit_code != 0:
            why = outcome.publish_error or f"{len(outcome.failed)} stack(s) failed: {', '.join(outcome.failed[:5])}"
            return JobOutcome("failed", result, why)
        return JobOutcome("succeeded", result)

    def _drift(self, job: Job) -> JobOutcome:
        from orchestrator.config.load import load_repository

        git = self._git()
        with _GIT_LOCK:
            self.refresh(git)
        settings = load_repository(git.root).settings
        vcs = self._vcs(settings, job, required=False)
        return self.drift_runner(git.root, str(job.payload["environment"]), self.store, vcs)

    def _unlock(self, job: Job, *, actor: str = SERVER_ACTOR) -> JobOutcome:
        pr = int(job.payload["pr"])
        released = self.store.release_pr_locks(pr)
        reason = job.payload.get("reason", "requested")
        self.store.audit(actor=actor, action="lock.released", details={"pr": pr, "stacks": released,
                                                                       "reason": reason})
        if reason not in ("closed", "merged"):
            return JobOutcome("succeeded", {"pr": pr, "released": released})
        # A closed or merged pull request's review stacks go too.
        review, error = self._review_down(job, pr, f"the pull request was {reason}")
        result: dict[str, Any] = {"pr": pr, "released": released, "review": review}
        return JobOutcome("failed", result, error) if error else JobOutcome("succeeded", result)

    # ------------------------------------------------------------------ review stacks
    def _review(self, job: Job) -> JobOutcome:
        """The scheduler's sweep: expired review environments destroyed, failed destroys retried."""
        from orchestrator.config.load import load_repository
        from orchestrator.flows.review_sweep import run_review_sweep

        git = self._git()
        with _GIT_LOCK:
            self.refresh(git)
        vcs = self._vcs(load_repository(git.root).settings, job, required=False)
        kwargs: dict[str, Any] = {} if self.engine_factory is None else {"engine_factory": self.engine_factory}
        outcome = run_review_sweep(git.root, self.store, vcs, remote=self.remote, **kwargs)
        result = outcome.to_json()
        if outcome.exit_code != 0:
            failed = [f"#{d.pr}" for d in outcome.downs if d.exit_code]
            return JobOutcome("failed", result, "; ".join([*outcome.errors, *failed][:5]))
        return JobOutcome("succeeded", result)

    def _review_up(self, p: dict[str, Any], git: GitRepo, base: str,
                   vcs: VcsClient | None) -> tuple[dict[str, Any] | None, str | None]:
        from orchestrator.flows.review import ReviewRequest, run_review_up

        request = ReviewRequest(repo=git.root, pr=int(p["pr"]), base=base, head=p["head_sha"], branch=p["base_ref"],
                                head_ref=p.get("head_ref") or None, author=p.get("author") or None,
                                from_fork=bool(p.get("from_fork")), actor=SERVER_ACTOR)
        kwargs: dict[str, Any] = {} if self.engine_factory is None else {"engine_factory": self.engine_factory}
        outcome = run_review_up(request, self.store, vcs, **kwargs)
        return _review_summary(outcome)

    def _review_down(self, job: Job, pr: int, reason: str) -> tuple[dict[str, Any] | None, str | None]:
        """Down for `pr`: its base and head from the host's API, else from what the store remembers."""
        from orchestrator.config.load import load_repository
        from orchestrator.flows.review import ReviewRequest, run_review_down
        from orchestrator.store.review import ReviewStore

        git = self._git()
        remembered = sorted(ReviewStore(self.store).for_pr(pr), key=lambda r: r.updated_at)
        vcs = self._vcs(load_repository(git.root).settings, job, required=False)
        try:
            pull = vcs.get_pr(pr) if vcs is not None else None
        except UserError as exc:  # VcsError: ask the store instead
            log.warning("review down of #%d: the pull request could not be read (%s)", pr, exc.message)
            pull = None
        branch = pull.base_ref if pull is not None else (remembered[-1].branch if remembered else None)
        head = pull.head_sha if pull is not None else (remembered[-1].head if remembered else None)
        if branch is None or head is None:
            return None, None  # no API to ask and nothing remembered: no review stack was made here
        with _GIT_LOCK:
            self.refresh(git, pr=pr, provider=job.source, want=(head,))
        request = ReviewRequest(repo=git.root, pr=pr, base=self._ref_on(git, "", branch), head=head, branch=branch,
                                head_ref=pull.head_ref if pull is not None else None, actor=SERVER_ACTOR,
                                reason=reason)
        kwargs: dict[str, Any] = {} if self.engine_factory is None else {"engine_factory": self.engine_factory}
        return _review_summary(run_review_down(request, self.store, vcs, **kwargs))

    def _comment(self, job: Job) -> JobOutcome:
        """`/orchestrator preview|deploy|unlock` on a PR: the flows or this method check the commenter."""
        from orchestrator.config.load import load_repository
        from orchestrator.flows.trust import is_trusted_user

        p = job.payload
        number, command, commenter = int(p["pr"]), str(p["command"]), str(p["commenter"])
        git = self._git()
        with _GIT_LOCK:
            self.refresh(git)
        vcs = self._vcs(load_repository(git.root).settings, job, required=True)
        assert vcs is not None
        pull = vcs.get_pr(number)
        if command == "preview":
            if pull.state != "open":
                return JobOutcome("skipped", {"pr": number}, f"#{number} is {pull.state}: nothing to preview")
            # The preview flow checks that the commenter is trusted (approved_by) and says so on the PR.
            return self._preview(_as_preview(job, pull), approved_by=commenter)
        base = self._ref_on(git, "", pull.base_ref)
        settings = load_repository(git.root, git.tree(git.resolve(base))).settings
        trusted, why = is_trusted_user(settings, vcs, commenter)
        if not trusted:
            return JobOutcome("skipped", {"pr": number, "command": command}, f"/orchestrator {command} refused: {why}")
        if command == "unlock":
            return self._unlock(job, actor=commenter)
        if not pull.merged:
            return JobOutcome("skipped", {"pr": number}, f"#{number} is not merged: deploys run on merge")
        tip = git.resolve(base)
        deploy = _with_payload(job, {"branch": pull.base_ref, "before": "", "after": tip, "pusher": commenter})
        return self._deploy(deploy, actor=commenter, pr=number)


def merge_request_author(payload: dict[str, Any], vcs: VcsClient | None) -> str:
    """Whose pull request this is, for the trust check: GitHub's hook names the author; GitLab's
    names only `object_attributes.author_id`, so the merge request is read from the API and its
    author taken. An empty string (the hook named nobody) is an unknown author: untrusted."""
    if "author_id" not in payload:
        return str(payload.get("author") or "")
    if payload["author_id"] is None or vcs is None:
        return ""
    return vcs.get_pr(int(payload["pr"])).author


def _review_summary(outcome: ReviewOutcome) -> tuple[dict[str, Any] | None, str | None]:
    """What a job's result says of a review run, and why it failed (None when it did not)."""
    if not outcome.environments:
        return None, None
    summary = {"action": outcome.action, "environments": {e.environment: e.state for e in outcome.environments},
               "failed": outcome.failed, "publish_error": outcome.publish_error}
    if outcome.exit_code == 0:
        return summary, None
    why = outcome.publish_error or f"review {outcome.action}: {len(outcome.failed)} stack(s) failed: " \
        + ", ".join(outcome.failed[:5])
    return summary, why


def _as_preview(job: Job, pull: PullRequest) -> Job:
    return _with_payload(job, {"pr": pull.number, "base_ref": pull.base_ref, "base_sha": "",
                               "head_ref": pull.head_ref, "head_sha": pull.head_sha, "author": pull.author,
                               "from_fork": pull.from_fork})


def _with_payload(job: Job, payload: dict[str, Any]) -> Job:
    from dataclasses import replace

    return replace(job, payload=payload)


def _fetch(root: Path, args: list[str]) -> str | None:
    """`git fetch` without prompting; None on success, else git's complaint (credentials masked)."""
    from orchestrator.git import git_env, mask_urls

    try:
        done = subprocess.run(["git", "fetch", "--no-tags", "--quiet", *args], cwd=root, capture_output=True,
                              text=True, timeout=FETCH_TIMEOUT_S, env=git_env(), check=False)
    except subprocess.TimeoutExpired:
        return f"git fetch timed out after {FETCH_TIMEOUT_S:.0f}s"
    if done.returncode == 0:
        return None
    return mask_urls(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")


def _has_commit(root: Path, ref: str) -> bool:
    done = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=root,
                          capture_output=True, check=False)
    return done.returncode == 0
