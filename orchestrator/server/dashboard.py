"""The dashboard: server-rendered pages over the store, no build step, nothing fetched from elsewhere.

Pages: `/` (projects × environments: last result, current commit, drift state, lock),
`/runs` (history, filtered by flow, environment, project and status; newest first, paged),
`/runs/{id}` (a run's stacks with their per-resource, per-property diffs, gates, audit
entries and errors), `/locks` (leases, expired ones marked), `/insights` (the DORA measures,
drift and queue over a window, with charts; insights_view.py). A header strip on every page
shows the server's status: job counts, workers, the drift scheduler and pull mode (an
unreachable remote is shown as an outage).

Read-only unless ORCHESTRATOR_DASHBOARD_TOKEN is set: then `POST /locks/{stack}/release`
(token in the `token` form field or `Authorization: Bearer`) releases a lock and writes an
audit entry. Without a configured token no write action is shown or accepted (403).

Every value passes through a `Redactor` and Jinja2's HTML autoescaping (templates/*.html.j2).
"""

from __future__ import annotations

import functools
import hmac
import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from orchestrator.engines.base import format_counts
from orchestrator.errors import UserError
from orchestrator.redact import Redactor
from orchestrator.report.comment import OP_SYMBOL
from orchestrator.server import dashboard_data as data
from orchestrator.templating import template_environment

if TYPE_CHECKING:
    import jinja2

    from orchestrator.store.sql import SqlStore

log = logging.getLogger("orchestrator.server.dashboard")

TOKEN_ENV = "ORCHESTRATOR_DASHBOARD_TOKEN"
TEMPLATE_DIR = Path(__file__).parent / "templates"
MAX_FORM_BYTES = 16 * 1024  # the release form holds a token; anything bigger is not ours
MAX_PAGE = 1_000_000
MATRIX_REFRESH_S = 30  # the matrix reloads itself: it is the page left open on a wall screen
MAX_VALUE_CHARS = 1000  # one property value, as in the PR comment



def dashboard_routes(
    store: SqlStore,
    root: Path,
    status: Callable[[], dict[str, Any]],
    *,
    environ: Mapping[str, str] | None = None,
) -> list[BaseRoute]:
    """The dashboard's routes for `create_app`: pages over `store` for the repository at `root`,
    with `status()` (the server's state) in each page's header strip. The write token comes
    from `environ` (default os.environ)."""
    token = ((environ if environ is not None else os.environ).get(TOKEN_ENV) or "").strip() or None
    pages = _Pages(store, root, status, token)
    return [
        Route("/", pages.matrix),
        Route("/runs", pages.runs),
        Route("/runs/{run_id}", pages.run),
        Route("/locks", pages.locks),
        Route("/insights", pages.insights),
        Route("/reviews", pages.reviews),
        Route("/locks/{stack:path}/release", pages.release, methods=["POST"]),
    ]


class _Pages:
    def __init__(
        self, store: SqlStore, root: Path, status: Callable[[], dict[str, Any]], token: str | None
    ) -> None:
        self.store = store
        self.root = root
        self.status = status
        self.token = token

    # ------------------------------------------------------------------ pages
    async def matrix(self, request: Request) -> Response:
        def build() -> str:
            matrix = data.load_matrix(self.store, self.root)
            return self._render("matrix.html.j2", title="Stacks", active="matrix", matrix=matrix,
                                refresh_s=MATRIX_REFRESH_S)

        return await self._page(build)

    async def runs(self, request: Request) -> Response:
        try:
            filters = _run_filters(request.query_params)
        except ValueError as exc:
            message = str(exc)
            return await self._page(lambda: self._error_page(400, "Bad request", message), status=400)

        def build() -> str:
            page = data.load_runs(self.store, filters)
            environments, projects = data.filter_choices(self.store, self.root)
            return self._render("runs.html.j2", title="Runs", active="runs", page=page, filters=filters,
                                flows=data.FLOWS, statuses=data.RUN_STATUSES, environments=environments,
                                projects=projects, link=_runs_link)

        return await self._page(build)

    async def run(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]

        def build() -> tuple[str, int]:
            detail = data.load_run(self.store, run_id)
            if detail is None:
                return self._error_page(404, "Run not found", f"There is no run {run_id!r} in the store."), 404
            environments, _ = data.filter_choices(self.store, self.root)
            stacks = data.stack_order(detail.stacks, environments)
            return self._render("run.html.j2", title=f"Run {detail.run.id}", active="runs", detail=detail,
                                stacks=stacks, gates=_gates(detail.run.details)), 200

        return await self._page_with_status(build)

    async def locks(self, request: Request) -> Response:
        released = request.query_params.get("released")

        def build() -> str:
            views = sorted(data.lock_views(self.store).values(), key=lambda v: v.lease.stack)
            return self._render("locks.html.j2", title="Locks", active="locks", locks=views,
                                writable=self.token is not None, released=released)

        return await self._page(build)

    async def insights(self, request: Request) -> Response:
        from orchestrator.server import insights_view

        try:
            query = insights_view.parse_query(request.query_params)
        except ValueError as exc:
            message = str(exc)
            return await self._page(lambda: self._error_page(400, "Bad request", message), status=400)

        def build() -> str:
            environments, projects = data.filter_choices(self.store, self.root)
            view = insights_view.load_view(self.store, self.root, query, now=datetime.now(UTC),
                                           environments=environments, projects=projects)
            return self._render("insights.html.j2", title="Insights", active="insights", view=view,
                                **insights_view.template_helpers())

        return await self._page(build)

    async def reviews(self, request: Request) -> Response:
        def build() -> str:
            from orchestrator.config.load import load_repository
            from orchestrator.flows.review_sweep import listing
            from orchestrator.store.review import ReviewStore

            now = datetime.now(UTC)
            rows = listing(ReviewStore(self.store).live(), load_repository(self.root), now)
            # A destroy that failed first: it is retried by the scheduler and shown until it succeeds.
            rows.sort(key=lambda row: (row["status"] != "destroy_failed", row["environment"], row["pr"]))
            return self._render("reviews.html.j2", title="Review stacks", active="reviews", reviews=rows,
                                link=_http_link)

        return await self._page(build)

    # ------------------------------------------------------------------ the one write action
    async def release(self, request: Request) -> Response:
        stack = request.path_params["stack"]
        if self.token is None:
            return _refuse(403, f"the dashboard is read-only: set {TOKEN_ENV} on the server to release locks here "
                                "(or use `orchestrator locks release`)")
        given = await _given_token(request)
        if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
            return _refuse(403, "a valid dashboard token is required (form field `token` or Authorization: Bearer)")
        actor = f"dashboard ({request.client.host if request.client else 'unknown client'})"
        try:
            released = await run_in_threadpool(data.release_lock, self.store, stack, actor=actor)
        except UserError as exc:
            return _refuse(503, exc.message)
        if released is None:
            return _refuse(404, f"no lock on stack {stack!r}")
        log.warning("dashboard: %s released the lock on %s held by %s", actor, stack, released.lease.holder)
        if _bearer(request) is not None:
            return JSONResponse({"released": stack, "holder": released.lease.holder, "expired": released.expired})
        return RedirectResponse(f"/locks?{urlencode({'released': stack})}", status_code=303)

    # ------------------------------------------------------------------ rendering
    async def _page(self, build: Callable[[], str], *, status: int = 200) -> Response:
        return await self._page_with_status(lambda: (build(), status))

    async def _page_with_status(self, build: Callable[[], tuple[str, int]]) -> Response:
        try:
            body, status = await run_in_threadpool(build)
        except UserError as exc:  # the database is down: say so, on a page, with the hint
            body = await run_in_threadpool(self._error_page, 503, "Store unavailable", exc.message, exc.hint)
            status = 503
        return HTMLResponse(body, status_code=status, headers=_SECURITY_HEADERS)

    def _error_page(self, status: int, title: str, message: str, hint: str | None = None) -> str:
        return self._render("error.html.j2", title=title, active=None, status=status, message=message, hint=hint)

    def _render(self, template: str, **context: Any) -> str:
        return _environment().get_template(template).render(
            strip=self._strip(), token_configured=self.token is not None, now=datetime.now(UTC), **context
        )

    def _strip(self) -> dict[str, Any]:
        """The header strip: the server's status, or the error that kept it from being read."""
        try:
            return {"status": self.status(), "error": None}
        except UserError as exc:
            return {"status": None, "error": exc.message}


_SECURITY_HEADERS = {
    # Nothing is loaded from anywhere; inline styles only; forms post back here.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _refuse(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def _given_token(request: Request) -> str | None:
    bearer = _bearer(request)
    if bearer is not None:
        return bearer
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    values = parse_qs(body.decode("utf-8", errors="replace")).get("token")
    return values[0] if values else None


def _run_filters(params: Mapping[str, str]) -> data.RunFilters:
    def choice(name: str, allowed: tuple[str, ...] | None = None) -> str | None:
        value = (params.get(name) or "").strip() or None
        if value is not None and allowed is not None and value not in allowed:
            raise ValueError(f"unknown {name} {value!r}: use one of {', '.join(allowed)}")
        return value

    page_text = params.get("page") or "1"
    # Bounded: the offset goes to the database as a 64-bit integer (and isdigit() takes "²").
    if not (page_text.isascii() and page_text.isdigit()) or not 1 <= int(page_text) <= MAX_PAGE:
        raise ValueError(f"page must be a whole number from 1 to {MAX_PAGE:,}, not {page_text[:40]!r}")
    return data.RunFilters(flow=choice("flow", data.FLOWS), environment=choice("environment"),
                           project=choice("project"), status=choice("status", data.RUN_STATUSES),
                           page=int(page_text))


def _runs_link(filters: data.RunFilters, **changes: Any) -> str:
    query = urlencode(filters.query(**changes))
    return f"/runs?{query}" if query else "/runs"


def _http_link(value: Any) -> str | None:
    """An output value that is a plain http(s) URL (a review stack's address), else None."""
    from orchestrator.report.review import linkable

    return value if isinstance(value, str) and linkable(value) else None


def _gates(details: Mapping[str, Any]) -> list[dict[str, Any]]:
    gates = details.get("gates")
    return [g for g in gates if isinstance(g, dict)] if isinstance(gates, list) else []


# --------------------------------------------------------------------------- templates


@functools.cache
def _environment() -> jinja2.Environment:
    """Compiled once per process; every `{{ }}` is redacted (finalize), then HTML-escaped."""
    return template_environment(
        TEMPLATE_DIR,
        html=True,
        finalize=_finalize,
        filters={
            "when": format_time, "ago": format_ago, "short": short_commit, "counts": format_counts,
            "diff_rows": diff_rows, "duration": format_span, "value": format_value, "compact": compact_json,
        },
        globals={"OP_SYMBOL": OP_SYMBOL},
    )


_REDACTOR = Redactor()


def _finalize(value: Any) -> Any:
    # Secrets were redacted before storage; credential-looking text that slipped through is caught here.
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _REDACTOR.text(value)
    return value


def format_time(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_ago(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago (or, for a future time, in how long), for people."""
    if value is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    future = seconds < 0
    span = _span(abs(seconds))
    return f"in {span}" if future else f"{span} ago"


def format_span(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "—"
    return _span((end - start).total_seconds(), precise=True)


def _span(seconds: float, *, precise: bool = False) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s" if precise else f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m {int(seconds % 60):02d}s" if precise else f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h {int(seconds % 3600 // 60):02d}m"
    return f"{int(seconds // 86400)}d {int(seconds % 86400 // 3600)}h"


def short_commit(commit: str | None) -> str:
    return (commit or "")[:10]


def format_value(value: Any) -> str:
    """A property value on one line, as the PR comment prints it, redacted, then cut."""
    from orchestrator.report.values import show_value

    text = _REDACTOR.text(show_value(value))
    if len(text) > MAX_VALUE_CHARS:
        return f"{text[:MAX_VALUE_CHARS]}...(+{len(text) - MAX_VALUE_CHARS} chars)"
    return text


def diff_rows(change: Mapping[str, Any]) -> list[dict[str, str]]:
    """The property diffs of one stored ResourceChange (its `to_json()`), ready for a table."""
    rows = []
    for diff in change.get("diffs") or ():
        if not isinstance(diff, Mapping):
            continue
        kind = str(diff.get("kind", "update"))
        rows.append({
            "path": str(diff.get("path", "")),
            "kind": kind,
            "symbol": {"add": "+", "delete": "-"}.get(kind, "~"),
            "old": "" if kind == "add" else format_value(diff.get("old")),
            "new": "" if kind == "delete" else format_value(diff.get("new")),
        })
    return rows


def compact_json(value: Any) -> str:
    import json

    if not value:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
