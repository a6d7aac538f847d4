"""Plain rows for the insights tests: times are hours after a fixed start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchestrator.insights.model import Deployment, FindingSpan, JobSpan, Window

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def ts(hours: float) -> float:
    """POSIX seconds `hours` after T0, as rows hold times."""
    return at(hours).timestamp()


def deployment(hours: float, *, commit: str = "c1", status: str = "succeeded", flow: str = "deploy",
               project: str = "app", environment: str = "prod") -> Deployment:
    return Deployment(flow=flow, project=project, environment=environment, commit=commit, status=status,
                      finished_at=ts(hours))


def finding(opened_h: float, resolved_h: float | None = None, *, key: str = "k", kind: str = "drifted",
            environment: str = "prod", project: str | None = "app") -> FindingSpan:
    return FindingSpan(key=key, environment=environment, project=project, kind=kind, opened_at=ts(opened_h),
                       resolved_at=None if resolved_h is None else ts(resolved_h))


def job(created_h: float, started_h: float | None, finished_h: float | None, *, kind: str = "deploy",
        status: str = "succeeded") -> JobSpan:
    return JobSpan(kind=kind, status=status, created_at=ts(created_h),
                   started_at=None if started_h is None else ts(started_h),
                   finished_at=None if finished_h is None else ts(finished_h))


def window(start_h: float = 0, end_h: float = 24 * 10) -> Window:
    return Window(start=at(start_h), end=at(end_h))
