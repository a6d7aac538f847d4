"""The size-budget algorithm on synthetic section sizes."""

from __future__ import annotations

from orchestrator.report.budget import Level, fit

# Sizes per section and level: FULL, LINES, HEADLINE, NONE.
SIZES = {
    0: (100, 100, 10, 0),  # unchanged stack (no detail to trim but its line)
    1: (1000, 300, 20, 0),  # big
    2: (500, 200, 20, 0),  # medium
    3: (50, 50, 60, 0),  # small: no property diffs, and shorter in full than as a headline
}
UNCHANGED = [True, False, False, False]


def run(max_chars: int, fixed: int = 100) -> list[Level]:
    return fit(
        count=len(SIZES),
        size_at=lambda i, level: SIZES[i][level],
        unchanged=UNCHANGED,
        fixed=fixed,
        max_chars=max_chars,
    )


def test_everything_fits() -> None:
    assert run(1750) == [Level.FULL] * 4


def test_unchanged_stacks_go_first() -> None:
    assert run(1650) == [Level.NONE, Level.FULL, Level.FULL, Level.FULL]


def test_then_property_diffs_of_the_largest_stack() -> None:
    # Without the unchanged stack: 1650; dropping the big stack's diffs saves 700.
    assert run(950) == [Level.NONE, Level.LINES, Level.FULL, Level.FULL]


def test_then_the_next_largest() -> None:
    assert run(650) == [Level.NONE, Level.LINES, Level.LINES, Level.FULL]


def test_resource_lines_go_after_all_diffs_largest_first() -> None:
    # All at LINES: 100 + 300 + 200 + 50 = 650 -> the big one becomes a headline: 370.
    assert run(400) == [Level.NONE, Level.HEADLINE, Level.LINES, Level.FULL]


def test_a_section_smaller_in_full_than_as_headline_is_kept() -> None:
    assert run(190) == [Level.NONE, Level.HEADLINE, Level.HEADLINE, Level.FULL]


def test_when_nothing_fits_everything_is_left_out() -> None:
    assert run(50) == [Level.NONE] * 4
