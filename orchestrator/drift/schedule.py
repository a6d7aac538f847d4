"""`orchestrator drift --due`: which environments' `drift.schedule` fell due since their last run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from orchestrator.config.resolved import Environment, RepoConfig
from orchestrator.errors import UserError


def due_environments(
    config: RepoConfig, names: Sequence[str], last_runs: Mapping[str, datetime], now: datetime
) -> tuple[list[str], dict[str, str]]:
    """The environments whose `drift.schedule` fell due since their last run (never run: due),
    and for the others when they are due next."""
    due: list[str] = []
    later: dict[str, str] = {}
    for name in names:
        env = config.environment(name)
        nxt = next_due(env, last_runs.get(name))
        if nxt is None or nxt <= now:
            due.append(name)
        else:
            later[name] = nxt.isoformat()
    return due, later


def next_due(env: Environment, last_run: datetime | None) -> datetime | None:
    """When the schedule next fires after `last_run` (None: never ran, due now)."""
    if last_run is None:
        return None
    from croniter import croniter

    try:
        nxt = croniter(env.drift.schedule, last_run.astimezone(UTC)).get_next(datetime)
    except (ValueError, KeyError) as exc:
        raise UserError(
            f"{env.source}: drift.schedule {env.drift.schedule!r} is not a valid cron expression ({exc})",
            "use five fields, e.g. '0 */6 * * *'",
        ) from None
    assert isinstance(nxt, datetime)
    return nxt if nxt.tzinfo else nxt.replace(tzinfo=UTC)
