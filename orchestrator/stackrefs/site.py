"""A StackReference found in a program, and what the scan reads files from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Source(Protocol):
    """What the scan reads: a commit (git/tree.py) or a working tree (config/tree.py)."""

    def files_containing(self, under: str, needle: str, suffix: str | tuple[str, ...] = "") -> list[str]: ...

    def read_many(self, paths: Sequence[str]) -> dict[str, bytes]: ...


@dataclass(frozen=True)
class StackReferenceSite:
    """One StackReference in a program: where, and which project it reads if the source fixes it."""

    file: str  # repository path
    line: int
    language: str
    name: str  # the stack name with run-time parts as {…}, e.g. acme/network/{…}
    project: str | None  # the project it reads; None when only known at run time
    written: str = ""  # the name expression as written, for names known only at run time
    config_key: str | None = None  # the name is this key of the stack's configuration
    config_file: str = ""  # the stack file whose value of `config_key` named `project`

    @property
    def where(self) -> str:
        if self.config_file:
            return f"{self.file}:{self.line} ({self.config_key} in {self.config_file.rsplit('/', 1)[-1]})"
        return f"{self.file}:{self.line}"
