"""The events explorer: filters from the events API; user-controlled fields stay text."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, Route, expect

from tests.server import Server
from tests.web.browser import until_stored

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def test_a_script_payload_renders_as_text(page: Page, fabric: Server, api: httpx.Client) -> None:
    sent = api.post("/v1/events", json=[{
        "source": "test.web", "detail-type": "<b>Hostile</b>", "resources": [HOSTILE],
        "detail": {"note": HOSTILE}}])
    assert sent.status_code == 200
    page.goto(f"{fabric.url}/#/events")
    form = page.get_by_role("form", name="Filter events")
    form.get_by_label("Source", exact=True).fill("test.web")
    form.get_by_role("button", name="Search").click()

    row = page.locator("table.events tbody tr[data-id]")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text("<b>Hostile</b>")
    expect(row.locator("td").nth(3)).to_have_text(HOSTILE)
    expect(row.locator("td.detail")).to_contain_text(HOSTILE.replace('"', '\\"'))
    row.get_by_role("button").click()
    expect(page.locator("tr.event-json pre")).to_contain_text('"note": "<script>window.__pwned')
    assert page.locator("main script, main img, main b").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_filters_by_detail_type_and_resource(page: Page, fabric: Server,
                                             api: httpx.Client) -> None:
    until_stored(api, "Analysis Triggered")  # the first fault may take a while on a slow machine
    page.goto(f"{fabric.url}/#/events")
    form = page.get_by_role("form", name="Filter events")
    form.get_by_label("Detail type").fill("Analysis Triggered")
    form.get_by_label("Limit").select_option("50")
    form.get_by_role("button", name="Search").click()
    status = page.locator("main").get_by_role("status")
    expect(status).not_to_have_text("Loading…")  # the filtered answer, not the first load's
    rows = page.locator("table.events tbody tr[data-id]")
    expect(rows.first).to_be_visible()
    assert set(rows.evaluate_all("els => els.map(e => e.cells[2].textContent)")) == {
        "Analysis Triggered"}
    resource = rows.first.locator("td").nth(3).inner_text()

    form.get_by_label("Detail type").fill("")
    form.get_by_label("Resource").fill(resource)
    form.get_by_role("button", name="Search").click()
    expect(status).not_to_have_text("Loading…")
    assert set(rows.evaluate_all("els => els.map(e => e.cells[3].textContent)")) == {resource}
    assert rows.count() > 1


def test_a_slow_earlier_answer_does_not_replace_a_newer_search(page: Page, fabric: Server,
                                                                api: httpx.Client) -> None:
    assert api.post("/v1/events", json=[{"source": "test.stale", "detail-type": "Probe",
                                          "detail": {}}]).status_code == 200
    held: list[Route] = []
    page.route("**/v1/events?*",
               lambda route: held.append(route) if not held else route.continue_())
    page.goto(f"{fabric.url}/#/events")
    while not held:  # the page's first, unfiltered load is held back
        page.wait_for_timeout(50)
    form = page.get_by_role("form", name="Filter events")
    form.get_by_label("Source", exact=True).fill("test.stale")
    form.get_by_role("button", name="Search").click()
    rows = page.locator("table.events tbody tr[data-id]")
    expect(rows).to_have_count(1)
    with page.expect_response(lambda response: response.request == held[0].request):
        held[0].continue_()
    page.wait_for_timeout(200)
    expect(rows).to_have_count(1)
    expect(page.locator("main").get_by_role("status")).to_have_text("1 events")


def test_older_events_of_a_search_are_not_offered_while_a_new_one_loads(
        page: Page, fabric: Server, api: httpx.Client) -> None:
    until_stored(api, "Port Metrics")
    page.goto(f"{fabric.url}/#/events")
    more = page.get_by_role("button", name="Older events")
    expect(more).to_be_visible()
    held: list[Route] = []
    page.route("**/v1/events?*", lambda route: held.append(route))
    form = page.get_by_role("form", name="Filter events")
    form.get_by_label("Source", exact=True).fill("vigila.fabric")
    form.get_by_role("button", name="Search").click()
    expect(more).to_be_hidden()  # its cursor belongs to the search being replaced
    while not held:
        page.wait_for_timeout(50)
    held[0].continue_()
    page.unroute("**/v1/events?*")
    expect(page.locator("main").get_by_role("status")).not_to_have_text("Loading…")
    expect(more).to_be_visible()
