"""System health: ingest rate, lag per partition, rejects, self-monitoring alarms."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.server import Server


def test_system_health_shows_ingest_and_partitions(page: Page, fabric: Server) -> None:
    page.goto(f"{fabric.url}/#/system")
    expect(page.locator("h1")).to_have_text("System health")
    expect(page.locator("[data-widget=ingest-rate] .value")).not_to_have_text("0")
    expect(page.locator("[data-widget=ingest] canvas").first).to_be_visible()
    expect(page.locator("[data-widget=rejected] .value")).to_have_text(re.compile(r"^\d+$"))
    partitions = page.get_by_role("region", name="Log partitions").locator("tbody tr")
    expect(partitions).to_have_count(4)
    expect(page.locator("[data-widget=alarms]")).to_contain_text("vigila-dev-system-capacity")
