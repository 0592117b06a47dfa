"""Browser tests: Playwright drives Debian's Chromium, headless, against a real `vigila serve`.

Every page a test opens must log no console error and throw no uncaught exception.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.server import Server
from tests.web.browser import CHROMIUM, DESKTOP, fabric_server, launch, open_page


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make chromium` installs it")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def fabric(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for these tests: simulated fabric traffic with a critical fault every 12 s."""
    server = fabric_server(tmp_path_factory.mktemp("web"))
    yield server
    server.stop()


@pytest.fixture
def api(fabric: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fabric.url, timeout=10) as client:
        yield client


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    yield from open_page(browser, DESKTOP)
