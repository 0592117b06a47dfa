"""The fabric dashboard in a browser: every declared widget draws data from the simulator."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.server import Server
from tests.web.browser import until_stored

NUMBER = re.compile(r"^\$?-?[\d.,]+(e-?\d+)?[%KMB]?$")


def widget(page: Page, widget_id: str) -> Locator:
    return page.locator(f"[data-widget={widget_id}]")


def test_fabric_dashboard_draws_every_widget_with_data(page: Page, fabric: Server,
                                                       api: httpx.Client) -> None:
    until_stored(api, "Analysis Triggered")  # the first fault may take a while on a slow machine
    page.goto(f"{fabric.url}/#/dashboard/fabric")
    expect(page.locator("h1")).to_have_text("InfiniBand fabric")
    expect(page.locator("#live")).to_have_text("live")
    for line_chart in ("utilization", "latency", "error-rate", "bandwidth", "triggers"):
        expect(widget(page, line_chart).locator("canvas").first).to_be_visible()
    legend = widget(page, "latency").locator(".u-legend")
    for percentile in ("p50", "p95", "p99"):
        expect(legend).to_contain_text(f"{percentile} cluster-a")
    expect(widget(page, "utilization").locator(".u-legend")).to_contain_text("%")
    for single in ("peak-utilization", "peak-error-rate", "triggered", "insights-count",
                   "llm-calls", "llm-cost"):
        expect(widget(page, single).locator(".value")).to_have_text(NUMBER)
    expect(widget(page, "llm-calls").locator(".value")).to_have_text("0")
    expect(widget(page, "anomalous-ports").locator("tbody tr").first).to_contain_text("cluster-a/")
    expect(widget(page, "triggers-by-cluster").locator(".bar-row")).to_contain_text("cluster-a")
    expect(widget(page, "feed").locator("li[data-id]").first).to_be_visible(timeout=30_000)
    expect(widget(page, "alarms")).to_contain_text("vigila-dev-consumer-lag")


def test_a_feed_item_opens_the_insight(page: Page, fabric: Server) -> None:
    page.goto(f"{fabric.url}/#/dashboard/fabric")
    first = widget(page, "feed").locator("li[data-id]").first
    insight_id = first.get_attribute("data-id")
    first.locator("button").click()
    expect(page).to_have_url(re.compile(f"#/insights/{insight_id}$"))
    expect(page.locator(".detail .explanation")).not_to_be_empty()
