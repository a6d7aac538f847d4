"""Fixtures for the pulumi engine: a sample project and the scripted `pulumi` stand-in on PATH
(tests/support/pulumi_standin.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pulumi_standin import STACK_FILE, STANDIN_DIR, Standin


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Standin]:
    home = tmp_path / "standin-home"
    home.mkdir()
    scenario = tmp_path / "scenario.json"
    scenario.write_text("{}")
    monkeypatch.setenv("PATH", f"{STANDIN_DIR}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PULUMI_STANDIN_DIR", str(home))
    monkeypatch.setenv("PULUMI_STANDIN_SCENARIO", str(scenario))
    monkeypatch.setenv("PULUMI_STANDIN_PYTHON", sys.executable)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse battery staple")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(name, raising=False)
    yield Standin(home=home, scenario_path=scenario)


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "checkout" / "stacks" / "webapp"
    directory.mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text("name: webapp\nruntime: python\n")
    (directory / "Pulumi.dev.yaml").write_text(STACK_FILE)
    return directory


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
