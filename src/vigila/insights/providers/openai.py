"""OpenAI-compatible chat completions: OpenAI, vLLM, llama.cpp server, Ollama, LM Studio.

Structured output is asked for with `response_format` `json_schema` (strict).
A server that refuses it with a 400 naming the schema or `response_format` is
asked again at once, within the same timeout, with `json_object` and the schema
spelled out in the system message; when that answer is accepted the client
remembers and sends `json_object` from then on.

>>> provider = OpenAIProvider(base_url="http://127.0.0.1:8000/v1", model="qwen2.5-7b-instruct")
>>> provider.name, provider.response_format
('openai', 'json_schema')
>>> provider.close()
"""

from __future__ import annotations

import re
import time
from typing import Any, Literal

import httpx
import msgspec

from vigila.clock import Clock, SystemClock
from vigila.insights.providers.base import Completion, Prompt, ProviderError
from vigila.insights.providers.http import decode_reply, post_json

ResponseFormat = Literal["json_schema", "json_object"]
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o-mini"
_SCHEMA_REFUSED = re.compile(r"json_schema|response_format|schema", re.IGNORECASE)


class _Message(msgspec.Struct):
    content: str | list[dict[str, Any]] | None = None
    refusal: str | None = None


class _Choice(msgspec.Struct):
    message: _Message
    finish_reason: str | None = None


class _Usage(msgspec.Struct):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class _ChatResponse(msgspec.Struct):
    choices: list[_Choice]
    usage: _Usage | None = None
    model: str | None = None


class OpenAIProvider:
    """One `POST {base_url}/chat/completions` per call; `api_key` is sent as a bearer token."""

    name = "openai"

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        api_key: str | None = None,
        response_format: ResponseFormat = "json_schema",
        http: httpx.Client | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.model = model
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._format: ResponseFormat = response_format
        self._own_http = http is None
        self._http = http or httpx.Client()
        self._clock = clock or SystemClock()

    @property
    def response_format(self) -> ResponseFormat:
        """What the next call asks for; `json_object` once the server refused `json_schema`."""
        return self._format

    def complete(self, prompt: Prompt, timeout: float) -> Completion:
        start = time.perf_counter()
        try:
            data = self._post(prompt, self._format, timeout)
        except ProviderError as exc:
            if not self._schema_refused(exc):
                raise
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                raise ProviderError(
                    "timeout", f"{self._url}: no time left to retry without json_schema"
                ) from None
            data = self._post(prompt, "json_object", left)
            self._format = "json_object"
        latency_ms = (time.perf_counter() - start) * 1000
        return self._completion(decode_reply(data, _ChatResponse, self.name), latency_ms)

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def _schema_refused(self, exc: ProviderError) -> bool:
        return (
            self._format == "json_schema"
            and exc.status == 400
            and _SCHEMA_REFUSED.search(exc.message) is not None
        )

    def _post(self, prompt: Prompt, fmt: ResponseFormat, timeout: float) -> bytes:
        return post_json(
            self._http,
            self._url,
            request_body(self.model, prompt, fmt),
            headers=self._headers,
            timeout=timeout,
            clock=self._clock,
        )

    def _completion(self, reply: _ChatResponse, latency_ms: float) -> Completion:
        if not reply.choices:
            raise ProviderError(
                "bad_response", f"{self._url}: no choices in the answer", status=200
            )
        choice = reply.choices[0]
        text = _text(choice.message.content)
        if not text.strip():
            why = (
                f"refused: {choice.message.refusal}"
                if choice.message.refusal
                else f"empty content (finish_reason {choice.finish_reason})"
            )
            raise ProviderError("bad_response", f"{self._url}: {why}", status=200)
        usage = reply.usage or _Usage()
        return Completion(
            text=text,
            tokens_in=usage.prompt_tokens,
            tokens_out=usage.completion_tokens,
            model=reply.model or self.model,
            provider=self.name,
            latency_ms=latency_ms,
            stop_reason=choice.finish_reason,
        )


def request_body(model: str, prompt: Prompt, fmt: ResponseFormat) -> dict[str, Any]:
    """The chat-completions request for `prompt`.

    >>> body = request_body("gpt-4o-mini", Prompt(system="s", user="u"), "json_schema")
    >>> wanted = body["response_format"]["json_schema"]
    >>> wanted["name"], wanted["strict"]
    ('insight', True)
    >>> request_body("gpt-4o-mini", Prompt(system="s", user="u"), "json_object")["response_format"]
    {'type': 'json_object'}
    """
    system = prompt.system
    if fmt == "json_schema":
        response_format: dict[str, Any] = {
            "type": "json_schema",
            "json_schema": {"name": "insight", "schema": prompt.json_schema, "strict": True},
        }
    else:
        # Without a schema the model only knows the shape if it is told.
        schema = msgspec.json.encode(prompt.json_schema).decode()
        system += f"\n\nAnswer with one JSON object that follows this JSON Schema:\n{schema}"
        response_format = {"type": "json_object"}
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": prompt.user},
        ],
        "max_tokens": prompt.max_tokens,
        "temperature": prompt.temperature,
        "response_format": response_format,
    }


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, list):  # content parts, as some servers answer
        return "".join(str(part.get("text", "")) for part in content if part.get("type") == "text")
    return content or ""
