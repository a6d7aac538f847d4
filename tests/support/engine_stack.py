"""One stack of the local engine's tests: a project directory, its file backend and the file
store the test programs write to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.models import AwsSettings, StackSpec
from tests.engine.programs import write_project

PASSPHRASE = "correct horse battery staple"


class Stack:
    """One test stack: its project directory, backend and file store."""

    def __init__(self, root: Path, name: str = "t", stack: str = "dev") -> None:
        self.root = root
        self.name = name
        self.stack = stack
        self.directory = root / name
        self.backend = root / "backend"
        self.store = root / "store"
        write_project(self.directory, name)

    def spec(self, config: dict[str, Any], *, aws: AwsSettings | None = None) -> StackSpec:
        return StackSpec(
            project=self.name, environment=self.stack, stack_name=self.stack, directory=self.directory,
            backend=f"file://{self.backend}", config=config, aws=aws or AwsSettings(),
        )

    @property
    def state_file(self) -> Path:
        return self.backend / ".pulumi" / "stacks" / self.name / f"{self.stack}.json"

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.state_file.read_text())
        return data

    def resources(self) -> dict[str, dict[str, Any]]:
        return {r["urn"]: r for r in self.state()["checkpoint"]["latest"]["resources"]}

    def log(self) -> list[str]:
        path = self.store / "log.txt"
        return path.read_text().splitlines() if path.exists() else []

    def objects(self) -> dict[str, Any]:
        return {p.stem: json.loads(p.read_text())["value"] for p in sorted(self.store.glob("*.json"))}
