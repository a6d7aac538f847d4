"""docs/security.md's threat model names the five actors and, for each, tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_actor_has_a_row_and_every_named_test_exists() -> None:
    text = (ROOT / "docs" / "security.md").read_text()
    section = text.split("## Threat model", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| **")]
    actors = [re.match(r"\| \*\*(.+?)\*\*", row).group(1) for row in rows]  # type: ignore[union-attr]
    assert actors == ["PR author", "fork author", "webhook sender", "repository admin", "CI runner"]
    for row in rows:
        tests = re.findall(r"`([a-z_]+/test_[a-z_]+\.py)`", row.rsplit("|", 2)[1])
        assert tests, row
        missing = [t for t in tests if not (ROOT / "tests" / t).is_file()]
        assert missing == [], missing
