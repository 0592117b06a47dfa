"""Amazon Bedrock Converse, with the insight as the input of a forced tool call.

Credentials and region come from boto3's usual chain (environment, profile,
instance role). botocore's own retries are turned off: one call, one attempt.

>>> provider = BedrockProvider(region="us-east-1")
>>> provider.name, provider.model
('bedrock', 'anthropic.claude-3-5-haiku-20241022-v1:0')
"""

from __future__ import annotations

import threading
import time
from typing import Any

import msgspec
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    HTTPClientError,
    ReadTimeoutError,
)

from vigila.clock import Clock, SystemClock
from vigila.insights.providers.base import (
    TOOL_DESCRIPTION,
    TOOL_NAME,
    Completion,
    ErrorKind,
    Prompt,
    ProviderError,
    parse_retry_after,
)

DEFAULT_MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
ERROR_KINDS: dict[str, ErrorKind] = {
    "ThrottlingException": "rate_limited",
    "ServiceQuotaExceededException": "rate_limited",
    "ModelTimeoutException": "timeout",
    "ServiceUnavailableException": "server",
    "InternalServerException": "server",
    "ModelNotReadyException": "server",
    "ModelErrorException": "server",
    "ValidationException": "bad_request",
    "AccessDeniedException": "bad_request",
    "ResourceNotFoundException": "bad_request",
}
"""Bedrock error codes by kind; an unlisted code is sorted by its HTTP status."""


class _ToolUse(msgspec.Struct):
    name: str
    input: Any


class _Block(msgspec.Struct, rename="camel"):
    text: str = ""
    tool_use: _ToolUse | None = None


class _Message(msgspec.Struct):
    content: list[_Block]


class _Output(msgspec.Struct):
    message: _Message


class _Usage(msgspec.Struct, rename="camel"):
    input_tokens: int = 0
    output_tokens: int = 0


class _ConverseResponse(msgspec.Struct, rename="camel"):
    output: _Output
    usage: _Usage | None = None
    stop_reason: str | None = None


class BedrockProvider:
    """One `bedrock-runtime` `converse()` per call. `client` replaces the one built here
    (for a `Stubber`, or a client configured elsewhere); its timeouts are then its own."""

    name = "bedrock"

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        region: str | None = None,
        endpoint_url: str | None = None,
        client: Any = None,
        clock: Clock | None = None,
    ) -> None:
        self.model = model
        self._region = region
        self._endpoint_url = endpoint_url
        self._client = client
        self._clients: dict[float, Any] = {}
        self._lock = threading.Lock()
        self._clock = clock or SystemClock()

    def complete(self, prompt: Prompt, timeout: float) -> Completion:
        client = self._client_for(timeout)
        start = time.perf_counter()
        try:
            response = client.converse(**request_params(self.model, prompt))
        except (ClientError, BotoCoreError) as exc:
            raise provider_error(exc, self._clock.now()) from None
        latency_ms = (time.perf_counter() - start) * 1000
        try:
            reply = msgspec.convert(response, _ConverseResponse)
        except msgspec.ValidationError as exc:
            raise ProviderError(
                "bad_response", f"converse answered with an unusable body: {exc}", status=200
            ) from None
        text = answer_text(reply.output.message.content)
        if not text.strip():
            raise ProviderError(
                "bad_response",
                f"converse: neither a {TOOL_NAME} call nor text (stopReason {reply.stop_reason})",
                status=200,
            )
        usage = reply.usage or _Usage()
        return Completion(
            text=text,
            tokens_in=usage.input_tokens,
            tokens_out=usage.output_tokens,
            model=self.model,
            provider=self.name,
            latency_ms=latency_ms,
            stop_reason=reply.stop_reason,
        )

    def close(self) -> None:
        """Close the clients built here; a client passed in is its owner's to close."""
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def _client_for(self, timeout: float) -> Any:
        # botocore fixes timeouts per client, so there is one client per timeout in use.
        if self._client is not None:
            return self._client
        with self._lock:
            if timeout not in self._clients:
                import boto3  # slow to import; only Bedrock users pay for it

                config = Config(
                    connect_timeout=timeout,
                    read_timeout=timeout,
                    retries={"total_max_attempts": 1, "mode": "standard"},
                )
                self._clients[timeout] = boto3.client(
                    "bedrock-runtime",
                    region_name=self._region,
                    endpoint_url=self._endpoint_url,
                    config=config,
                )
            return self._clients[timeout]


def request_params(model: str, prompt: Prompt) -> dict[str, Any]:
    """The `converse()` arguments for `prompt`, forcing a `record_insight` tool call.

    >>> params = request_params(DEFAULT_MODEL, Prompt(system="s", user="u"))
    >>> params["inferenceConfig"], params["toolConfig"]["toolChoice"]
    ({'maxTokens': 600, 'temperature': 0.3}, {'tool': {'name': 'record_insight'}})
    """
    spec = {
        "name": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "inputSchema": {"json": prompt.json_schema},
    }
    return {
        "modelId": model,
        "system": [{"text": prompt.system}],
        "messages": [{"role": "user", "content": [{"text": prompt.user}]}],
        "inferenceConfig": {"maxTokens": prompt.max_tokens, "temperature": prompt.temperature},
        "toolConfig": {"tools": [{"toolSpec": spec}], "toolChoice": {"tool": {"name": TOOL_NAME}}},
    }


def answer_text(blocks: list[_Block]) -> str:
    """The `record_insight` input as JSON text, else the text blocks joined."""
    for block in blocks:
        if block.tool_use is not None and block.tool_use.name == TOOL_NAME:
            return msgspec.json.encode(block.tool_use.input).decode()
    return "".join(block.text for block in blocks)


def provider_error(exc: ClientError | BotoCoreError, now: float) -> ProviderError:
    """Sort a botocore failure into a `ProviderError` kind."""
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
        return ProviderError("timeout", str(exc))
    if isinstance(exc, (ConnectionError, HTTPClientError)):
        return ProviderError("connection", str(exc))
    if isinstance(exc, BotoCoreError):  # no credentials, no region, bad parameters
        return ProviderError("bad_request", str(exc))
    error = exc.response.get("Error", {})
    meta = exc.response.get("ResponseMetadata", {})
    status = meta.get("HTTPStatusCode")
    kind = ERROR_KINDS.get(error.get("Code", ""))
    if kind is None:
        kind = (
            "rate_limited" if status == 429 else "server" if (status or 0) >= 500 else "bad_request"
        )
    retry_after = None
    if kind in ("rate_limited", "server"):
        retry_after = parse_retry_after(meta.get("HTTPHeaders", {}).get("retry-after"), now)
    message = f"{error.get('Code', 'Error')}: {error.get('Message', exc)}"
    return ProviderError(kind, message, retry_after, status)
