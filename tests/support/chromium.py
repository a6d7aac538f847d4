"""Debian's Chromium driven by Playwright (its own browser download cannot work here).

Browser tests fail instead of skipping when Chromium or Playwright is missing in CI
(`CI=true` or `ORCHESTRATOR_REQUIRE_CHROMIUM=1`); `ORCHESTRATOR_CHROMIUM` names another binary.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Without the background-networking flags Chromium keeps trying hosts this network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    configured = os.environ.get("ORCHESTRATOR_CHROMIUM")
    if configured:
        return configured
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true" or os.environ.get("ORCHESTRATOR_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{reason} (apt-get install chromium; pip install playwright)")
    pytest.skip(reason)


def launched_browser() -> Iterator[Any]:
    """Body of a module-scoped `browser` fixture: one headless Chromium for the module."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    executable = chromium_path()
    if executable is None:
        unavailable("Chromium is not installed")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
