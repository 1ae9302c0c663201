"""A real browser: Playwright drives Debian's Chromium (``/usr/bin/chromium``, or
``HUB_TEST_CHROMIUM``) headless against the live hub on 127.0.0.1.

Where Chromium or Playwright is absent the browser tests skip, saying why — except under
``CI=true``, where that is a failure. Screenshots of every page go to ``HUB_SCREENSHOT_DIR``
(default ``var/screenshots`` in the repository), which CI lists in its log.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

CHROMIUM = os.environ.get("HUB_TEST_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("HUB_SCREENSHOT_DIR", REPO / "var" / "screenshots"))


def _absent(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI=true; .ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture
def chromium() -> Iterator[Any]:
    """A headless Chromium for one test (no sandbox as root, no background networking).

    Per test, not per session: Playwright's synchronous API keeps an asyncio loop running in
    the main thread while it is started, which would break every later test calling
    ``asyncio.run``; a launch costs well under a second.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _absent("the playwright package is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _absent(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--disable-sync",
                "--no-first-run",
                "--disable-dev-shm-usage",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


class Shots:
    """Writes a full-page screenshot per step: ``<backend>-<test>-<nn>-<name>.png``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.n = 0
        SHOTS.mkdir(parents=True, exist_ok=True)

    def take(self, page: Any, name: str) -> Path:
        self.n += 1
        path = SHOTS / f"{self.prefix}-{self.n:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    """Screenshots named after this test (and its database backend)."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name).strip("-")
    return Shots(name)


@pytest.fixture
def browser_context(chromium: Any) -> Iterator[Any]:
    """A fresh browser profile (no cookies) per test, refusing every host but 127.0.0.1."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]).*"), lambda route: route.abort())
    try:
        yield context
    finally:
        context.close()
