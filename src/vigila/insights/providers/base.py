"""What every LLM client speaks: a `Prompt` in, a `Completion` out, or a `ProviderError`.

A client makes exactly one attempt. Rate limits, budgets, breakers, retries and
fallback are stages around it; `ProviderError.kind` and `retry_after` tell them
what happened.

>>> err = ProviderError("rate_limited", "HTTP 429: slow down", retry_after=2.0, status=429)
>>> err.retryable, err.retry_after
(True, 2.0)
>>> ProviderError("bad_request", "HTTP 401: invalid x-api-key", status=401).retryable
False
"""

from __future__ import annotations

import math
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol

import msgspec

from vigila.insights.model import Draft

ErrorKind = Literal[
    "rate_limited", "server", "timeout", "connection", "bad_request", "bad_response"
]
RETRYABLE: frozenset[str] = frozenset({"rate_limited", "server", "timeout", "connection"})
"""Kinds worth another attempt; `bad_request` and `bad_response` would fail the same way."""

TOOL_NAME = "record_insight"
"""The tool whose input is the insight, for providers that structure output by tool use."""
TOOL_DESCRIPTION = "Record the insight: the prediction, its risk, the evidence and the actions."


def draft_schema() -> dict[str, Any]:
    """JSON Schema of `Draft`, inlined: servers want an object schema at the root, not a $ref.

    >>> schema = draft_schema()
    >>> schema["type"], schema["additionalProperties"], len(schema["required"])
    ('object', False, 5)
    """
    schema = msgspec.json.schema(Draft)
    return schema["$defs"]["Draft"]


class Prompt(msgspec.Struct, frozen=True, kw_only=True):
    """One request for an insight: instructions, evidence, and the schema to answer in."""

    system: str
    user: str
    json_schema: dict[str, Any] = msgspec.field(default_factory=draft_schema)
    max_tokens: int = 600
    temperature: float = 0.3


class Completion(msgspec.Struct, frozen=True, kw_only=True):
    """A provider's answer: the text to parse, its token counts and how long it took."""

    text: str
    tokens_in: int
    tokens_out: int
    model: str
    provider: str
    latency_ms: float
    stop_reason: str | None = None
    """As the provider said it (`stop`, `length`, `tool_use`, `max_tokens`, …)."""


class ProviderError(Exception):
    """One failed attempt. `retry_after` is in seconds, when the provider said when to return."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind: ErrorKind = kind
        self.message = message
        self.retry_after = retry_after
        self.status = status

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    def __repr__(self) -> str:
        return (
            f"ProviderError({self.kind!r}, {self.message!r}, "
            f"retry_after={self.retry_after!r}, status={self.status!r})"
        )


class Provider(Protocol):
    """An LLM client: one attempt per call, raising `ProviderError` on failure."""

    name: str
    model: str

    def complete(self, prompt: Prompt, timeout: float) -> Completion: ...


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta-seconds or an HTTP date.

    >>> parse_retry_after("7", now=0.0)
    7.0
    >>> parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", now=30.0)
    30.0
    >>> parse_retry_after("soon", now=0.0) is None
    True
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - now
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
