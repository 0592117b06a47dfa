"""Live streams: closed while the page is hidden, and a back-off that only events reset."""

from __future__ import annotations

import time

from playwright.sync_api import Page, Route, expect

from tests.server import Server


def set_hidden(page: Page, hidden: bool) -> None:
    page.evaluate("""(hidden) => {
        Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
        document.dispatchEvent(new Event("visibilitychange"));
    }""", hidden)


def test_streams_close_while_the_page_is_hidden_and_resume_when_shown(page: Page,
                                                                       fabric: Server) -> None:
    opened: list[str] = []
    page.on("request", lambda r: opened.append(r.url) if "/insights/stream" in r.url else None)
    page.goto(f"{fabric.url}/#/insights")
    live = page.locator("#live")
    expect(live).to_have_text("live")
    assert len(opened) == 1

    set_hidden(page, True)
    expect(live).to_have_text("idle")
    page.wait_for_timeout(1500)  # no reconnect attempt while hidden
    assert len(opened) == 1

    set_hidden(page, False)
    expect(live).to_have_text("live")
    assert len(opened) == 2


def test_a_stream_that_answers_and_drops_at_once_backs_off(page: Page, fabric: Server) -> None:
    attempts: list[float] = []

    def empty_stream(route: Route) -> None:
        attempts.append(time.monotonic())
        route.fulfill(status=200, body="retry: 1000\n\n",  # as the server starts, then gone
                      headers={"content-type": "text/event-stream"})

    page.route("**/v1/insights/stream*", empty_stream)
    page.goto(f"{fabric.url}/#/insights")
    expect(page.locator("#live")).to_have_text("reconnecting")
    page.wait_for_timeout(6500)
    # waits of about 1, 2 and 4 s: four attempts at most in 6.5 s (a reset on each 200
    # would make it six or more, one a second)
    assert 2 <= len(attempts) <= 4, [round(t - attempts[0], 1) for t in attempts]
