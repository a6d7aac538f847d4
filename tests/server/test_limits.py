"""Server limits against a real `orchestrator serve` (uvicorn) on loopback, driven with raw
sockets: a connection that trickles its headers, sends nothing, or stalls in its body is
closed after the configured deadline (408 when no response has begun), while the server keeps
answering others; `orchestrator_poll_remote_up` is exported in pull mode only."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from orchestrator.server.app import create_app
from tests.server.test_processes import free_port, wait_for
from tests.support.deliveries import SECRET, make_server
from tests.support.gitrepo import InfraRepo

DEADLINE_S = 1.0


@pytest.fixture
def served(infra: InfraRepo) -> Iterator[str]:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if k != "ORCHESTRATOR_DATABASE_URL"},
           "ORCHESTRATOR_WEBHOOK_SECRET": SECRET.decode()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "serve", "--repo", str(infra.root), "--port", str(port),
         "--workers", "0", "--no-scheduler", "--header-timeout", str(DEADLINE_S), "--body-timeout", str(DEADLINE_S)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url) or proc.poll() is not None, 60)
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _closed_after(sock: socket.socket) -> tuple[float, bytes]:
    """Seconds until the server closed the connection, and what it sent before."""
    started = time.monotonic()
    received = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return time.monotonic() - started, received
        received += chunk


def test_trickled_headers_are_cut_off_with_408(served: str) -> None:
    sock = _connect(served)
    sock.sendall(b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\n")
    waited, received = _closed_after(sock)
    assert waited < DEADLINE_S + 4, waited
    assert received.startswith(b"HTTP/1.1 408 Request Timeout")


def test_a_silent_connection_is_closed(served: str) -> None:
    waited, received = _closed_after(_connect(served))
    assert waited < DEADLINE_S + 4 and received.startswith(b"HTTP/1.1 408")


def test_a_stalled_body_is_cut_off_and_counted(served: str) -> None:
    sock = _connect(served)
    sock.sendall(b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{")
    waited, _ = _closed_after(sock)
    assert waited < DEADLINE_S + 4, waited
    wait_for(lambda: 'outcome="disconnected"' in _metrics(served), 10)


def test_stalled_connections_do_not_stop_the_server(served: str) -> None:
    stalled = [_connect(served) for _ in range(40)]
    for sock in stalled:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
    assert _answers(served)  # others are served meanwhile
    for sock in stalled:
        waited, _ = _closed_after(sock)
        assert waited < DEADLINE_S + 6
    assert _answers(served)


def test_a_slow_but_timely_request_is_answered(served: str) -> None:
    sock = _connect(served)
    for part in (b"GET /healthz HTTP/1.1\r\n", b"Host: x\r\n", b"Connection: close\r\n\r\n"):
        sock.sendall(part)
        time.sleep(DEADLINE_S / 5)
    _, received = _closed_after(sock)
    assert received.startswith(b"HTTP/1.1 200")


def _metrics(url: str) -> str:
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as answer:
        return str(answer.read().decode())


def test_poll_remote_up_is_exported_in_pull_mode_only(infra: InfraRepo) -> None:
    subprocess.run(["git", "-C", str(infra.root), "remote", "add", "origin", str(infra.root)], check=True)
    for poll_s, expected in ((None, False), (3600.0, True)):
        server = make_server(infra, poll_s=poll_s)
        try:
            with TestClient(create_app(server)) as client:
                text = client.get("/metrics").text
        finally:
            server.store.close()
        assert ("orchestrator_poll_remote_up" in text) is expected, text
        assert ("orchestrator_poll_failures" in text) is expected


def test_the_server_options_carry_the_deadlines() -> None:
    from orchestrator.server.protocol import DeadlineH11Protocol, deadline_protocol

    protocol = deadline_protocol(header_timeout_s=2.5, body_timeout_s=7.0)
    assert issubclass(protocol, DeadlineH11Protocol)
    assert (protocol.header_timeout_s, protocol.body_timeout_s) == (2.5, 7.0)
