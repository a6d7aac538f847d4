"""Real Git repositories for the tests, driven with the git CLI under one fixed identity."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.store.sql import SqlStore

# Commits made by the tests; no user or system identity is needed.
IDENTITY = ("-c", "user.name=Orchestrator Tests", "-c", "user.email=tests@example.com")


def git(root: Path, *args: str) -> str:
    """`git ARGS` in `root`; its output, stripped. Fails the test on a non-zero exit."""
    done = subprocess.run(["git", "-C", str(root), *IDENTITY, *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


@dataclass(frozen=True)
class InfraRepo:
    """An infrastructure repository under test: change files, commit, read what a run left."""

    root: Path

    def git(self, *args: str) -> str:
        return git(self.root, *args)

    def sha(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)

    def start_branch(self, name: str, start: str) -> None:
        self.git("checkout", "-q", "-B", name, start)

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def read(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8")

    def replace(self, path: str, old: str, new: str) -> None:
        text = self.read(path)
        assert old in text, f"{path} does not contain {old!r}: the sample changed, update the test"
        self.write(path, text.replace(old, new))

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.sha()

    @property
    def store_url(self) -> str:
        return f"sqlite:///{self.root / '.orchestrator' / 'orchestrator.db'}"

    def open_store(self) -> SqlStore:
        from orchestrator.store import open_store

        return open_store(None, self.root)

    def report(self, pr: int) -> Path:
        """Where the preview flow wrote the full report of PR `pr`'s last preview outside GitHub
        Actions: a file named after the run, so no later run overwrites it, and a copy as
        `preview-pr<n>.md`."""
        reports = self.root / ".orchestrator" / "reports"
        runs = sorted(reports.glob(f"preview-pr{pr}-*.md"), key=lambda p: p.stat().st_mtime_ns)
        assert runs, f"no report of PR {pr} in {reports}"
        latest = reports / f"preview-pr{pr}.md"
        assert latest.read_text(encoding="utf-8") == runs[-1].read_text(encoding="utf-8"), "the latest copy"
        return runs[-1]

    def state(self, project: str, env: str) -> dict[str, Any]:
        """The local engine's checkpoint of a stack, as the sample's `file://` backend keeps it."""
        path = self.root / ".orchestrator" / "state" / ".pulumi" / "stacks" / project / f"{env}.json"
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded

    def outputs(self, project: str, env: str) -> dict[str, Any]:
        for res in self.state(project, env)["checkpoint"]["latest"]["resources"]:
            if res["type"] == "pulumi:pulumi:Stack":
                found: dict[str, Any] = res.get("outputs") or {}
                return found
        return {}
