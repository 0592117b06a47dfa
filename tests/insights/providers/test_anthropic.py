"""The Anthropic Messages client against a real local server that misbehaves on demand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.utils import formatdate

import pytest

from tests.insights.providers.server import (
    FakeLLM,
    Reply,
    messages,
    refused_url,
    text_block,
    tool_use,
)
from vigila.clock import ManualClock
from vigila.insights.parse import parse_draft
from vigila.insights.providers import Prompt, ProviderError, draft_schema
from vigila.insights.providers.anthropic import AnthropicProvider

T0 = 1_790_000_000.0
PROMPT = Prompt(system="You are a fabric SRE.", user="latency_p99 9.8 us", max_tokens=512)


@pytest.fixture
def provider(llm: FakeLLM) -> Iterator[AnthropicProvider]:
    client = AnthropicProvider(base_url=llm.url, api_key="sk-ant-test", clock=ManualClock(T0))
    yield client
    client.close()


def fails(provider: AnthropicProvider, timeout: float = 2.0) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        provider.complete(PROMPT, timeout=timeout)
    return caught.value


def test_tool_use_input_is_the_text(llm: FakeLLM, provider: AnthropicProvider, draft: dict) -> None:
    llm.script(Reply(body=messages(text_block("Recording it."), tool_use(draft))))
    completion = provider.complete(PROMPT, timeout=2.0)
    assert json.loads(completion.text) == draft
    assert (completion.tokens_in, completion.tokens_out, completion.stop_reason) == (
        310,
        96,
        "tool_use",
    )
    assert (completion.provider, completion.model) == ("anthropic", "claude-3-5-haiku-20241022")
    assert parse_draft(completion.text).ok


def test_request_forces_the_tool(llm: FakeLLM, provider: AnthropicProvider, draft: dict) -> None:
    llm.script(Reply(body=messages(tool_use(draft))))
    provider.complete(PROMPT, timeout=2.0)
    (request,) = llm.requests
    assert request.path == "/v1/messages"
    assert request.headers["x-api-key"] == "sk-ant-test"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.body["tool_choice"] == {"type": "tool", "name": "record_insight"}
    assert request.body["tools"][0]["input_schema"] == draft_schema()
    assert (request.body["system"], request.body["max_tokens"]) == (PROMPT.system, 512)
    assert request.body["messages"] == [{"role": "user", "content": PROMPT.user}]


def test_text_answer_is_the_fallback(
    llm: FakeLLM, provider: AnthropicProvider, draft: dict
) -> None:
    answer = f"Here it is:\n```json\n{json.dumps(draft)}\n```"
    llm.script(Reply(body=messages(text_block(answer), stop="end_turn")))
    completion = provider.complete(PROMPT, timeout=2.0)
    assert completion.text == answer
    assert parse_draft(completion.text).found == "fenced"


def test_tool_input_out_of_range_is_repaired(
    llm: FakeLLM, provider: AnthropicProvider, draft: dict
) -> None:
    llm.script(Reply(body=messages(tool_use(draft | {"risk_score": -5, "confidence": 1.4}))))
    result = parse_draft(provider.complete(PROMPT, timeout=2.0).text)
    assert (result.draft.risk_score, result.draft.confidence) == (0, 1.0)
    assert result.repaired == ["risk_score -5 clamped to 0", "confidence 1.4 clamped to 1.0"]


def test_tool_input_with_wrong_types_is_rejected(
    llm: FakeLLM, provider: AnthropicProvider, draft: dict
) -> None:
    llm.script(Reply(body=messages(tool_use(draft | {"confidence": "high"}))))
    result = parse_draft(provider.complete(PROMPT, timeout=2.0).text)
    assert result.draft is None and "`$.confidence`" in result.error


def test_neither_tool_nor_text_is_bad_response(llm: FakeLLM, provider: AnthropicProvider) -> None:
    llm.script(Reply(body=messages(stop="max_tokens")))
    err = fails(provider)
    assert err.kind == "bad_response" and "stop_reason max_tokens" in err.message


def test_429_with_retry_after(llm: FakeLLM, provider: AnthropicProvider) -> None:
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "Too many"}}
    llm.script(Reply(429, body, {"retry-after": formatdate(T0 + 12, usegmt=True)}))
    err = fails(provider)
    assert (err.kind, err.retry_after, err.status) == ("rate_limited", 12.0, 429)
    assert "Too many" in err.message


def test_529_overloaded_is_server(llm: FakeLLM, provider: AnthropicProvider) -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    llm.script(Reply(529, body))
    err = fails(provider)
    assert (err.kind, err.status, err.retry_after) == ("server", 529, None)


def test_invalid_request_is_bad_request(llm: FakeLLM, provider: AnthropicProvider) -> None:
    body = {"type": "error", "error": {"type": "invalid_request_error", "message": "bad model"}}
    llm.script(Reply(400, body))
    assert (fails(provider).kind, len(llm.requests)) == ("bad_request", 1)


def test_slow_answer_times_out(llm: FakeLLM, provider: AnthropicProvider, draft: dict) -> None:
    llm.script(Reply(body=messages(tool_use(draft)), delay=1.0))
    assert fails(provider, timeout=0.2).kind == "timeout"


def test_closed_connection(llm: FakeLLM, provider: AnthropicProvider) -> None:
    llm.script(Reply(close=True))
    assert fails(provider).kind == "connection"


def test_refused_connection() -> None:
    assert fails(AnthropicProvider(base_url=refused_url())).kind == "connection"
