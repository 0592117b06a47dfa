"""The page and its files: served from the package, with a strict Content-Security-Policy."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from vigila.web.pages import assets


def test_the_page_is_served_with_a_strict_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert b"<script>" not in page.content, "no inline script"
    assert not re.search(rb"\son[a-z]+=", page.content), "no inline event handlers"
    assert not re.search(rb"\sstyle=", page.content), "no inline styles"


def test_every_file_the_page_names_is_shipped_and_nothing_is_fetched_elsewhere(
        client: TestClient) -> None:
    page = client.get("/").text
    for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        assert client.get(path).status_code == 200, path
    ours = {name: a.body for name, a in assets().items() if not name.startswith("vendor/")}
    assert {"index.html", "js/app.js", "css/app.css"} <= set(ours)
    for name, body in ours.items():
        assert not re.search(rb"https?://(?!www\.w3\.org/2000/svg)", body), name
        assert b"innerHTML" not in body and b"insertAdjacentHTML" not in body, name


def test_files_are_revalidated_by_etag(client: TestClient) -> None:
    first = client.get("/static/js/app.js")
    assert first.headers["content-type"].startswith("text/javascript")
    assert first.headers["cache-control"] == "no-cache"
    again = client.get("/static/js/app.js", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_unknown_and_escaping_paths_are_not_found(client: TestClient) -> None:
    for path in ("/static/nope.js", "/static/../pages.py", "/static/%2e%2e/pages.py",
                 "/static/vendor/uplot/LICENSE", "/static/"):
        assert client.get(path).status_code == 404, path
    assert "content-security-policy" in client.get("/static/nope.js").headers


def test_the_config_says_whether_a_key_is_needed(client: TestClient) -> None:
    config = client.get("/ui/config").json()
    assert config == {"auth_required": False, "environment": "dev", "resource": config["resource"],
                      "version": config["version"]}
