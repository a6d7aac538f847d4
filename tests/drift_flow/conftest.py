"""End-to-end fixtures for the drift flow: the embedded AWS for the module, and a webhook
receiver on loopback.

Each test module copies the sample infrastructure into a Git repository in a temporary
directory (tests/support/drift_repo.py), deploys the sample stacks with the real local engine
to moto on loopback (child processes find it through ORCHESTRATOR_SANDBOX_ENDPOINT), and then
changes the cloud directly with boto3.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from orchestrator.sandbox import InProcessSandbox
from tests.support.drift_repo import PASSPHRASE, Webhook
from tests.support.sandbox import running_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[InProcessSandbox]:
    with running_sandbox(PASSPHRASE) as running:
        yield running


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # A path that looks like a Slack secret: it must never show up in a report or outcome.
    hook = Webhook(url=f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/s3cr3tW3bh00kT0ken", )
    hook.received = received
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
