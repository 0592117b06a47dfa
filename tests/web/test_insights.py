"""The insights page: a critical fault arrives live, filters narrow the feed, details show."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.server import Server
from tests.web.browser import CRITICAL_EVERY_SECONDS


def filter_feed(page: Page, *, type_: str = "", entity: str = "", min_risk: int = 0) -> None:
    form = page.get_by_role("form", name="Filter insights")
    form.get_by_label("Type").select_option(type_)
    form.get_by_label("Entity").fill(entity)
    form.get_by_label("Minimum risk").fill(str(min_risk))
    form.get_by_role("button", name="Apply").click()
    expect(page.locator(".feed")).not_to_contain_text("Loading")


def test_a_critical_fault_appears_live_with_its_detail(page: Page, fabric: Server) -> None:
    page.goto(f"{fabric.url}/#/insights")
    filter_feed(page, min_risk=80)
    expect(page.locator("#live")).to_have_text("live")
    rows = page.locator(".feed li[data-id]")
    loaded = set(rows.evaluate_all("els => els.map(e => e.dataset.id)"))

    fresh = page.locator(".feed li.fresh[data-type=connection_instability]").first
    expect(fresh).to_be_visible(timeout=(2 * CRITICAL_EVERY_SECONDS + 5) * 1000)
    assert fresh.get_attribute("data-id") not in loaded
    assert int(fresh.get_attribute("data-risk")) >= 80
    expect(fresh.locator(".risk")).to_have_class("badge risk risk-4")

    fresh.locator("button").click()
    detail = page.locator(".detail")
    expect(detail.locator("h2")).to_contain_text("connection instability")
    expect(detail.locator(".explanation")).to_contain_text("link_downed")
    assert detail.locator(".recommendations li").count() >= 2
    expect(detail.locator(".source")).to_have_text("Deterministic analyst")
    expect(detail.locator(".cost")).to_have_text("$0.0000")
    expect(detail).to_contain_text("Triggers: ")
    expect(detail).to_contain_text("counters")


def test_filters_narrow_the_feed(page: Page, fabric: Server) -> None:
    page.goto(f"{fabric.url}/#/insights")
    rows = page.locator(".feed li[data-id]")
    expect(rows.first).to_be_visible()

    filter_feed(page, type_="connection_instability")
    expect(rows.first).to_be_visible()
    assert set(rows.evaluate_all("els => els.map(e => e.dataset.type)")) == {
        "connection_instability"}

    entity = rows.first.locator(".entity").inner_text()
    filter_feed(page, entity=entity)
    assert set(rows.evaluate_all("els => els.map(e => e.querySelector('.entity').textContent)")
               ) == {entity}

    filter_feed(page, min_risk=90)
    expect(rows.first).to_be_visible()
    assert min(rows.evaluate_all("els => els.map(e => Number(e.dataset.risk))")) >= 90

    filter_feed(page, type_="rdma_timeout")
    expect(page.locator(".feed")).to_have_text("No insights match in this range")


def test_a_live_insight_keeps_the_focus_where_it_was(page: Page, fabric: Server) -> None:
    page.goto(f"{fabric.url}/#/insights")
    expect(page.locator("#live")).to_have_text("live")
    first = page.locator(".feed li[data-id]").first
    expect(first).to_be_visible(timeout=(2 * CRITICAL_EVERY_SECONDS + 5) * 1000)
    focused = first.get_attribute("data-id")
    first.locator("button").focus()
    expect(page.locator(".feed li.fresh").first).to_be_visible(  # a new one arrived live
        timeout=(2 * CRITICAL_EVERY_SECONDS + 5) * 1000)
    assert page.evaluate("document.activeElement.closest('li')?.dataset.id") == focused
