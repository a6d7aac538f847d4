"""The Insights page's time-series charts: pygal drawing static SVG on the server. Pure: measures in, SVG out.

Each chart is plain SVG with its figures as text: readable without JavaScript. pygal always
adds a `<script>` holding its tooltip configuration; it is removed, so nothing in a chart can
run (the dashboard's Content-Security-Policy forbids scripts as well). Text (titles, legends,
labels) is escaped by the XML serializer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.insights.measures import Insights

# The dashboard's colours (templates/base.html.j2): green ok, red bad, amber warning, blue info, gray.
RESULT_COLOURS = {"succeeded": "#1a7f37", "rolled back": "#9a6700", "failed": "#cf222e", "rollback": "#0969da",
                  "locked": "#6e7781"}
SERIES_COLOURS = ("#0969da", "#cf222e", "#9a6700", "#1a7f37", "#8250df", "#6e7781")
MAX_X_LABELS = 10


@dataclass(frozen=True)
class Chart:
    key: str  # the HTML id of its figure
    title: str
    svg: str
    description: str  # what it shows, for the caption and for people who do not see the chart


def charts(insights: Insights) -> tuple[Chart, ...]:
    return (deploys_per_day(insights), lead_time(insights), failure_rate(insights), drift_open(insights),
            queue_latency(insights))


def deploys_per_day(insights: Insights) -> Chart:
    labels = [d.day.strftime("%m-%d") for d in insights.days]
    present = [r for r in RESULT_COLOURS if any(d.results.get(r) for d in insights.days)] or ["succeeded"]
    chart = _new("StackedBar", labels, colours=[RESULT_COLOURS[r] for r in present], y_title="stack deployments",
                 no_data="no deployments in this window")
    for result in present:
        chart.add(result, [d.results.get(result, 0) or None for d in insights.days])
    return Chart("deploys", "Deployments per day, by result", _svg(chart),
                 "Stack updates by deploy, promote, reconcile and rollback per UTC day: succeeded, later rolled back, "
                 "failed, rollbacks, and locked (never ran).")


def lead_time(insights: Insights) -> Chart:
    labels = [d.day.strftime("%m-%d") for d in insights.days]
    unit, size = _unit(max((d.lead_time.p90_s or 0.0) for d in insights.days) if insights.days else 0.0)
    chart = _new("Line", labels, colours=SERIES_COLOURS, y_title=unit, no_data="no lead times in this window")
    chart.add("median", [_in(d.lead_time.median_s, size) for d in insights.days])
    chart.add("p90", [_in(d.lead_time.p90_s, size) for d in insights.days])
    return Chart("lead-time", f"Lead time for changes ({unit})", _svg(chart),
                 "From a commit's time to its first successful update in an environment, per UTC day it was "
                 "delivered: median and 90th percentile.")


def failure_rate(insights: Insights) -> Chart:
    labels = [d.day.strftime("%m-%d") for d in insights.days]
    chart = _new("Bar", labels, colours=("#cf222e",), y_title="% of changes", no_data="no changes in this window")
    chart.add("change failure rate", [None if d.change_failure_rate is None else round(100 * d.change_failure_rate, 1)
                                      for d in insights.days])
    return Chart("failure-rate", "Change failure rate per day (%)", _svg(chart),
                 "Changes (deploy, promote) that failed or were rolled back, over all changes finished that day.")


def drift_open(insights: Insights) -> Chart:
    labels = [d.day.strftime("%m-%d") for d in insights.drift_days]
    chart = _new("Line", labels, colours=("#9a6700",), y_title="findings", no_data="no drift checks recorded",
                 fill=True)
    chart.add("open drift findings", [d.open for d in insights.drift_days])
    return Chart("drift", "Drift findings open", _svg(chart),
                 "Drifted, deleted and unmanaged resources found and not yet resolved, at the end of each UTC day.")


def queue_latency(insights: Insights) -> Chart:
    days = sorted({d.day for d in insights.queue_days} | {d.day for d in insights.days})
    labels = [day.strftime("%m-%d") for day in days]
    kinds = sorted({q.kind for q in insights.queue_days})
    chart = _new("Line", labels, colours=SERIES_COLOURS, y_title="seconds (median wait)",
                 no_data="no server jobs in this window")
    waits = {(q.day, q.kind): q.wait.median_s for q in insights.queue_days}
    for kind in kinds:
        chart.add(kind, [_round(waits.get((day, kind))) for day in days])
    return Chart("queue", "Queue latency per kind of job (seconds)", _svg(chart),
                 "How long the server's jobs waited for a worker, median per UTC day they were queued.")


# --------------------------------------------------------------------------- drawing


def _new(kind: str, labels: Sequence[str], *, colours: Sequence[str], y_title: str, no_data: str,
         fill: bool = False) -> Any:
    import pygal
    from pygal.style import Style

    style = Style(background="#ffffff", plot_background="#ffffff", foreground="#1f2328",
                  foreground_strong="#1f2328", foreground_subtle="#656d76", opacity=".85", opacity_hover=".95",
                  colors=tuple(colours), font_family='-apple-system, "Segoe UI", Helvetica, Arial, sans-serif',
                  label_font_size=12, major_label_font_size=12, legend_font_size=13, title_font_size=15,
                  no_data_font_size=16)
    step = max(1, -(-len(labels) // MAX_X_LABELS))
    chart = getattr(pygal, kind)(
        style=style, width=900, height=300, js=[], disable_xml_declaration=True, legend_at_bottom=True,
        legend_at_bottom_columns=6, truncate_label=-1, truncate_legend=-1, show_minor_x_labels=False,
        x_label_rotation=0, y_title=y_title, no_data_text=no_data, allow_interruptions=True, fill=fill,
        show_dots=len(labels) <= 45, dots_size=3, min_scale=2, max_scale=6, include_x_axis=True,
        print_values=False, margin_bottom=4,
    )
    chart.x_labels = list(labels)
    chart.x_labels_major = list(labels[::step])
    return chart


def _svg(chart: Any) -> str:
    """The chart as SVG text, without pygal's tooltip script."""
    from pygal.etree import etree

    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rpartition("}")[2] == "script":
                parent.remove(child)
    text: str = etree.tostring(tree, encoding="unicode")
    return text


def _unit(largest_s: float) -> tuple[str, float]:
    """The unit that keeps the axis readable: hours from 2 h, minutes from 2 min, else seconds."""
    if largest_s >= 7200:
        return "hours", 3600.0
    if largest_s >= 120:
        return "minutes", 60.0
    return "seconds", 1.0


def _in(seconds: float | None, size: float) -> float | None:
    return None if seconds is None else round(seconds / size, 2)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
