"""Screenshots of every dashboard page for the docs: `make screenshots`.

Runs `vigila serve` with simulated fabric traffic and a mix of incidents for a few
minutes (rollups cannot be back-filled, so the charts need real time), then saves
one PNG per page under `--out`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

from tests.web.browser import DESKTOP, PHONE, fabric_server, launch

INCIDENTS = ",".join([
    "performance_degradation@80:20+60*0.7", "latency_spike@10:30+60*0.8",
    "packet_loss_detected@20:45+60*0.9", "rdma_timeout@30:60+40*0.9",
    "bandwidth_throttling@40:70+60*0.7", "resource_saturation@50:90+60*0.8",
    "qp_error_rate_high@60:100+40*0.9", "memory_registration_failure@70:110+40*0.6",
    "connection_instability@90:120+30*1.0",
])


def seed(url: str) -> None:
    """A couple of dead letters and an event whose fields hold markup, for those pages."""
    with httpx.Client(base_url=url, timeout=10) as client:
        client.post("/v1/events", json=[
            {"source": "vigila.fabric", "detail-type": "Port Metrics",
             "resources": ["cluster-a/node-07/mlx5_0/1"],
             "detail": {"stream_id": "cluster-a/node-07/mlx5_0/1", "utilization": 180}},
            {"source": "app.orders", "detail-type": "Order Placed"},
            {"source": "app.orders", "detail-type": "Order Placed", "resources": ["order-42"],
             "detail": {"note": "<script>alert(1)</script> renders as text"}},
        ])


def serious_insight(page: Page) -> None:
    """Filter to risk 50 and up, and open the newest."""
    page.get_by_label("Minimum risk").fill("50")
    page.get_by_role("button", name="Apply").click()
    page.locator(".feed li[data-id] button").first.click()


def shoot(page: Page, url: str, path: str, out: Path, name: str, *, full: bool = False,
          then: Callable[[Page], object] | None = None) -> None:
    page.goto(url + path)
    page.wait_for_timeout(2500)
    if then:
        then(page)
        page.wait_for_timeout(700)
    page.screenshot(path=out / f"{name}.png", full_page=full)
    print(f"saved {out / name}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--warmup", type=float, default=180.0, help="seconds of traffic first")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data_dir:
        server = fabric_server(Path(data_dir), faults=INCIDENTS)
        try:
            seed(server.url)
            print(f"{server.url}: waiting {args.warmup:.0f} s for traffic and incidents")
            time.sleep(args.warmup)
            with sync_playwright() as playwright:
                browser = launch(playwright)
                dark = browser.new_page(viewport=DESKTOP, color_scheme="dark")
                url = server.url
                shoot(dark, url, "/#/dashboard/fabric", args.out, "dashboard", full=True)
                shoot(dark, url, "/#/insights", args.out, "insights", then=serious_insight)
                shoot(dark, url, "/#/events", args.out, "events")
                shoot(dark, url, "/#/deadletters", args.out, "deadletters")
                shoot(dark, url, "/#/rules", args.out, "rules",
                      then=lambda p: p.locator("form button.primary").click())
                shoot(dark, url, "/#/alarms", args.out, "alarms",
                      then=lambda p: p.locator("main button.link").first.click())
                shoot(dark, url, "/#/system", args.out, "system", full=True)
                light = browser.new_page(viewport=DESKTOP, color_scheme="light")
                shoot(light, url, "/#/dashboard/fabric", args.out, "dashboard-light")
                phone = browser.new_page(viewport=PHONE, is_mobile=True, color_scheme="dark")
                shoot(phone, url, "/#/dashboard/fabric", args.out, "phone")
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
