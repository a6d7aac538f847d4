"""What `orchestrator serve` logs passes the redactor: its own lines, uvicorn's and the
tracebacks of jobs that raised. An admin's mistake that puts a token in a configuration value
is logged with the token masked; a server that cannot start says so and exits 1."""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.redact import redact_log_handlers
from tests.security.planted import GITHUB_TOKEN, SLACK_TOKEN, leaks_in
from tests.server.test_limits import _answers
from tests.server.test_processes import free_port, wait_for
from tests.support.gitrepo import InfraRepo
from tests.support.lean_infra import make_infra_repo


@pytest.fixture
def infra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InfraRepo:
    monkeypatch.delenv("ORCHESTRATOR_DATABASE_URL", raising=False)
    return make_infra_repo(tmp_path / "infra", environments=("qa",), projects=("network",))


def _serve(repo: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**{k: v for k, v in os.environ.items() if k != "ORCHESTRATOR_DATABASE_URL"},
           "ORCHESTRATOR_WEBHOOK_SECRET": "log-redaction-test-secret"}
    return subprocess.Popen([sys.executable, "-m", "orchestrator", "serve", "--repo", str(repo), "--port", str(port),
                             "--workers", "0", "--no-scheduler"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_a_token_in_a_bad_configuration_value_is_logged_masked(infra: InfraRepo) -> None:
    qa = infra.root / "environments" / "qa.yaml"
    # The token pasted in the wrong place: a drift schedule.
    qa.write_text(re.sub(r"schedule: .*", f"schedule: {GITHUB_TOKEN}", qa.read_text(), count=1))
    assert GITHUB_TOKEN in qa.read_text()
    port = free_port()
    proc = _serve(infra.root, port)
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}") or proc.poll() is not None, 60)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        log = proc.communicate(timeout=20)[0].decode()
    assert "does not load" in log and "'[secret]' is not a valid cron expression" in log, log
    assert "Uvicorn running on" in log  # uvicorn's own lines are there too, through the same handlers
    assert leaks_in({"server log": log}) == []


def test_a_server_that_cannot_start_exits_1(infra: InfraRepo, taken_port: int) -> None:
    proc = _serve(infra.root, taken_port)
    log = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 1, log
    assert f"the server did not start on 127.0.0.1:{taken_port}" in log and "Traceback" not in log


def test_a_jobs_traceback_is_logged_redacted() -> None:
    """A job that raised is logged with its traceback (`log.exception`): the exception's text and
    the source lines shown pass the redactor as the message does."""
    stream = io.StringIO()
    logger = logging.getLogger("orchestrator.test.redaction")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        redact_log_handlers(logger.name)
        try:
            raise ConnectionError(f"POST https://hooks.example/ failed with {SLACK_TOKEN}")
        except ConnectionError:
            logger.exception("job %d (%s) raised, token %s", 7, "deploy", GITHUB_TOKEN)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "job 7 (deploy) raised, token [secret]" in written
    assert "Traceback (most recent call last)" in written and "ConnectionError: POST https://hooks.example/" in written
    assert leaks_in({"log": written}) == []
