"""Alarms in the browser: states arrive live over the alarm stream; history on demand."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.server import Server

ALARM = "web-quiet-metric"
QUIET = {"namespace": "Test/web", "metric_name": "Nothing", "statistic": "Sum", "period": 60,
         "evaluation_periods": 1, "comparison_operator": "GreaterThanThreshold", "threshold": 1,
         "treat_missing_data": "ignore"}
"""No data ever comes, and `ignore` keeps whatever state it is set to."""


def test_a_state_change_arrives_live(page: Page, fabric: Server, api: httpx.Client) -> None:
    assert api.put(f"/v1/alarms/{ALARM}", json=QUIET).status_code == 201
    page.goto(f"{fabric.url}/#/alarms")
    badge = page.locator(f"[data-alarm={ALARM}]")
    expect(badge).to_have_text("INSUFFICIENT_DATA")
    answer = api.post(f"/v1/alarms/{ALARM}/state",
                      json={"value": "ALARM", "reason": "set by the browser test"})
    assert answer.status_code == 200
    expect(badge).to_have_text("ALARM")
    expect(badge).to_have_class("badge state-ALARM")
    expect(page.get_by_role("row", name=ALARM)).to_contain_text("set by the browser test")

    page.get_by_role("button", name=ALARM).click()
    history = page.get_by_role("region", name="Alarm history")
    expect(history.locator("h2")).to_have_text(ALARM)
    expect(history).to_contain_text("Alarm updated from INSUFFICIENT_DATA to ALARM")
