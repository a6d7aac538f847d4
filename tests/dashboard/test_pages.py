"""The dashboard's pages on a store filled by real deploy and drift flows: the matrix, run history
and its filters, a run's detail, locks, the write action's token rules, escaping and outages."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from orchestrator.server import dashboard_data as data
from orchestrator.server.app import Server, ServerOptions, build_server, create_app
from orchestrator.server.dashboard import TOKEN_ENV
from orchestrator.store.job_model import JobSpec
from tests.dashboard.htmltree import Element, parse
from tests.support.dashboard_demo import HOSTILE, LEAKED_PASSWORD, WEBHOOK_SECRET, DemoHistory, make_demo_repo
from tests.support.gitrepo import git

TOKEN = "dashboard-token-for-tests-0123456789"
ENVIRONMENTS = ["dev", "qa", "uat", "prod"]
PROJECTS = ["app", "data", "network"]


@pytest.fixture(scope="module")
def client(demo: tuple[DemoHistory, Server]) -> Iterator[TestClient]:
    _, server = demo
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(TOKEN_ENV, raising=False)
        app = create_app(server, manage_services=False)
    with TestClient(app) as running:
        yield running


@pytest.fixture
def writable(demo: tuple[DemoHistory, Server], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    _, server = demo
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with TestClient(create_app(server, manage_services=False)) as running:
        yield running


def page(client: TestClient, url: str, status: int = 200) -> Element:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return parse(response.text)


# --------------------------------------------------------------------------- the matrix


def test_the_matrix_has_a_row_per_project_and_a_column_per_environment_in_promotion_order(
    client: TestClient,
) -> None:
    doc = page(client, "/")
    matrix = doc.find("table", id="matrix")
    assert [th.attrs["data-environment"] for th in matrix.find_all("th", cls="environment")] == ENVIRONMENTS
    assert [tr.attrs["data-project"] for tr in matrix.find_all("tr", cls="project")] == PROJECTS
    cells = matrix.find_all("td", cls="cell")
    assert [c.attrs["data-stack"] for c in cells] == [f"{p}/{e}" for p in PROJECTS for e in ENVIRONMENTS]
    assert "protected" in matrix.find("th", data_environment="prod").text()
    # The account scan found one resource no stack owns; the environments share one account, whose
    # unmanaged resources are reported under the first of them.
    unmanaged = {th.attrs["data-environment"]: th.find_all(data_unmanaged="1") for th in
                 matrix.find_all("th", cls="environment")}
    assert [env for env, found in unmanaged.items() if found] == ["dev"]
    assert unmanaged["dev"][0].text() == "1 unmanaged resource"


def test_each_cell_shows_the_last_deploy_with_counts_commit_and_a_link_to_its_run(
    client: TestClient, demo: tuple[DemoHistory, Server]
) -> None:
    history, _ = demo
    matrix = page(client, "/").find("table", id="matrix")
    for project in PROJECTS:
        for env, run in (("dev", history.develop_deploy), ("qa", history.main_deploy), ("uat", history.main_deploy)):
            cell = matrix.find("td", data_stack=f"{project}/{env}")
            assert cell.attrs["data-status"] == "succeeded"
            assert cell.find("a", cls="last-run").attrs["href"] == f"/runs/{run}"
            assert cell.find("div", cls="commit").find("code").text() == history.main_commit[:10]
            expected = "+0 ~1 -0 ±1" if project == "app" else "+0 ~1 -0 ±0"  # app replaces its bucket
            assert cell.find("span", cls="counts").text() == expected
        # prod: the approval gate stopped the deploy, so nothing runs there; the cell says why.
        prod = matrix.find("td", data_stack=f"{project}/prod")
        assert prod.attrs["data-status"] == "none"
        assert "never deployed" in prod.text()
        blocked = prod.find("div", cls="blocked")
        assert blocked.find("a").attrs["href"] == f"/runs/{history.main_deploy}"
        assert "approving review" in blocked.text()
        assert "nothing recorded" in prod.find("div", cls="commit").text()


def test_each_cell_shows_the_drift_state_of_the_last_check(client: TestClient,
                                                           demo: tuple[DemoHistory, Server]) -> None:
    history, _ = demo
    matrix = page(client, "/").find("table", id="matrix")
    states = {c.attrs["data-stack"]: c.attrs["data-drift"] for c in matrix.find_all("td", cls="cell")}
    expected = {f"{p}/dev": "unknown" for p in PROJECTS}  # the drift run checked qa, uat and prod only
    expected.update({f"{p}/{e}": "clean" for p in PROJECTS for e in ("qa", "uat", "prod")})
    expected.update({"app/qa": "drifted", "data/uat": "error"})
    assert states == expected
    drifted = matrix.find("td", data_stack="app/qa").find("div", cls="drift")
    assert "drifted 1" in drifted.text()
    assert drifted.find("a").attrs["href"] == f"/runs/{history.drift}"
    error_link = matrix.find("td", data_stack="data/uat").find("div", cls="drift").find("a")
    assert "AccessDenied" in error_link.attrs["title"]


def test_each_cell_shows_its_lock_and_expired_ones_as_such(client: TestClient) -> None:
    text = client.get("/").text
    matrix = parse(text).find("table", id="matrix")
    locked = {c.attrs["data-stack"]: c.attrs["data-locked"] for c in matrix.find_all("td", cls="cell")}
    assert locked["network/prod"] == "yes" and locked["app/dev"] == "expired"
    prod_lock = matrix.find("td", data_stack="network/prod").find("div", cls="lock").text()
    assert "platform-lead on ci-host pid 4242" in prod_lock
    dev_lock = matrix.find("td", data_stack="app/dev").find("div", cls="lock").text()
    assert "lock expired" in dev_lock and "https://bot:[secret]@example.com" in dev_lock
    assert LEAKED_PASSWORD not in text  # the holder text is redacted on its way to the page


def test_the_header_strip_shows_queue_counts_and_the_pull_mode_outage(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    root = make_demo_repo(tmp_path / "infra")
    git(root, "remote", "add", "origin", str(tmp_path / "gone.git"))  # a remote that cannot be reached
    server = build_server(ServerOptions(repo=root, workers=0, scheduler=False, poll_s=60), secret=WEBHOOK_SECRET)
    try:
        server.queue.enqueue([JobSpec(kind="deploy", key="deploy:main", payload={"branch": "main"})], source="test")
        assert server.poller is not None
        server.poller.poll_once()  # the real fetch fails
        with TestClient(create_app(server, manage_services=False)) as client:
            strip = page(client, "/").find("div", id="strip")
        assert strip.find("b", data_jobs="queued").text() == "1"
        assert strip.find("b", data_jobs="running").text() == "0"
        poll = strip.find(id="poll")
        assert poll.attrs["data-up"] == "false" and "outage" in poll.classes
        assert "remote origin unreachable (1 failed fetch, never reached)" in poll.text()
    finally:
        server.store.close()


def test_a_store_outage_is_a_503_page_that_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    root = make_demo_repo(tmp_path / "infra")
    database = tmp_path / "db"
    database.mkdir()
    server = build_server(ServerOptions(repo=root, workers=0, scheduler=False), secret=WEBHOOK_SECRET,
                          database_url=f"sqlite:///{database / 'orchestrator.db'}")
    server.store.close()
    shutil.rmtree(database)  # the database file and its directory are gone
    with TestClient(create_app(server, manage_services=False)) as client:
        for url in ("/", "/runs", "/runs/x", "/locks"):
            doc = page(client, url, status=503)
            assert "unable to open database file" in doc.find(id="error").text()
            assert "store unavailable" in doc.find(id="store-outage").text()


def test_without_a_configuration_the_matrix_comes_from_the_store(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.engines.base import StackResult

    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    root = make_demo_repo(tmp_path / "infra")
    server = build_server(ServerOptions(repo=root, workers=0, scheduler=False), secret=WEBHOOK_SECRET)
    try:
        run = server.store.start_run(flow="deploy", commit="a" * 40, branch="main", actor="ci")
        server.store.record_stack_result(run.id, commit="a" * 40, result=StackResult("web/prod", "update", "succeeded"),
                                         started_at=run.started_at)
        (root / "environments" / "qa.yaml").write_text("branch: main\nbogus_key: 1\n", encoding="utf-8")
        with TestClient(create_app(server, manage_services=False)) as client:
            doc = page(client, "/")
        assert "bogus_key" in doc.find(id="config-error").text()
        assert [c.attrs["data-stack"] for c in doc.find_all("td", cls="cell")] == ["web/prod"]
    finally:
        server.store.close()


# --------------------------------------------------------------------------- run history


def _runs(client: TestClient, query: str = "") -> list[str]:
    doc = page(client, f"/runs{query}")
    return [tr.attrs["data-run"] for tr in doc.find_all("tr", cls="run")]


def test_runs_are_listed_newest_first(client: TestClient, demo: tuple[DemoHistory, Server]) -> None:
    history, _ = demo
    assert _runs(client) == [history.hostile, history.drift, history.main_deploy, history.develop_deploy]
    row = page(client, "/runs").find("tr", data_run=history.main_deploy)
    assert row.attrs["data-status"] == "blocked" and row.find("a").attrs["href"] == f"/runs/{history.main_deploy}"
    assert "qa, uat, prod" in row.text()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?flow=drift", ["drift"]),
        ("?flow=deploy", ["main_deploy", "develop_deploy"]),
        ("?status=blocked", ["main_deploy"]),
        ("?status=failed", ["hostile", "drift"]),
        # prod: the drift run checked it; the main deploy names it although its gate stopped it.
        ("?environment=prod", ["drift", "main_deploy"]),
        ("?environment=dev", ["develop_deploy"]),
        ("?project=data&environment=uat", ["drift", "main_deploy"]),
        ("?project=network&flow=preview", ["hostile"]),
        ("?flow=deploy&environment=dev&status=failed", []),
    ],
)
def test_run_filters(client: TestClient, demo: tuple[DemoHistory, Server], query: str, expected: list[str]) -> None:
    history, _ = demo
    assert _runs(client, query) == [getattr(history, name) for name in expected]


def test_filters_stay_selected_and_bad_values_are_a_400(client: TestClient) -> None:
    doc = page(client, "/runs?flow=drift&environment=qa")
    form = doc.find("form", id="filters")
    selected = {s.attrs["name"]: [o.attrs["value"] for o in s.find_all("option") if "selected" in o.attrs]
                for s in form.find_all("select")}
    assert selected == {"flow": ["drift"], "environment": ["qa"], "project": [], "status": []}
    assert [o.attrs["value"] for o in form.find("select", name="environment").find_all("option")] == ["", *ENVIRONMENTS]
    assert "unknown flow 'nope'" in page(client, "/runs?flow=nope", status=400).find(id="error").text()
    assert "page must be a whole number" in page(client, "/runs?page=0", status=400).find(id="error").text()


def test_runs_are_paged(client: TestClient, demo: tuple[DemoHistory, Server]) -> None:
    history, server = demo
    first = data.load_runs(server.store, data.RunFilters(), page_size=3)
    second = data.load_runs(server.store, data.RunFilters(page=2), page_size=3)
    assert first.has_next and not second.has_next
    assert [r.run.id for r in first.rows + second.rows] == [
        history.hostile, history.drift, history.main_deploy, history.develop_deploy]
    assert _runs(client, "?page=2") == []  # 4 runs fit on the first page of 50
    assert "No runs match these filters on this page" in page(client, "/runs?flow=deploy&page=2").text()
    assert 'rel="prev"' not in client.get("/runs").text


# --------------------------------------------------------------------------- a run


def test_a_runs_detail_shows_each_stacks_property_diffs_gates_and_audit(
    client: TestClient, demo: tuple[DemoHistory, Server]
) -> None:
    history, _ = demo
    doc = page(client, f"/runs/{history.main_deploy}")
    assert doc.find(id="title").text() == f"Run {history.main_deploy}"
    stacks = [s.attrs["data-stack"] for s in doc.find_all("section", cls="stack")]
    assert stacks == ["network/qa", "data/qa", "app/qa", "network/uat", "data/uat", "app/uat",
                      "network/prod", "data/prod", "app/prod"]
    prod = doc.find("section", data_stack="app/prod")
    assert prod.attrs["data-status"] == "skipped" and "waiting for the gate" in prod.find("pre", cls="error").text()
    app = doc.find("section", data_stack="app/qa")
    resources = [(r.attrs["data-op"], r.find("b", cls="name").text()) for r in app.find_all("tr", cls="resource")]
    assert resources == [("replace", "app-assets"), ("update", "app-events")]  # canonical: by URN
    timeout = app.find("tr", data_path="visibilityTimeoutSeconds")
    assert (timeout.find("td", cls="old").text(), timeout.find("td", cls="new").text()) == ("30", "60")
    tag = app.find("tr", data_path="tags.CostCenter")
    assert tag.attrs["data-kind"] == "add" and tag.find("td", cls="new").text() == '"platform"'
    gates = {g.attrs["data-environment"]: g.attrs["data-passed"] for g in doc.find_all("tr", cls="gate")}
    assert gates == {"qa": "yes", "uat": "yes", "prod": "no"}
    actions = [e.attrs["data-action"] for e in doc.find_all("tr", cls="audit-entry")]
    assert actions[0] == "deploy.started" and actions[-1] == "deploy.finished"
    assert actions.count("gate.passed") == 2 and actions.count("gate.blocked") == 1
    assert actions.count("stack.update") == 6 and actions.count("stack.skipped") == 3


def test_a_failed_checks_error_is_shown(client: TestClient, demo: tuple[DemoHistory, Server]) -> None:
    history, _ = demo
    doc = page(client, f"/runs/{history.drift}")
    failed = doc.find("section", data_stack="data/uat")
    assert failed.attrs["data-status"] == "failed"
    assert failed.find("pre", cls="error").text() == "AccessDenied: cannot read queue"
    assert "data/uat" in doc.find("ul", cls="errors").text()
    drifted = doc.find("section", data_stack="app/qa").find("tr", data_path="delaySeconds")
    assert (drifted.find("td", cls="old").text(), drifted.find("td", cls="new").text()) == ("0", "15")


def test_an_unknown_run_is_a_404(client: TestClient) -> None:
    doc = page(client, "/runs/20990101-000000-deadbeef", status=404)
    assert "no run '20990101-000000-deadbeef'" in doc.find(id="error").text()


def test_hostile_values_are_shown_as_text_never_as_markup(client: TestClient, demo: tuple[DemoHistory, Server]) -> None:
    history, _ = demo
    for url in (f"/runs/{history.hostile}", "/runs", "/", "/locks", "/runs?project=%3Cscript%3E"):
        text = client.get(url).text
        doc = parse(text)
        assert doc.find_all("script") == [], url
        assert doc.find_all("img") == [], url
    detail = parse(client.get(f"/runs/{history.hostile}").text)
    resource = detail.find("tr", cls="resource")
    assert resource.find("b", cls="name").text() == HOSTILE
    diff = detail.find("tr", cls="diff")
    assert diff.attrs["data-path"] == f"tags.{HOSTILE}"
    assert diff.find("td", cls="new").text() == '"</td></tr><script>alert(\\"x\\")</script>"'
    assert detail.find("pre", cls="error").text() == f"boom {HOSTILE}"
    row = parse(client.get("/runs").text).find("tr", data_run=history.hostile)
    assert f"feature/{HOSTILE}" in row.text() and f"mallory{HOSTILE}" in row.text()


# --------------------------------------------------------------------------- locks and the one write action


def test_the_locks_page_lists_holders_and_expiry(client: TestClient, demo: tuple[DemoHistory, Server]) -> None:
    history, _ = demo
    doc = page(client, "/locks")
    rows = {r.attrs["data-stack"]: r for r in doc.find_all("tr", cls="lock")}
    assert set(rows) >= {"network/prod", "app/dev"}
    assert rows["network/prod"].attrs["data-expired"] == "no"
    assert rows["app/dev"].attrs["data-expired"] == "yes" and "expired" in rows["app/dev"].text()
    assert "platform-lead on ci-host pid 4242" in rows["network/prod"].find("td", cls="holder").text()
    assert rows["network/prod"].find("a").attrs["href"] == f"/runs/{history.main_deploy}"
    assert "PR #7" in rows["app/dev"].text()
    assert doc.find_all("form") == [] and doc.find(id="read-only")  # no write action without a token


def test_release_is_refused_without_a_configured_token(client: TestClient, demo: tuple[DemoHistory, Server]) -> None:
    _, server = demo
    for headers, body in (({}, {}), ({"Authorization": "Bearer anything"}, {}), ({}, {"token": "anything"})):
        response = client.post("/locks/network/prod/release", headers=headers, data=body)
        assert response.status_code == 403
        assert TOKEN_ENV in response.json()["error"]
    assert server.store.get_lock("network/prod") is not None


def test_release_with_the_token_removes_the_lock_and_audits_it(writable: TestClient,
                                                               demo: tuple[DemoHistory, Server]) -> None:
    history, server = demo
    store = server.store
    for stack in ("data/qa", "data/dev"):
        assert store.acquire_lock(stack, holder="deploy run r1 by ci", run_id=history.main_deploy,
                                  commit=history.main_commit, ttl_s=600) is not None
    form = parse(writable.get("/locks").text).find("tr", data_stack="data/qa").find("form")
    assert form.attrs["action"] == "/locks/data/qa/release" and form.find("input").attrs["name"] == "token"

    assert writable.post("/locks/data/qa/release", data={"token": "wrong"}).status_code == 403
    assert writable.post("/locks/data/qa/release").status_code == 403
    assert writable.post("/locks/data/qa/release", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert store.get_lock("data/qa") is not None

    response = writable.post("/locks/data/qa/release", data={"token": TOKEN}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/locks?released=data%2Fqa"
    assert store.get_lock("data/qa") is None
    assert "Released the lock on data/qa" in parse(writable.get(response.headers["location"]).text).find(
        id="released").text()

    by_bearer = writable.post("/locks/data/dev/release", headers={"Authorization": f"Bearer {TOKEN}"})
    assert by_bearer.status_code == 200
    assert by_bearer.json() == {"released": "data/dev", "holder": "deploy run r1 by ci", "expired": False}
    assert writable.post("/locks/data/dev/release", data={"token": TOKEN}).status_code == 404

    entries = [e for e in store.audit_log(limit=10) if e.action == "lock.released"]
    assert [e.stack for e in entries][:2] == ["data/dev", "data/qa"]
    assert entries[0].actor.startswith("dashboard (") and entries[0].details["via"] == "dashboard"
    assert entries[0].details["holder"] == "deploy run r1 by ci" and entries[0].run_id == history.main_deploy


def test_the_dashboard_needs_nothing_from_the_network(client: TestClient) -> None:
    for url in ("/", "/runs", "/locks"):
        response = client.get(url)
        assert "default-src 'none'" in response.headers["content-security-policy"]
        doc = parse(response.text)
        assert not [e for e in doc.iter() if e.tag in ("link", "script", "img", "iframe")]
        assert all(href.startswith("/") for href in doc.links()), doc.links()



def test_a_fresh_store_shows_every_stack_as_never_deployed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    root = make_demo_repo(tmp_path / "infra")
    server = build_server(ServerOptions(repo=root, workers=0, scheduler=False), secret=WEBHOOK_SECRET)
    try:
        with TestClient(create_app(server, manage_services=False)) as client:
            cells = page(client, "/").find_all("td", cls="cell")
            assert len(cells) == 12
            assert {(c.attrs["data-status"], c.attrs["data-drift"], c.attrs["data-locked"]) for c in cells} == {
                ("none", "unknown", "no")}
            assert all("never deployed" in c.text() for c in cells)
            assert page(client, "/runs").find(id="no-runs").text() == "No runs yet."
            assert page(client, "/locks").find(id="no-locks").text() == "No stack is locked."
    finally:
        server.store.close()


def test_matrix_headers_and_cells_link_to_the_filtered_history(client: TestClient,
                                                                demo: tuple[DemoHistory, Server]) -> None:
    history, _ = demo
    matrix = page(client, "/").find("table", id="matrix")
    assert matrix.find("th", data_environment="uat").find("a").attrs["href"] == "/runs?environment=uat"
    assert matrix.find("tr", data_project="data").find("th").find("a").attrs["href"] == "/runs?project=data"
    link = matrix.find("td", data_stack="data/uat").find("div", cls="history").find("a").attrs["href"]
    assert link == "/runs?project=data&environment=uat"
    assert _runs(client, link.removeprefix("/runs")) == [history.drift, history.main_deploy]
