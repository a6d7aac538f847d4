"""The foundation tests' repository (the shape of DESIGN section 3) and what the in-process
CLI returned: `GitFixture` commits further changes, makes branches, renames and deletes."""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A small infrastructure repository in the shape of DESIGN section 3: dev on `develop`,
# qa -> uat -> prod on `main`; app reads data through an f-string StackReference, data
# reads network through a literal one.
PULUMI = "name: {name}\nruntime: python\n"

BASE_FILES: dict[str, str] = {
    "environments/dev.yaml": "branch: develop\norder: 1\n",
    "environments/qa.yaml": "branch: main\norder: 2\n",
    "environments/uat.yaml": "branch: main\norder: 3\nrequires: [qa]\n",
    "environments/prod.yaml": "branch: main\norder: 4\nrequires: [uat]\nprotected: true\napprovals: 1\n",
    "stacks/network/Pulumi.yaml": PULUMI.format(name="network"),
    "stacks/network/__main__.py": "import pulumi\npulumi.export('vpc', 'vpc-1')\n",
    "stacks/data/Pulumi.yaml": PULUMI.format(name="data"),
    "stacks/data/__main__.py": textwrap.dedent(
        """\
        import pulumi
        net = pulumi.StackReference("organization/network/dev")
        """
    ),
    "stacks/app/Pulumi.yaml": PULUMI.format(name="app"),
    "stacks/app/__main__.py": textwrap.dedent(
        """\
        import pulumi
        env = pulumi.get_stack()
        data = pulumi.StackReference(f"organization/data/{env}")
        """
    ),
    "README.md": "infrastructure\n",
}


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class GitFixture:
    """A real Git repository on disk, driven with the git CLI."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=self.path, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout.strip()

    def write(self, files: Mapping[str, str | None]) -> None:
        """Write files (None deletes the file) and stage them."""
        removed = [rel for rel, content in files.items() if content is None]
        written = [rel for rel, content in files.items() if content is not None]
        for rel in written:
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(files[rel] or "")
        if removed:
            self.git("rm", "-q", "-r", "--", *removed)
        if written:
            self.git("add", "--", *written)

    def commit(self, files: Mapping[str, str | None] | None = None, message: str = "change") -> str:
        if files:
            self.write(files)
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.sha("HEAD")

    def mv(self, old: str, new: str, message: str = "move") -> str:
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)
        return self.commit(message=message)

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, ref: str) -> None:
        self.git("checkout", "-q", ref)

    def sha(self, ref: str) -> str:
        return self.git("rev-parse", ref)
