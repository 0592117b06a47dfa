"""Time range, themes, a phone's screen and the keyboard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.server import Server
from tests.web.browser import PHONE, open_page


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    yield from open_page(browser, PHONE, is_mobile=True, has_touch=True)


def test_the_range_picker_sets_what_the_dashboard_asks_for(page: Page, fabric: Server) -> None:
    page.goto(f"{fabric.url}/#/dashboard/fabric")
    expect(page.locator("[data-widget=utilization] canvas").first).to_be_visible()
    with page.expect_request(lambda r: "/stream?window=3600" in r.url):
        page.get_by_label("Time range").select_option("3600")

    page.get_by_label("Time range").select_option("custom")
    custom = page.locator("#custom-range")
    custom.get_by_label("From").fill("2026-01-01T10:00")
    custom.get_by_label("To").fill("2026-01-01T11:00")
    with page.expect_response(lambda r: "/data?start=" in r.url) as answer:
        custom.get_by_role("button", name="Apply").click()
    assert answer.value.status == 200
    expect(page.locator("[data-widget=utilization]")).to_contain_text("No data in this range")

    custom.get_by_label("To").fill("2026-02-01T11:00")  # a month: over the 15-day limit
    custom.get_by_role("button", name="Apply").click()
    assert page.evaluate("document.querySelector('#custom-range [name=end]').validationMessage"
                         ).startswith("The end must be after the start, by at most 15 days")

    page.reload()
    expect(page.get_by_label("Time range")).to_have_value("custom")
    page.get_by_label("Time range").select_option("900")


def test_the_theme_switches_and_is_remembered(page: Page, fabric: Server) -> None:
    page.goto(f"{fabric.url}/#/system")
    html = page.locator("html")
    first = html.get_attribute("data-theme")
    page.locator("#theme").click()
    other = "light" if first == "dark" else "dark"
    expect(html).to_have_attribute("data-theme", other)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.reload()
    expect(html).to_have_attribute("data-theme", other)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == background


@pytest.mark.parametrize(("path", "drawn"), [
    ("/#/dashboard/fabric", "[data-widget=utilization] canvas"),
    ("/#/insights", ".feed li[data-id]"),
    ("/#/events", "table.events tbody tr[data-id]"),
])
def test_a_phone_needs_no_sideways_scrolling(phone: Page, fabric: Server, path: str,
                                             drawn: str) -> None:
    phone.goto(fabric.url + path)
    expect(phone.locator(drawn).first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_pages_are_reachable_with_the_keyboard(page: Page, fabric: Server) -> None:
    page.goto(f"{fabric.url}/#/dashboard/fabric")
    expect(page.get_by_role("link", name="Insights")).to_be_visible()
    focused = []
    for _ in range(8):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent"))
        if focused[-1] == "Insights":
            break
    assert focused[0] == "Skip to content"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{fabric.url}/#/insights")
    expect(page.locator("h1")).to_have_text("Insights")


CONTRAST = """(theme) => {
    document.documentElement.dataset.theme = theme;
    const channel = (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    const luminance = (css) => {
        const [r, g, b] = css.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map((v) => Number(v) / 255);
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const ratios = {};
    for (const cls of ["risk risk-0", "risk risk-1", "risk risk-2", "risk risk-3", "risk risk-4",
                       "state-ALARM"]) {
        const badge = document.createElement("span");
        badge.className = `badge ${cls}`;
        badge.textContent = "80";
        document.body.append(badge);
        const style = getComputedStyle(badge);
        const [high, low] = [luminance(style.color), luminance(style.backgroundColor)]
            .sort((a, b) => b - a);
        ratios[cls] = (high + 0.05) / (low + 0.05);
        badge.remove();
    }
    return ratios;
}"""


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_badges_are_legible_in_both_themes(page: Page, fabric: Server, theme: str) -> None:
    """White text on a risk or alarm badge meets WCAG AA (4.5:1) for its 12 px text."""
    page.goto(f"{fabric.url}/#/insights")
    ratios = page.evaluate(CONTRAST, theme)
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios
