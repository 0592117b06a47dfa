"""The rules page: test a pattern against a sample event in the browser."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from tests.server import Server


def test_a_pattern_is_tested_against_a_sample_event(page: Page, fabric: Server) -> None:
    page.goto(f"{fabric.url}/#/rules")
    expect(page.get_by_role("region", name="Rules")).not_to_contain_text("Loading")
    tester = page.get_by_role("form", name="Test a pattern")
    tester.get_by_role("button", name="Test").click()
    result = tester.get_by_role("status")
    expect(result).to_have_text("Match: the rule would route this event.")

    pattern = {"source": ["vigila.fabric"], "detail": {"utilization": [{"numeric": [">", 95]}]}}
    tester.get_by_label("Pattern (JSON)").fill(json.dumps(pattern))
    tester.get_by_role("button", name="Test").click()
    expect(result).to_contain_text("No match: ")
    expect(result).to_contain_text("utilization")

    tester.get_by_label("Pattern (JSON)").fill("{not json")
    tester.get_by_role("button", name="Test").click()
    expect(result).to_contain_text("The pattern is not JSON")
