"""The size budget of the PR comment: which sections to shorten, and how far.

Pure and generic: sections are numbered, their rendered size at each detail level comes
from a callback (so callers render lazily and cache). The summary table and other fixed
parts are never touched; they are passed in as `fixed`.

Order of cuts (issue 5): first drop the sections of stacks without changes, then trim the
largest sections first — property diffs, then resource lines (a one-line headline stays),
then the headline itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import IntEnum


class Level(IntEnum):
    FULL = 0  # everything: resource lines, property diffs, diagnostics, policy results, error
    LINES = 1  # resource lines without property diffs; long errors and diagnostics capped
    HEADLINE = 2  # one line: the stack, its counts and a note that its detail was cut
    NONE = 3  # left out (the summary table still has the stack's row)


SizeAt = Callable[[int, Level], int]


def fit(
    *,
    count: int,
    size_at: SizeAt,
    unchanged: Sequence[bool],
    fixed: int,
    max_chars: int,
) -> list[Level]:
    """The detail level of each of `count` sections so that the total fits `max_chars`.

    Returns all `Level.FULL` when everything fits. When even every section at `NONE`
    does not fit (the fixed parts alone are too large), returns all `NONE`.
    """
    levels = [Level.FULL] * count
    sizes = [size_at(index, Level.FULL) for index in range(count)]
    total = fixed + sum(sizes)
    if total <= max_chars:
        return levels
    for index in range(count):
        if unchanged[index]:
            total += _lower(index, Level.NONE, levels, sizes, size_at)
    if total <= max_chars:
        return levels
    for target in (Level.LINES, Level.HEADLINE, Level.NONE):
        # Largest first, by the size they have now (after the previous pass).
        candidates = sorted((i for i in range(count) if levels[i] < target), key=lambda i: (-sizes[i], i))
        for index in candidates:
            total += _lower(index, target, levels, sizes, size_at)
            if total <= max_chars:
                return levels
    return levels


def _lower(index: int, target: Level, levels: list[Level], sizes: list[int], size_at: SizeAt) -> int:
    """Move one section to `target`; returns the change in total size (negative or zero)."""
    new_size = size_at(index, target)
    if new_size >= sizes[index] and target != Level.NONE:
        return 0  # a tiny section can be shorter in full than as a headline: keep it
    delta = new_size - sizes[index]
    levels[index] = target
    sizes[index] = new_size
    return delta
