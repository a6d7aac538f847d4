"""Policy packs for the tests: the repository's own (`policies/`) and the test packs
(tests/fixtures/policy), as the references a stack's spec carries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestrator.models import PolicyPackRef, StackSpec
from tests.support.fixtures import POLICY

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PACKS = ROOT / "policies"
TEST_PACKS = POLICY

GuardedStack = Callable[..., StackSpec]


def pack(directory: Path, config: dict[str, Any] | None = None) -> PolicyPackRef:
    label = directory.relative_to(ROOT).as_posix() if directory.is_relative_to(ROOT) else directory.name
    return PolicyPackRef(path=label, directory=directory, config=config or {}, source="test")
