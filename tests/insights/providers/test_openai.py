"""The OpenAI-compatible client against a real local server that misbehaves on demand."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest

from tests.insights.providers.server import FakeLLM, Reply, Request, chat, refused_url
from vigila.clock import ManualClock
from vigila.insights.parse import parse_draft
from vigila.insights.providers import Prompt, ProviderError, draft_schema
from vigila.insights.providers.http import MAX_RESPONSE_BYTES
from vigila.insights.providers.openai import OpenAIProvider

T0 = 1_790_000_000.0
PROMPT = Prompt(system="You are a fabric SRE. Answer in JSON.", user="latency_p99 9.8 us")


@pytest.fixture
def provider(llm: FakeLLM) -> Iterator[OpenAIProvider]:
    client = OpenAIProvider(
        base_url=f"{llm.url}/v1",
        model="qwen2.5-7b-instruct",
        api_key="sk-test",
        clock=ManualClock(T0),
    )
    yield client
    client.close()


def fails(provider: OpenAIProvider, timeout: float = 2.0) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        provider.complete(PROMPT, timeout=timeout)
    return caught.value


def test_valid_json_is_a_completion(llm: FakeLLM, provider: OpenAIProvider, draft: dict) -> None:
    llm.script(Reply(body=chat(json.dumps(draft))))
    completion = provider.complete(PROMPT, timeout=2.0)
    assert (completion.text, completion.tokens_in, completion.tokens_out) == (
        json.dumps(draft),
        120,
        45,
    )
    assert (completion.provider, completion.model, completion.stop_reason) == (
        "openai",
        "qwen2.5-7b-instruct",
        "stop",
    )
    assert completion.latency_ms > 0
    result = parse_draft(completion.text)
    assert result.ok and result.repaired == [] and result.found == "json"


def test_request_carries_the_strict_schema_and_the_key(
    llm: FakeLLM, provider: OpenAIProvider, draft: dict
) -> None:
    llm.script(Reply(body=chat(json.dumps(draft))))
    provider.complete(PROMPT, timeout=2.0)
    (request,) = llm.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "insight", "schema": draft_schema(), "strict": True},
    }
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]
    assert (request.body["max_tokens"], request.body["temperature"]) == (600, 0.3)


def test_no_api_key_sends_no_authorization(llm: FakeLLM, draft: dict) -> None:
    llm.script(Reply(body=chat(json.dumps(draft))))
    OpenAIProvider(base_url=f"{llm.url}/v1/", model="llama3.2").complete(PROMPT, timeout=2.0)
    assert "authorization" not in llm.requests[0].headers
    assert llm.requests[0].path == "/v1/chat/completions"


def test_fenced_json_parses(llm: FakeLLM, provider: OpenAIProvider, draft: dict) -> None:
    llm.script(Reply(body=chat(f"```json\n{json.dumps(draft, indent=2)}\n```")))
    result = parse_draft(provider.complete(PROMPT, timeout=2.0).text)
    assert result.ok and result.found == "fenced"


def test_prose_around_json_parses(llm: FakeLLM, provider: OpenAIProvider, draft: dict) -> None:
    llm.script(Reply(body=chat(f"Sure! Here is the insight: {json.dumps(draft)} Hope it helps.")))
    result = parse_draft(provider.complete(PROMPT, timeout=2.0).text)
    assert result.ok and result.found == "prose"


def test_truncated_json_is_a_completion_the_parser_rejects(
    llm: FakeLLM, provider: OpenAIProvider, draft: dict
) -> None:
    llm.script(Reply(body=chat(json.dumps(draft)[:70], finish="length")))
    completion = provider.complete(PROMPT, timeout=2.0)
    assert completion.stop_reason == "length"
    result = parse_draft(completion.text)
    assert result.draft is None and "truncated" in result.error


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"risk_score": "high"}, "$.risk_score"),
        ({"recommendations": "Check HCA firmware"}, "$.recommendations"),
        ({"prediction_type": "solar_flare"}, "$.prediction_type"),
    ],
)
def test_wrong_answers_are_rejected_with_the_path(
    llm: FakeLLM, provider: OpenAIProvider, draft: dict, change: dict, path: str
) -> None:
    llm.script(Reply(body=chat(json.dumps(draft | change))))
    result = parse_draft(provider.complete(PROMPT, timeout=2.0).text)
    assert result.draft is None and f"`{path}`" in result.error


def test_out_of_range_risk_is_repaired(llm: FakeLLM, provider: OpenAIProvider, draft: dict) -> None:
    llm.script(Reply(body=chat(json.dumps(draft | {"risk_score": 140}))))
    result = parse_draft(provider.complete(PROMPT, timeout=2.0).text)
    assert result.draft.risk_score == 100
    assert result.repaired == ["risk_score 140 clamped to 100"]


def test_429_with_retry_after_seconds(llm: FakeLLM, provider: OpenAIProvider) -> None:
    body = {"error": {"message": "Rate limit reached for requests", "type": "requests"}}
    llm.script(Reply(429, body, {"retry-after": "7"}))
    err = fails(provider)
    assert (err.kind, err.retry_after, err.status, err.retryable) == (
        "rate_limited",
        7.0,
        429,
        True,
    )
    assert "Rate limit reached" in err.message


def test_429_with_retry_after_http_date(llm: FakeLLM, provider: OpenAIProvider) -> None:
    llm.script(Reply(429, {"error": "busy"}, {"retry-after": formatdate(T0 + 90, usegmt=True)}))
    err = fails(provider)
    assert (err.kind, err.retry_after) == ("rate_limited", 90.0)


def test_429_prefers_retry_after_ms(llm: FakeLLM, provider: OpenAIProvider) -> None:
    llm.script(Reply(429, {}, {"retry-after": "2", "retry-after-ms": "1500"}))
    assert fails(provider).retry_after == 1.5


@pytest.mark.parametrize("headers", [{}, {"retry-after": "whenever"}])
def test_429_without_a_usable_retry_after(
    llm: FakeLLM, provider: OpenAIProvider, headers: dict
) -> None:
    llm.script(Reply(429, {}, headers))
    err = fails(provider)
    assert (err.kind, err.retry_after) == ("rate_limited", None)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_server(llm: FakeLLM, provider: OpenAIProvider, status: int) -> None:
    llm.script(Reply(status, b"<html>upstream down</html>", {"retry-after": "3"}))
    err = fails(provider)
    assert (err.kind, err.status, err.retry_after, err.retryable) == ("server", status, 3.0, True)
    assert "upstream down" in err.message


def test_401_is_bad_request(llm: FakeLLM, provider: OpenAIProvider) -> None:
    llm.script(Reply(401, {"error": {"message": "Incorrect API key provided"}}))
    err = fails(provider)
    assert (err.kind, err.status, err.retryable) == ("bad_request", 401, False)
    assert "Incorrect API key" in err.message


def test_slow_answer_times_out(llm: FakeLLM, provider: OpenAIProvider, draft: dict) -> None:
    llm.script(Reply(body=chat(json.dumps(draft)), delay=1.0))
    start = time.perf_counter()
    err = fails(provider, timeout=0.2)
    assert err.kind == "timeout" and err.retryable
    assert time.perf_counter() - start < 0.8


def test_trickled_answer_is_cut_at_the_deadline(
    llm: FakeLLM, provider: OpenAIProvider, draft: dict
) -> None:
    llm.script(Reply(body=chat(json.dumps(draft)), trickle=0.02))
    start = time.perf_counter()
    err = fails(provider, timeout=0.3)
    assert err.kind == "timeout" and "still arriving" in err.message
    assert time.perf_counter() - start < 0.8


def test_closed_connection(llm: FakeLLM, provider: OpenAIProvider) -> None:
    llm.script(Reply(close=True))
    err = fails(provider)
    assert (err.kind, err.status, err.retryable) == ("connection", None, True)


def test_reset_connection(llm: FakeLLM, provider: OpenAIProvider) -> None:
    llm.script(Reply(reset=True))
    assert fails(provider).kind == "connection"


def test_refused_connection() -> None:
    provider = OpenAIProvider(base_url=refused_url(), model="m")
    err = fails(provider)
    assert err.kind == "connection" and "ConnectError" in err.message


def test_bad_scheme_is_bad_request() -> None:
    assert fails(OpenAIProvider(base_url="ftp://127.0.0.1/v1")).kind == "bad_request"


def refuse_json_schema(request: Request) -> Reply:
    if request.body["response_format"]["type"] == "json_schema":
        return Reply(400, {"error": {"message": "response_format json_schema is not supported"}})
    return Reply(body=chat('{"prediction_type": "latency_spike"}'))


def test_json_schema_refused_falls_back_to_json_object_once(
    llm: FakeLLM, provider: OpenAIProvider
) -> None:
    llm.script(refuse_json_schema, refuse_json_schema, refuse_json_schema)
    completion = provider.complete(PROMPT, timeout=2.0)
    assert completion.text == '{"prediction_type": "latency_spike"}'
    assert provider.response_format == "json_object"
    assert [r.body["response_format"]["type"] for r in llm.requests] == [
        "json_schema",
        "json_object",
    ]
    system = llm.requests[1].body["messages"][0]["content"]
    assert system.startswith(PROMPT.system) and '"risk_score"' in system

    provider.complete(PROMPT, timeout=2.0)
    assert [r.body["response_format"]["type"] for r in llm.requests[2:]] == ["json_object"]


def test_json_object_can_be_chosen_up_front(llm: FakeLLM, draft: dict) -> None:
    llm.script(Reply(body=chat(json.dumps(draft))))
    provider = OpenAIProvider(base_url=llm.url, response_format="json_object")
    provider.complete(PROMPT, timeout=2.0)
    assert llm.requests[0].body["response_format"] == {"type": "json_object"}


def test_other_400_is_bad_request_without_a_second_request(
    llm: FakeLLM, provider: OpenAIProvider
) -> None:
    llm.script(Reply(400, {"error": {"message": "maximum context length is 8192 tokens"}}))
    err = fails(provider)
    assert (err.kind, err.status) == ("bad_request", 400)
    assert len(llm.requests) == 1 and provider.response_format == "json_schema"


def test_fallback_that_also_fails_is_not_remembered(llm: FakeLLM, provider: OpenAIProvider) -> None:
    refused = Reply(400, {"error": {"message": "invalid schema for response_format"}})
    llm.script(refused, Reply(400, {"error": {"message": "model not found"}}))
    err = fails(provider)
    assert err.kind == "bad_request" and "model not found" in err.message
    assert provider.response_format == "json_schema"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<html>hello</html>", "unusable body"),
        ({"choices": []}, "no choices"),
        ({"choices": None}, "unusable body"),
        (chat(None, refusal="I can't help with that"), "refused: I can't help with that"),
        (chat("  ", finish="length"), "empty content (finish_reason length)"),
    ],
)
def test_unusable_200_is_bad_response(
    llm: FakeLLM, provider: OpenAIProvider, body: Any, why: str
) -> None:
    llm.script(Reply(body=body))
    err = fails(provider)
    assert (err.kind, err.status, err.retryable) == ("bad_response", 200, False)
    assert why in err.message


def test_huge_answer_is_bad_response(llm: FakeLLM, provider: OpenAIProvider) -> None:
    llm.script(Reply(body=chat("x" * MAX_RESPONSE_BYTES)))
    assert fails(provider).kind == "bad_response"


def test_content_parts_are_joined(llm: FakeLLM, provider: OpenAIProvider) -> None:
    parts = [{"type": "text", "text": '{"a": '}, {"type": "text", "text": "1}"}]
    llm.script(Reply(body=chat(parts)))
    assert provider.complete(PROMPT, timeout=2.0).text == '{"a": 1}'


def test_missing_usage_counts_zero(llm: FakeLLM, provider: OpenAIProvider) -> None:
    body = chat("{}")
    del body["usage"], body["model"]
    llm.script(Reply(body=body))
    completion = provider.complete(PROMPT, timeout=2.0)
    assert (completion.tokens_in, completion.tokens_out, completion.model) == (
        0,
        0,
        "qwen2.5-7b-instruct",
    )
