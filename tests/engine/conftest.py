"""The local engine's test stacks (tests/support/engine_stack.py), with the passphrase set."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.engine_stack import PASSPHRASE, Stack


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)


@pytest.fixture
def make_stack(tmp_path: Path) -> Callable[..., Stack]:
    def make(name: str = "t", stack: str = "dev") -> Stack:
        return Stack(tmp_path, name, stack)

    return make
