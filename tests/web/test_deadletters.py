"""Dead letters in the browser: the reason is shown, and a replay reports its outcome."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.server import Server


def test_a_rejected_event_is_listed_and_replayed(page: Page, fabric: Server,
                                                 api: httpx.Client) -> None:
    bad = {"source": "vigila.fabric", "detail-type": "Port Metrics",
           "resources": ["cluster-z/node-99/mlx5_0/1"],
           "detail": {"stream_id": "cluster-z/node-99/mlx5_0/1", "utilization": 180}}
    assert api.post("/v1/events", json=[bad]).status_code == 422
    page.goto(f"{fabric.url}/#/deadletters")
    row = page.locator("table.deadletters tbody tr", has_text="cluster-z/node-99")
    expect(row.locator(".reason")).to_contain_text("utilization")
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Replay 1 selected").click()
    expect(page.locator("main").get_by_role("status")).to_contain_text("Replayed 0 of 1")
    expect(row.locator(".replay-result")).to_contain_text("rejected again")
