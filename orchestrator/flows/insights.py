"""Use case: the delivery insights of a repository's store over a window.

Reads the rows (deployments from `CONTEXT` before the window on, so a first delivery, a
rollback or an incident that began earlier is judged right), fills in the commit times the
store does not know yet from the clone (and records them: a deployment made before commit
times were recorded gets its lead time the first time insights look at it), and computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.insights.measures import Insights, Rows, compute
from orchestrator.insights.model import ALL, Scope, Window

if TYPE_CHECKING:
    from orchestrator.store.insights import InsightsStore
    from orchestrator.store.sql import SqlStore

CONTEXT = timedelta(days=90)


def load_rows(store: SqlStore, window: Window, *, repo_root: Path | None) -> Rows:
    from orchestrator.store.insights import InsightsStore

    data = InsightsStore(store)
    deployments = data.deployments(since=window.start - CONTEXT, until=window.end)
    times = data.commit_times()
    missing = {d.commit for d in deployments} - times.keys()
    if missing and repo_root is not None:
        times.update(_from_clone(data, repo_root, missing))
    return Rows(deployments=deployments, commit_times=times, findings=data.finding_spans(),
                jobs=data.jobs(since=window.start, until=window.end))


def load_insights(store: SqlStore, window: Window, scope: Scope = ALL, *, repo_root: Path | None,
                  environment_order: Sequence[str] = ()) -> Insights:
    rows = load_rows(store, window, repo_root=repo_root)
    return compute(rows, window, scope, environment_order=environment_order)


def _from_clone(data: InsightsStore, repo_root: Path, commits: set[str]) -> dict[str, float]:
    from orchestrator.git import GitRepo

    found = GitRepo(repo_root).commit_times(commits)
    data.record_commit_times(found)
    return {commit: at.timestamp() for commit, at in found.items()}
