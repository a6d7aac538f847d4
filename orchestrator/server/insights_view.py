"""What the dashboard's Insights page shows: the measures of a window and scope, and their charts.

The query (`?since=30d&environment=prod&project=app`) is checked here; the measures come from
the insights use case (flows/insights.py), the charts from insights/charts.py. Rendering is
the dashboard's (templates/insights.html.j2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from orchestrator.insights.charts import Chart, charts
from orchestrator.insights.measures import Insights
from orchestrator.insights.model import Scope, Window, parse_span
from orchestrator.insights.stats import percent_text, seconds_text
from orchestrator.store.sql import SqlStore

SPANS = ("7d", "30d", "90d")
DEFAULT_SPAN = "30d"
MAX_SPAN_DAYS = 366  # a chart of more days than this says little and costs a lot


@dataclass(frozen=True)
class InsightsQuery:
    since: str = DEFAULT_SPAN
    environment: str | None = None
    project: str | None = None

    @property
    def scope(self) -> Scope:
        return Scope(environment=self.environment, project=self.project)

    def window(self, now: datetime) -> Window:
        return Window.last(parse_span(self.since), now=now)


@dataclass(frozen=True)
class InsightsView:
    query: InsightsQuery
    insights: Insights
    charts: tuple[Chart, ...]
    environments: tuple[str, ...]  # the filter's choices
    projects: tuple[str, ...]
    spans: tuple[str, ...]


def parse_query(params: Mapping[str, str]) -> InsightsQuery:
    """The page's query parameters; ValueError naming the parameter and what to give instead."""
    since = (params.get("since") or "").strip() or DEFAULT_SPAN
    try:
        span = parse_span(since)
    except ValueError as exc:
        raise ValueError(f"since: {exc}") from None
    if span.days > MAX_SPAN_DAYS:
        raise ValueError(f"since: {since!r} is longer than {MAX_SPAN_DAYS} days; choose a shorter window")
    return InsightsQuery(since=since, environment=(params.get("environment") or "").strip() or None,
                         project=(params.get("project") or "").strip() or None)


def load_view(store: SqlStore, root: Path, query: InsightsQuery, *, now: datetime,
              environments: tuple[str, ...], projects: tuple[str, ...]) -> InsightsView:
    from orchestrator.flows.insights import load_insights

    insights = load_insights(store, query.window(now), query.scope, repo_root=root,
                             environment_order=environments)
    spans = SPANS if query.since in SPANS else (*SPANS, query.since)
    return InsightsView(query=query, insights=insights, charts=charts(insights), environments=environments,
                        projects=projects, spans=spans)


def template_helpers() -> dict[str, Any]:
    return {"seconds_text": seconds_text, "percent_text": percent_text}
