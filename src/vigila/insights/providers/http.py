"""One JSON POST over httpx, its failures sorted into `ProviderError` kinds.

Shared by the HTTP clients (OpenAI-compatible, Anthropic). `timeout` bounds the
whole exchange: httpx applies it to connecting and to each read, and the body
is cut off once the deadline passes, so a server that trickles bytes cannot
hold a caller for longer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
import msgspec

from vigila.clock import Clock
from vigila.insights.providers.base import ProviderError, parse_retry_after

MAX_RESPONSE_BYTES = 1 << 20
"""A larger answer than this is refused as `bad_response`: an insight is a few hundred tokens."""

T = TypeVar("T")
_encode = msgspec.json.encode


def post_json(
    http: httpx.Client,
    url: str,
    body: Mapping[str, Any],
    *,
    headers: Mapping[str, str],
    timeout: float,
    clock: Clock,
) -> bytes:
    """POST `body` as JSON; return the body of a 2xx answer or raise `ProviderError`.

    `clock` dates a `Retry-After` given as an HTTP date.
    """
    deadline = time.perf_counter() + timeout
    try:
        with http.stream(
            "POST",
            url,
            content=_encode(body),
            timeout=timeout,
            headers={"content-type": "application/json", **headers},
        ) as response:
            data = _read(response, url, deadline, timeout)
    except httpx.TimeoutException as exc:
        raise ProviderError(
            "timeout", f"{url}: no answer within {timeout:g} s ({type(exc).__name__})"
        ) from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise ProviderError("bad_request", f"{url}: {exc}; check the base URL") from None
    except httpx.TransportError as exc:
        raise ProviderError("connection", f"{url}: {type(exc).__name__}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise status_error(response.status_code, response.headers, data, url, clock.now())
    return data


def _read(response: httpx.Response, url: str, deadline: float, timeout: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            if not response.is_success:  # an error page: its start says enough
                break
            raise ProviderError(
                "bad_response",
                f"{url}: answer over {MAX_RESPONSE_BYTES} bytes",
                status=response.status_code,
            )
        if time.perf_counter() > deadline:
            raise ProviderError("timeout", f"{url}: answer still arriving after {timeout:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def status_error(
    status: int, headers: Mapping[str, str], data: bytes, url: str, now: float
) -> ProviderError:
    """The `ProviderError` for a non-2xx answer, with the server's own message.

    >>> err = status_error(429, {"retry-after": "3"}, b'{"error": {"message": "slow down"}}',
    ...                    "http://llm/v1/chat/completions", now=0.0)
    >>> err.kind, err.retry_after, err.message
    ('rate_limited', 3.0, 'HTTP 429 from http://llm/v1/chat/completions: slow down')
    """
    retry_after = _retry_after(headers, now)
    message = f"HTTP {status} from {url}: {error_detail(data)}"
    if status == 429:
        return ProviderError("rate_limited", message, retry_after, status)
    if status == 408:
        return ProviderError("timeout", message, retry_after, status)
    if status >= 500:
        return ProviderError("server", message, retry_after, status)
    if status >= 400:
        return ProviderError("bad_request", message, None, status)
    return ProviderError("bad_response", message, None, status)


def _retry_after(headers: Mapping[str, str], now: float) -> float | None:
    # OpenAI adds a millisecond variant; it is the more precise of the two.
    millis = parse_retry_after(headers.get("retry-after-ms"), now)
    if millis is not None:
        return millis / 1000
    return parse_retry_after(headers.get("retry-after"), now)


def error_detail(data: bytes, limit: int = 300) -> str:
    """The message inside an error body (`{"error": {"message": …}}`, `{"error": "…"}`,
    `{"message": …}`), or the start of the body itself.

    >>> error_detail(b'{"type": "error", "error": {"message": "Overloaded"}}')
    'Overloaded'
    >>> error_detail(b"<html>Bad Gateway</html>")
    '<html>Bad Gateway</html>'
    """
    try:
        body = msgspec.json.decode(data)
    except msgspec.DecodeError:
        body = None
    detail: Any = None
    if isinstance(body, dict):
        error = body.get("error")
        detail = error.get("message") if isinstance(error, dict) else error
        detail = detail or body.get("message")
    if not detail:
        detail = data.decode("utf-8", "replace").strip() or "(empty body)"
    return str(detail)[:limit]


def decode_reply(data: bytes, type: type[T], provider: str) -> T:
    """Decode a 2xx body into `type`; anything unusable is a `bad_response`."""
    try:
        return msgspec.json.decode(data, type=type)
    except msgspec.DecodeError as exc:
        raise ProviderError(
            "bad_response", f"{provider} answered 200 with an unusable body: {exc}", status=200
        ) from None
