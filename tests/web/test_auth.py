"""When the profile requires API keys, the page asks for one and sends it with every call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.server import Server
from vigila.api.auth import create_key
from vigila.store.sqlite import SqliteStore


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    data_dir: Path = tmp_path_factory.mktemp("guarded")
    store = SqliteStore(data_dir / "store.db")
    token = create_key(store, "browser", ["read"], 0)
    store.close()
    server = Server(data_dir, profile="staging")
    yield server, token
    server.stop()


def test_the_page_asks_for_a_key_and_sends_it(page: Page, guarded: tuple[Server, str]) -> None:
    server, token = guarded
    page.goto(f"{server.url}/#/system")
    dialog = page.get_by_role("dialog", name="API key")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("navigation")).not_to_contain_text("System")

    dialog.get_by_label("Key").fill(token)
    with page.expect_request(lambda r: "/v1/dashboards/system" in r.url) as sent:
        dialog.get_by_role("button", name="Use key").click()
    assert sent.value.headers["authorization"] == f"Bearer {token}"
    expect(dialog).to_be_hidden()
    expect(page.locator("h1")).to_have_text("System health")
    expect(page.get_by_role("region", name="Log partitions").locator("tbody tr")).to_have_count(8)
    expect(page.locator("#live")).to_have_text("live")

    page.reload()
    expect(page.locator("h1")).to_have_text("System health")
    expect(dialog).to_be_hidden()


def test_a_dismissed_key_dialog_can_be_opened_again(page: Page,
                                                    guarded: tuple[Server, str]) -> None:
    server, token = guarded
    page.goto(f"{server.url}/#/system")
    dialog = page.get_by_role("dialog", name="API key")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="API key").click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("Key").fill(token)
    dialog.get_by_role("button", name="Use key").click()
    expect(page.locator("h1")).to_have_text("System health")

    page.get_by_role("button", name="API key").click()  # change the key later, then dismiss
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="API key").click()
    expect(dialog).to_be_visible()
