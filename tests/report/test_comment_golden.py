"""The PR comment renderings, compared with the files under tests/report/golden/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.report.comment import CommentModel, render_comment
from tests.report.scenarios import SCENARIOS
from tests.support.golden_files import golden

assert_golden = golden(Path(__file__).parent / "golden")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_rendering_matches_golden(name: str) -> None:
    build: Callable[[], CommentModel] = SCENARIOS[name]
    built = build()
    rendered = render_comment(built)
    assert len(rendered.markdown) <= built.max_chars
    assert_golden(f"{name}.md", rendered.markdown)
    if rendered.truncated:
        assert_golden(f"{name}.full.md", rendered.full_markdown)
    else:
        assert rendered.full_markdown == rendered.markdown
