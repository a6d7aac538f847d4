"""Fixtures for the pulumi engine: a sample project and the scripted `pulumi` stand-in on PATH."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixtures import PULUMI

STANDIN_DIR = Path(__file__).parent / "standin"
EVENTS = PULUMI / "events"

STACK_FILE = """\
# owned by the web team; the orchestrator must leave this file as it found it
config:
  webapp:owner: team-a
  aws:region: eu-west-1
"""


@dataclass
class Standin:
    """The stand-in CLI's record of calls and its scenario."""

    home: Path
    scenario_path: Path
    scenario: dict[str, Any] = field(default_factory=dict)

    def script(self, **scenario: Any) -> None:
        self.scenario = scenario
        self.scenario_path.write_text(json.dumps(scenario))

    def calls(self) -> list[dict[str, Any]]:
        path = self.home / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def commands(self) -> list[list[str]]:
        """Each call's arguments, temp event-log paths replaced by `<event-log>`."""
        result = []
        for call in self.calls():
            args = list(call["args"])
            for i in range(1, len(args)):
                if args[i - 1] == "--event-log":
                    args[i] = "<event-log>"
            result.append(args)
        return result

    def reset(self) -> None:
        (self.home / "calls.jsonl").unlink(missing_ok=True)


def events(name: str) -> str:
    return str(EVENTS / f"{name}.eventlog.jsonl")


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
