"""Anthropic Messages API, with the insight as the input of a forced tool call.

The model is made to call `record_insight`, whose `input_schema` is the Draft
schema; the call's input, as JSON text, is what the parser reads. A model that
answers in text instead is read from its text blocks.

>>> provider = AnthropicProvider(api_key="sk-ant-example")
>>> provider.name, provider.model
('anthropic', 'claude-3-5-haiku-20241022')
>>> provider.close()
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import msgspec

from vigila.clock import Clock, SystemClock
from vigila.insights.providers.base import (
    TOOL_DESCRIPTION,
    TOOL_NAME,
    Completion,
    Prompt,
    ProviderError,
)
from vigila.insights.providers.http import decode_reply, post_json

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_MODEL = "claude-3-5-haiku-20241022"
API_VERSION = "2023-06-01"


class _Block(msgspec.Struct):
    type: str
    text: str = ""
    name: str = ""
    input: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)


class _Usage(msgspec.Struct):
    input_tokens: int = 0
    output_tokens: int = 0


class _MessagesResponse(msgspec.Struct):
    content: list[_Block]
    usage: _Usage | None = None
    model: str | None = None
    stop_reason: str | None = None


class AnthropicProvider:
    """One `POST {base_url}/v1/messages` per call, authenticated by `x-api-key`."""

    name = "anthropic"

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        api_key: str | None = None,
        http: httpx.Client | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.model = model
        self._url = base_url.rstrip("/") + "/v1/messages"
        self._headers = {"anthropic-version": API_VERSION}
        if api_key:
            self._headers["x-api-key"] = api_key
        self._own_http = http is None
        self._http = http or httpx.Client()
        self._clock = clock or SystemClock()

    def complete(self, prompt: Prompt, timeout: float) -> Completion:
        start = time.perf_counter()
        data = post_json(
            self._http,
            self._url,
            request_body(self.model, prompt),
            headers=self._headers,
            timeout=timeout,
            clock=self._clock,
        )
        latency_ms = (time.perf_counter() - start) * 1000
        reply = decode_reply(data, _MessagesResponse, self.name)
        text = answer_text(reply.content)
        if not text.strip():
            raise ProviderError(
                "bad_response",
                f"{self._url}: neither a {TOOL_NAME} call nor "
                f"text (stop_reason {reply.stop_reason})",
                status=200,
            )
        usage = reply.usage or _Usage()
        return Completion(
            text=text,
            tokens_in=usage.input_tokens,
            tokens_out=usage.output_tokens,
            model=reply.model or self.model,
            provider=self.name,
            latency_ms=latency_ms,
            stop_reason=reply.stop_reason,
        )

    def close(self) -> None:
        if self._own_http:
            self._http.close()


def request_body(model: str, prompt: Prompt) -> dict[str, Any]:
    """The Messages request for `prompt`, forcing a `record_insight` tool call.

    >>> body = request_body("claude-3-5-haiku-20241022", Prompt(system="s", user="u"))
    >>> body["tool_choice"], body["tools"][0]["input_schema"]["type"]
    ({'type': 'tool', 'name': 'record_insight'}, 'object')
    """
    return {
        "model": model,
        "max_tokens": prompt.max_tokens,
        "temperature": prompt.temperature,
        "system": prompt.system,
        "messages": [{"role": "user", "content": prompt.user}],
        "tools": [
            {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "input_schema": prompt.json_schema}
        ],
        "tool_choice": {"type": "tool", "name": TOOL_NAME},
    }


def answer_text(blocks: list[_Block]) -> str:
    """The `record_insight` input as JSON text, else the text blocks joined."""
    for block in blocks:
        if block.type == "tool_use" and block.name == TOOL_NAME and len(block.input):
            return bytes(block.input).decode()
    return "".join(block.text for block in blocks if block.type == "text")
