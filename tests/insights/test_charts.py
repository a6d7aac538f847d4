"""The charts: static SVG holding their figures as text, no script, a readable unit for lead time."""

from __future__ import annotations

from xml.etree import ElementTree

from orchestrator.insights.charts import charts
from orchestrator.insights.measures import Insights, Rows, compute
from tests.insights.rows import deployment, ts, window


def _insights(lead_h: float) -> Insights:
    rows = Rows(deployments=[deployment(30, commit="a"), deployment(50, commit="b", status="failed"),
                             deployment(51, commit="a", flow="rollback")],
                commit_times={"a": ts(30 - lead_h)})
    return compute(rows, window(0, 24 * 5))


def test_each_chart_is_svg_with_its_series_and_no_script() -> None:
    drawn = charts(_insights(5))
    assert [c.key for c in drawn] == ["deploys", "lead-time", "failure-rate", "drift", "queue"]
    for chart in drawn:
        root = ElementTree.fromstring(chart.svg)
        assert root.tag.endswith("svg")
        assert not [e for e in root.iter() if e.tag.rpartition("}")[2] in ("script", "foreignObject")]
    deploys = " ".join(ElementTree.fromstring(drawn[0].svg).itertext())
    assert "succeeded" in deploys and "failed" in deploys and "rollback" in deploys
    assert "no server jobs in this window" in " ".join(ElementTree.fromstring(drawn[4].svg).itertext())


def test_lead_time_is_drawn_in_a_unit_that_fits() -> None:
    assert charts(_insights(5))[1].title == "Lead time for changes (hours)"
    assert charts(_insights(0.5))[1].title == "Lead time for changes (minutes)"
