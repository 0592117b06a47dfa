"""LLM clients that turn a `Prompt` into a `Completion`, one attempt each.

>>> make_provider("none") is None
True
>>> provider = make_provider("openai", base_url="http://127.0.0.1:11434/v1", model="llama3.2")
>>> provider.name, provider.model
('openai', 'llama3.2')
"""

from __future__ import annotations

from typing import Literal

from vigila.insights.providers.base import (
    RETRYABLE,
    Completion,
    ErrorKind,
    Prompt,
    Provider,
    ProviderError,
    draft_schema,
)

ProviderName = Literal["none", "openai", "anthropic", "bedrock"]

__all__ = [
    "RETRYABLE",
    "Completion",
    "ErrorKind",
    "Prompt",
    "Provider",
    "ProviderError",
    "ProviderName",
    "draft_schema",
    "make_provider",
]


def make_provider(
    name: ProviderName,
    *,
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    region: str | None = None,
) -> Provider | None:
    """The client named by `VIGILA_AI_PROVIDER`, with the defaults of each for what is unset;
    `None` for `none`. For Bedrock, `base_url` is an endpoint override."""
    if name == "none":
        return None
    if name == "openai":
        from vigila.insights.providers import openai

        return openai.OpenAIProvider(
            base_url=base_url or openai.DEFAULT_BASE_URL,
            model=model or openai.DEFAULT_MODEL,
            api_key=api_key,
        )
    if name == "anthropic":
        from vigila.insights.providers import anthropic

        return anthropic.AnthropicProvider(
            base_url=base_url or anthropic.DEFAULT_BASE_URL,
            model=model or anthropic.DEFAULT_MODEL,
            api_key=api_key,
        )
    if name == "bedrock":
        from vigila.insights.providers import bedrock

        return bedrock.BedrockProvider(
            model=model or bedrock.DEFAULT_MODEL, region=region, endpoint_url=base_url
        )
    raise ValueError(
        f"unknown AI provider {name!r}: expected one of none, openai, anthropic, bedrock"
    )
