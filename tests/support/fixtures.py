"""Where the test fixtures live: inside the checkout, so a fresh clone anywhere tests itself.

Each folder under `tests/fixtures/` has a SOURCES.md naming the published material it was taken from.
"""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GITHUB = FIXTURES / "github"
GITLAB = FIXTURES / "gitlab"
PULUMI = FIXTURES / "pulumi"
MONOREPO = FIXTURES / "monorepo"  # a mixed-language repository (see its SOURCES.md)
POLICY = FIXTURES / "policy"  # policy packs for the tests (see its SOURCES.md)
