"""The shared surface: Retry-After, the Draft schema, error kinds, the provider factory."""

from __future__ import annotations

from email.utils import formatdate

import msgspec
import pytest

from vigila.insights.model import Draft
from vigila.insights.providers import (
    RETRYABLE,
    Prompt,
    ProviderError,
    draft_schema,
    make_provider,
)
from vigila.insights.providers.anthropic import AnthropicProvider
from vigila.insights.providers.base import parse_retry_after
from vigila.insights.providers.bedrock import BedrockProvider
from vigila.insights.providers.http import error_detail
from vigila.insights.providers.openai import OpenAIProvider

T0 = 1_790_000_000.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-4", 0.0),
        (formatdate(T0 + 90, usegmt=True), 90.0),
        (formatdate(T0 - 90, usegmt=True), 0.0),
        (formatdate(T0 + 30, usegmt=True).removesuffix(" GMT"), 30.0),  # no zone: UTC
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, T0) == seconds


def test_draft_schema_is_the_draft_inlined() -> None:
    schema = draft_schema()
    assert "$ref" not in str(schema) and schema == msgspec.json.schema(Draft)["$defs"]["Draft"]
    assert set(schema["required"]) == set(Draft.__struct_fields__)
    assert Prompt(system="s", user="u").json_schema == schema


def test_retryable_kinds() -> None:
    assert {"rate_limited", "server", "timeout", "connection"} == RETRYABLE
    assert not ProviderError("bad_response", "x").retryable
    err = ProviderError("server", "HTTP 503", 4.0, 503)
    assert (str(err), err.retry_after, err.status) == ("server: HTTP 503", 4.0, 503)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"error": {"message": "model not found"}}', "model not found"),
        (b'{"error": "model \\"x\\" not found"}', 'model "x" not found'),
        (b'{"message": "The security token is invalid"}', "The security token is invalid"),
        (b"", "(empty body)"),
        (b"x" * 1000, "x" * 300),
    ],
)
def test_error_detail(body: bytes, detail: str) -> None:
    assert error_detail(body) == detail


def test_make_provider_by_name() -> None:
    assert make_provider("none") is None
    openai = make_provider("openai", base_url="http://127.0.0.1:8000/v1", api_key="k")
    assert isinstance(openai, OpenAIProvider) and openai.model == "gpt-4o-mini"
    anthropic = make_provider("anthropic", model="claude-3-5-haiku-latest")
    assert isinstance(anthropic, AnthropicProvider) and anthropic.model == "claude-3-5-haiku-latest"
    bedrock = make_provider("bedrock", region="us-east-1")
    assert isinstance(bedrock, BedrockProvider)
    assert bedrock.model == "anthropic.claude-3-5-haiku-20241022-v1:0"


def test_make_provider_refuses_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown AI provider 'gemini'"):
        make_provider("gemini")  # type: ignore[arg-type]
