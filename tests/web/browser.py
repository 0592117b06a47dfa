"""Debian's Chromium under Playwright, and the simulated fabric server the pages are tested on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, Playwright

from tests.server import Server

CHROMIUM = Path("/usr/bin/chromium")
"""Installed by `make chromium` (part of `make test`) from Debian's packages."""
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
CRITICAL_EVERY_SECONDS = 12
FAULTS = ",".join(
    f"connection_instability@{port}:{start}+15*1.0"
    for port, start in zip(range(3, 128, 11), range(8, 200, CRITICAL_EVERY_SECONDS), strict=False))
"""A flapping link (a critical insight) on another port every 12 s from 8 s on, so a test
that starts at any time sees a new one arrive."""


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)


def fabric_server(data_dir: Path, rate: int = 256, faults: str = FAULTS) -> Server:
    """`vigila serve` with simulated fabric traffic (128 ports) and `faults`."""
    return Server(data_dir, "--simulate", "fabric", "--rate", str(rate), "--faults", faults)


def open_page(browser: Browser, viewport: dict[str, int], **options: object) -> Iterator[Page]:
    """A fresh context (no storage carried over) and page; fails on any console error or
    uncaught exception once the test is done with it."""
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    yield page
    context.close()
    assert errors == [], "the page logged errors"


def until_stored(api: httpx.Client, detail_type: str, timeout: float = 90) -> None:
    """Wait until the server has stored at least one event of `detail_type`."""
    deadline = time.monotonic() + timeout
    while not api.get("/v1/events", params={"detail-type": detail_type, "limit": 1}
                      ).json()["items"]:
        assert time.monotonic() < deadline, f"no {detail_type!r} event after {timeout} s"
        time.sleep(0.5)
