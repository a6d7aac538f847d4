"""HTTP/1.1 with deadlines: a connection must deliver a request's headers, then its body,
within a bound, or it is closed (slow-loris: a client that opens connections and trickles
bytes, or sends none, would otherwise hold each one, and a worker's memory, forever).

uvicorn's h11 protocol has a keep-alive timeout between requests only; this subclass adds
the two deadlines and is passed to uvicorn as its `http` protocol. The h11 connection's
state says where the request is: IDLE (headers not complete), SEND_BODY (reading the body),
anything else (read; the application answers, then the keep-alive timeout applies).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("orchestrator.server")

HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 30.0
_TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose headers or body come too slowly."""

    header_timeout_s: float = HEADER_TIMEOUT_S
    body_timeout_s: float = BODY_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None
        super().connection_made(transport)
        self._arm("headers")  # a connection that sends nothing at all is closed too

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        self._disarm()  # uvicorn's keep-alive timeout takes over until the next request
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _follow(self) -> None:
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            if self._phase != "body":
                self._arm("body")
        elif state is h11.IDLE:
            if self._phase is None:  # the first bytes of a next request on a kept-alive connection
                self._arm("headers")
        else:
            self._disarm()

    def _arm(self, phase: str) -> None:
        self._disarm()
        timeout = self.header_timeout_s if phase == "headers" else self.body_timeout_s
        self._phase = phase
        self._deadline = self.loop.call_later(timeout, self._expire, phase, timeout)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._phase = None

    def _expire(self, phase: str, timeout: float) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        log.warning("closed a connection from %s: the request's %s did not arrive within %gs",
                    _peer(self.client), phase, timeout)
        if self.conn.our_state is h11.IDLE:  # no response begun: say why before closing
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


def deadline_protocol(*, header_timeout_s: float, body_timeout_s: float) -> type[DeadlineH11Protocol]:
    """The protocol class with these deadlines (uvicorn instantiates it per connection)."""
    attributes: dict[str, Any] = {"header_timeout_s": header_timeout_s, "body_timeout_s": body_timeout_s}
    return type("ConfiguredDeadlineH11Protocol", (DeadlineH11Protocol,), attributes)


def _peer(client: tuple[str, int] | None) -> str:
    return "an unknown peer" if client is None else f"{client[0]}:{client[1]}"
