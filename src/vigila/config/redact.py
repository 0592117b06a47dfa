"""Secrets out of what vigila shows: configuration listings, rule views, error messages.

Header values and API keys become `(redacted)`; a URL keeps its scheme and host, since
webhook URLs (Slack's among them) carry their token in the path or the query.

>>> shown = redact({"url": "https://hooks.slack.com/services/T0/B0/SECRET",
...                  "headers": {"authorization": "Bearer x"}, "api_key": None, "port": 25})
>>> shown["url"], shown["headers"], shown["api_key"], shown["port"]
('https://hooks.slack.com/…', {'authorization': '(redacted)'}, None, 25)
>>> safe_url("http://127.0.0.1:9000/")
'http://127.0.0.1:9000/'
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

REDACTED = "(redacted)"
_SECRET_KEYS = frozenset({"api_key", "password", "token", "secret"})


def safe_url(url: str) -> str:
    """Scheme and host of `url`, and `…` in place of any path or query."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    if not parts.scheme or not parts.hostname:
        return REDACTED
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    rest = "" if parts.path in ("", "/") and not parts.query else "…"
    return f"{parts.scheme}://{host}/{rest}"


def redact(value: Any) -> Any:
    """`value` (builtins: dicts, lists, scalars) with header values, URLs and keys hidden."""
    if isinstance(value, list):
        return [redact(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "headers" and isinstance(item, dict):
            out[key] = dict.fromkeys(item, REDACTED)
        elif key == "url" and isinstance(item, str):
            out[key] = safe_url(item)
        elif key in _SECRET_KEYS and item:
            out[key] = REDACTED
        else:
            out[key] = redact(item)
    return out
