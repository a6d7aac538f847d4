"""A loopback HTTP server that replays a script of recorded answers, in order. NOT GitHub or GitLab.

For what a stateful stand-in cannot show well: the exact answers a host documents for
redirects, rate limits and errors (`tests/fixtures/*/documented-responses.json`), one after
the other, and what the client sent for each. A request the script does not expect is
answered 418 and recorded in `unexpected`; the `replay` fixture fails the test at teardown
if anything was.

    replay.expect("GET", "/repos/acme/infra/pulls/7", 301, body, headers={"Location": "{api}/..."})
    replay.expect("GET", "/repositories/42/pulls/7", 200, pull)

`{api}` in a header value or a string in the body is replaced by the server's base URL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


@dataclass(frozen=True)
class Answer:
    method: str
    path: str
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is instead of `body` (a proxy's HTML page, say)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


class _Quiet(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        pass


class ReplayServer:
    def __init__(self) -> None:
        self.script: list[Answer] = []
        self.seen: list[Seen] = []
        self.unexpected: list[str] = []
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ReplayServer:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_Quiet)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True, name="http-replay")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def expect(self, method: str, path: str, status: int, body: Any = None, *,
               headers: Mapping[str, str] | None = None, raw: bytes | None = None) -> None:
        self.script.append(Answer(method, path, status, body, dict(headers or {}), raw))

    def left(self) -> list[str]:
        """Answers scripted but never asked for."""
        return [f"{a.method} {a.path} → {a.status}" for a in self.script]

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        raw = request.get_data()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            self.seen.append(Seen(request.method, request.path, dict(request.args.items()), body,
                                  dict(request.headers)))
            answer = self.script[0] if self.script else None
            if answer is None or (answer.method, answer.path) != (request.method, request.path):
                wanted = "nothing more" if answer is None else f"{answer.method} {answer.path}"
                self.unexpected.append(f"{request.method} {request.path} (the script expected {wanted})")
                return Response(b'{"message":"unexpected request"}', 418,
                                content_type="application/json")(environ, start_response)
            self.script.pop(0)
        headers = {k: v.replace("{api}", self.base_url) for k, v in answer.headers.items()}
        if answer.raw is not None:
            payload = answer.raw
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
        else:
            payload = b"" if answer.body is None else json.dumps(_fill(answer.body, self.base_url)).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return Response(payload, answer.status, headers=headers)(environ, start_response)


def _fill(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return value.replace("{api}", base)
    if isinstance(value, list):
        return [_fill(item, base) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, base) for key, item in value.items()}
    return value


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    server = ReplayServer().start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.unexpected, "the client sent requests the script did not expect:\n  " + "\n  ".join(
        server.unexpected
    )
