"""Golden-file comparison. Regenerate the files a test compares with: UPDATE_GOLDEN=1 .venv/bin/pytest <tests>"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path


def golden(directory: Path) -> Callable[[str, str], None]:
    """`assert_golden(name, actual)` for the golden files under `directory`."""

    def check(name: str, actual: str) -> None:
        assert_golden(directory / name, actual)

    return check


def assert_golden(path: Path, actual: str) -> None:
    name = path.name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        raise AssertionError(f"golden file {path} is missing; create it with UPDATE_GOLDEN=1")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"golden/{name}",
                tofile="rendered",
            )
        )
        raise AssertionError(f"rendering differs from golden/{name} (UPDATE_GOLDEN=1 to accept):\n{diff}")
