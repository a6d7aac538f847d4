"""The scripted `pulumi` stand-in (tests/pulumi_engine/standin) the pulumi engine's tests put
on PATH: what it was asked to do, and the scenario it plays; the recorded event logs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.fixtures import PULUMI

STANDIN_DIR = Path(__file__).resolve().parents[1] / "pulumi_engine" / "standin"
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
