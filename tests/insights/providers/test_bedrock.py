"""The Bedrock Converse client: botocore's Stubber for the API's answers and errors, and a real
local server for what only the wire shows (no botocore retries, timeouts, refused connections)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.insights.providers.server import (
    FakeLLM,
    Reply,
    converse,
    converse_tool,
    refused_url,
)
from vigila.clock import ManualClock
from vigila.insights.parse import parse_draft
from vigila.insights.providers import Prompt, ProviderError
from vigila.insights.providers.bedrock import DEFAULT_MODEL, BedrockProvider, request_params

PROMPT = Prompt(system="You are a fabric SRE.", user="latency_p99 9.8 us")


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Fixed fake credentials; no profile files, no instance metadata."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def stub() -> Iterator[tuple[BedrockProvider, Stubber]]:
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield BedrockProvider(client=client, clock=ManualClock(0.0)), stubber
        stubber.assert_no_pending_responses()


def fails(provider: BedrockProvider, timeout: float = 2.0) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        provider.complete(PROMPT, timeout=timeout)
    return caught.value


def test_tool_use_is_the_text(stub: tuple[BedrockProvider, Stubber], draft: dict) -> None:
    provider, stubber = stub
    stubber.add_response(
        "converse", converse(converse_tool(draft)), request_params(DEFAULT_MODEL, PROMPT)
    )
    completion = provider.complete(PROMPT, timeout=2.0)
    assert json.loads(completion.text) == draft
    assert (completion.tokens_in, completion.tokens_out, completion.stop_reason) == (
        280,
        88,
        "tool_use",
    )
    assert (completion.provider, completion.model) == ("bedrock", DEFAULT_MODEL)
    assert parse_draft(completion.text).ok


def test_request_forces_the_tool_at_temperature_0_3() -> None:
    params = request_params(DEFAULT_MODEL, PROMPT)
    assert params["modelId"] == "anthropic.claude-3-5-haiku-20241022-v1:0"
    assert params["inferenceConfig"]["temperature"] == 0.3
    assert params["toolConfig"]["toolChoice"] == {"tool": {"name": "record_insight"}}
    assert params["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"] == {
        "json": PROMPT.json_schema
    }


def test_text_answer_is_the_fallback(stub: tuple[BedrockProvider, Stubber], draft: dict) -> None:
    provider, stubber = stub
    stubber.add_response("converse", converse({"text": f"Insight: {json.dumps(draft)}"}))
    result = parse_draft(provider.complete(PROMPT, timeout=2.0).text)
    assert result.ok and result.found == "prose"


def test_empty_answer_is_bad_response(stub: tuple[BedrockProvider, Stubber]) -> None:
    provider, stubber = stub
    stubber.add_response("converse", converse(stop="max_tokens"))
    assert fails(provider).kind == "bad_response"


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ThrottlingException", 429, "rate_limited"),
        ("ServiceQuotaExceededException", 400, "rate_limited"),
        ("ModelTimeoutException", 408, "timeout"),
        ("ServiceUnavailableException", 503, "server"),
        ("InternalServerException", 500, "server"),
        ("ValidationException", 400, "bad_request"),
        ("AccessDeniedException", 403, "bad_request"),
        ("SomethingNewException", 502, "server"),
        ("SomethingElseException", 429, "rate_limited"),
        ("AnotherException", 404, "bad_request"),
    ],
)
def test_errors_by_code(
    stub: tuple[BedrockProvider, Stubber], code: str, status: int, kind: str
) -> None:
    provider, stubber = stub
    stubber.add_client_error("converse", code, f"{code} happened", http_status_code=status)
    err = fails(provider)
    assert (err.kind, err.status) == (kind, status)
    assert err.message == f"{code}: {code} happened"


def test_throttling_carries_retry_after(stub: tuple[BedrockProvider, Stubber]) -> None:
    provider, stubber = stub
    stubber.add_client_error(
        "converse",
        "ThrottlingException",
        "Too many requests",
        http_status_code=429,
        response_meta={"HTTPHeaders": {"retry-after": "4"}},
    )
    stubber.add_client_error("converse", "ThrottlingException", http_status_code=429)
    assert [fails(provider).retry_after for _ in range(2)] == [4.0, None]


@pytest.fixture
def wire(llm: FakeLLM) -> Iterator[BedrockProvider]:
    provider = BedrockProvider(region="us-east-1", endpoint_url=llm.url, clock=ManualClock(0.0))
    yield provider
    provider.close()


def test_over_the_wire(llm: FakeLLM, wire: BedrockProvider, draft: dict) -> None:
    llm.script(Reply(body=converse(converse_tool(draft))))
    completion = wire.complete(PROMPT, timeout=2.0)
    assert json.loads(completion.text) == draft
    (request,) = llm.requests
    assert request.path == "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse"
    assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256")
    assert request.body["toolConfig"]["toolChoice"] == {"tool": {"name": "record_insight"}}


def test_server_error_is_not_retried_by_botocore(llm: FakeLLM, wire: BedrockProvider) -> None:
    headers = {"x-amzn-errortype": "ServiceUnavailableException", "retry-after": "6"}
    llm.script(Reply(503, {"message": "Bedrock is unavailable"}, headers), Reply(503, {}))
    err = fails(wire)
    assert (err.kind, err.status, err.retry_after) == ("server", 503, 6.0)
    assert len(llm.requests) == 1


def test_slow_answer_times_out_then_a_longer_timeout_succeeds(
    llm: FakeLLM, wire: BedrockProvider, draft: dict
) -> None:
    llm.script(Reply(body=converse(converse_tool(draft)), delay=1.0))
    assert fails(wire, timeout=0.2).kind == "timeout"
    llm.script(Reply(body=converse(converse_tool(draft))))
    assert wire.complete(PROMPT, timeout=2.0).tokens_out == 88


def test_refused_connection() -> None:
    provider = BedrockProvider(region="us-east-1", endpoint_url=refused_url())
    assert fails(provider).kind == "connection"


def test_closed_connection(llm: FakeLLM, wire: BedrockProvider) -> None:
    llm.script(Reply(close=True))
    assert fails(wire).kind == "connection"
