"""The dashboard's routes: `/`, `/runs`, `/runs/{id}`, `/locks`.

A placeholder until the dashboard is built (issue 8, item 5): plain server-rendered pages
listing what the store already knows. Replace `dashboard_routes` to build the real pages;
the rest of the app (`/healthz`, `/metrics`, `/status`, `/webhooks/*`) does not depend on it.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from orchestrator.server.app import Server


def dashboard_routes(server: Server) -> list[BaseRoute]:
    async def index(request: Request) -> HTMLResponse:
        counts = await run_in_threadpool(server.queue.counts)
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in counts.items())
        return _page("orchestrator", f"<h2>Job queue</h2><table>{rows}</table>"
                     '<p><a href="/runs">runs</a> · <a href="/locks">locks</a> · <a href="/status">status</a></p>')

    async def runs(request: Request) -> HTMLResponse:
        found = await run_in_threadpool(server.store.runs, limit=50)
        rows = "".join(
            f'<tr><td><a href="/runs/{html.escape(r.id)}">{html.escape(r.id)}</a></td><td>{html.escape(r.flow)}</td>'
            f"<td>{html.escape(r.status)}</td><td>{html.escape(r.commit[:12])}</td></tr>" for r in found)
        return _page("runs", f"<table>{rows}</table>")

    async def run(request: Request) -> HTMLResponse:
        run_id = request.path_params["run_id"]
        found = await run_in_threadpool(server.store.get_run, run_id)
        if found is None:
            return _page("run not found", f"<p>no run {html.escape(run_id)}</p>", status=404)
        results = await run_in_threadpool(server.store.history, limit=500)
        mine = "".join(f"<tr><td>{html.escape(r.stack)}</td><td>{html.escape(r.status)}</td></tr>"
                       for r in results if r.run_id == run_id)
        return _page(f"run {found.id}", f"<p>{html.escape(found.flow)} {html.escape(found.status)}</p>"
                     f"<table>{mine}</table>")

    async def locks(request: Request) -> HTMLResponse:
        found = await run_in_threadpool(server.store.locks)
        rows = "".join(f"<tr><td>{html.escape(lease.stack)}</td><td>{html.escape(lease.holder)}</td></tr>"
                       for lease in found)
        return _page("locks", f"<table>{rows}</table>")

    return [
        Route("/", index),
        Route("/runs", runs),
        Route("/runs/{run_id}", run),
        Route("/locks", locks),
    ]


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>", status_code=status)
