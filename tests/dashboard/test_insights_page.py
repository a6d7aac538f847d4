"""The Insights page on a store filled by the real deploy and drift flows (conftest.py): the DORA
table per environment, drift and queue, the five server-drawn charts, the filters and bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from orchestrator.server.app import Server, create_app
from orchestrator.server.dashboard import TOKEN_ENV
from tests.dashboard.htmltree import Element, parse
from tests.support.dashboard_demo import HOSTILE, DemoHistory

CHARTS = ["deploys", "lead-time", "failure-rate", "drift", "queue"]


@pytest.fixture(scope="module")
def client(demo: tuple[DemoHistory, Server]) -> Iterator[TestClient]:
    _, server = demo
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(TOKEN_ENV, raising=False)
        app = create_app(server, manage_services=False)
    with TestClient(app) as running:
        yield running


def page(client: TestClient, url: str, status: int = 200) -> Element:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    return parse(response.text)


def _row(doc: Element, group: str) -> list[str]:
    return [cell.text().strip() for cell in doc.find("table", id="dora").find("tr", data_group=group).find_all("td")]


def test_the_delivery_table_counts_the_deploys_per_environment_in_promotion_order(client: TestClient) -> None:
    doc = page(client, "/insights")
    table = doc.find("table", id="dora")
    groups = [tr.attrs["data-group"] for tr in table.find_all("tr") if "data-group" in tr.attrs]
    # develop → dev; main → qa and uat (prod waits for its approval gate: nothing ran there).
    assert groups == ["all", "dev", "qa", "uat"]
    assert _row(doc, "all")[0] == "9"
    assert [_row(doc, env)[0] for env in ("dev", "qa", "uat")] == ["3", "3", "3"]
    lead_median = _row(doc, "qa")[2]
    assert lead_median != "—" and lead_median.split()[1] in ("s", "min", "h", "d")  # the commit's time was read
    assert _row(doc, "all")[4].startswith("0%")  # no change failed


def test_drift_shows_what_the_last_check_left_open(client: TestClient) -> None:
    doc = page(client, "/insights")
    cells = [td.text() for td in doc.find("tr", data_group="drift").find_all("td")]
    assert cells[:3] == ["2", "2", "0"]  # app/qa's drifted queue and the unmanaged queue; read errors are not drift


def test_five_charts_are_inline_svg_without_any_script(client: TestClient) -> None:
    response = client.get("/insights")
    doc = parse(response.text)
    figures = doc.find_all("figure", cls="chart")
    assert [f.attrs["id"] for f in figures] == [f"chart-{key}" for key in CHARTS]
    for figure in figures:
        assert figure.find_all("svg"), figure.attrs["id"]
    assert not [e for e in doc.iter() if e.tag in ("script", "link", "img", "iframe", "foreignobject")]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    deploys = doc.find("figure", id="chart-deploys").text()
    assert "succeeded" in deploys and "Deployments per day" in deploys


def test_filters_narrow_the_measures_and_stay_selected(client: TestClient) -> None:
    doc = page(client, "/insights?since=7d&environment=qa&project=app")
    assert _row(doc, "all")[0] == "1"
    form = doc.find("form", id="filters")
    selected = {s.attrs["name"]: o.attrs["value"] for s in form.find_all("select") for o in s.find_all("option")
                if "selected" in o.attrs}
    assert selected == {"since": "7d", "environment": "qa", "project": "app"}
    assert "orchestrator insights --since 7d --env qa --project app" in doc.find("p", id="window").text()


@pytest.mark.parametrize(("query", "message"), [("since=soon", "since: 'soon' is not a time span"),
                                                 ("since=400d", "longer than 366 days"),
                                                 # past what a timedelta holds: was a 500
                                                 ("since=99999999999999999999d", "longer than 3660 days"),
                                                 ("since=" + "9" * 400 + "m", "longer than 3660 days")])
def test_a_bad_window_is_a_400_that_says_what_to_give(client: TestClient, query: str, message: str) -> None:
    response = client.get(f"/insights?{query}")
    assert response.status_code == 400
    assert message in parse(response.text).text()


def test_unknown_names_in_the_query_are_shown_as_text(client: TestClient) -> None:
    doc = page(client, f"/insights?environment={HOSTILE}")
    assert not doc.find_all("script")
    assert _row(doc, "all")[0] == "0"


def test_every_page_links_to_insights(client: TestClient) -> None:
    assert "/insights" in page(client, "/").find("nav").links()


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    response = client.get("/metrics")
    assert response.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_metrics_export_the_measures_in_prometheus_conventions(client: TestClient) -> None:
    samples = _samples(client)
    qa_app = (("environment", "qa"), ("flow", "deploy"), ("project", "app"), ("status", "succeeded"))
    assert samples[("orchestrator_deployments_total", qa_app)] == 1
    assert sum(v for (name, _), v in samples.items() if name == "orchestrator_deployments_total") == 9
    # One commit reached dev, qa and uat: one lead time each, all in the +Inf bucket and a finite sum.
    for env in ("dev", "qa", "uat"):
        assert samples[("orchestrator_lead_time_seconds_count", (("environment", env),))] == 1
        assert samples[("orchestrator_lead_time_seconds_bucket", (("environment", env), ("le", "+Inf")))] == 1
    assert sum(v for (name, _), v in samples.items() if name == "orchestrator_drift_findings_open") == 2
    assert ("orchestrator_database_up", ()) in samples  # the server's own families are still there
