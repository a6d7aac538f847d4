"""Reading configuration files from a working directory (the commit reader lives in git/tree.py)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from orchestrator.errors import ConfigError

_SKIP_DIRS = {"__pycache__", "node_modules", "venv"}


class Tree(Protocol):
    label: str

    def files(self, under: str) -> list[str]: ...

    def exists(self, path: str) -> bool: ...

    def read_many(self, paths: Sequence[str]) -> dict[str, bytes]: ...

    def files_containing(self, under: str, needle: str, suffix: str | tuple[str, ...] = "") -> list[str]:
        """Paths under a directory, ending in `suffix` (or one of them), whose content contains `needle`."""
        ...


class WorkTree:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = "working tree"

    def files(self, under: str) -> list[str]:
        base = self.root / under if under not in ("", ".") else self.root
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            prefix = "" if rel == "." else rel + "/"
            found.extend(prefix + name for name in filenames)
        return found

    def exists(self, path: str) -> bool:
        return (self.root / path).is_file()

    def read_many(self, paths: Sequence[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for path in paths:
            try:
                out[path] = (self.root / path).read_bytes()
            except FileNotFoundError:
                continue
            except IsADirectoryError:
                raise ConfigError("is a directory, not a file", file=path,
                                  hint=f"replace the directory {path}/ with a file (or remove it)") from None
            except OSError as exc:
                raise ConfigError(f"cannot be read: {exc.strerror or exc}", file=path,
                                  hint="check the file's permissions") from None
        return out

    def files_containing(self, under: str, needle: str, suffix: str | tuple[str, ...] = "") -> list[str]:
        target = needle.encode()
        candidates = [p for p in self.files(under) if p.endswith(suffix)]
        return [p for p, text in self.read_many(candidates).items() if target in text]
