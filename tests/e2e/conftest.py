"""Browser fixtures: one real `parley serve` process and one headless Chromium for the run.

Chromium is the Debian package (`/usr/bin/chromium`) driven by Playwright with that
executable; Playwright's own browser downloads are never used. Without Chromium the browser
tests skip with a message naming it, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, TIMEOUT_MS, WebServer
from tests.support.services import service_missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def require_chromium() -> None:
    if not CHROMIUM.exists():
        service_missing("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        service_missing("Chromium", "the playwright package (dev extra) that drives it is missing")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module, closed when the module is done: Playwright's sync API
    keeps an event loop running while it lives, which later asyncio tests must not see."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="package")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """Shared by every browser test; a test that restarts it keeps its port and database."""
    require_chromium()
    server = WebServer(tmp_path_factory.mktemp("web"))
    try:
        yield server
    finally:
        server.stop(signal.SIGTERM)


@pytest.fixture(scope="package")
def screenshots() -> Path:
    folder = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
