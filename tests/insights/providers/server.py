"""A real local LLM server for tests: answers as scripted, and misbehaves on demand.

It speaks whatever the script says on any POST path, so one server plays an
OpenAI-compatible server, the Anthropic Messages API or Bedrock Converse. The
body builders below shape answers as each of those does.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import msgspec

DRAFT: dict[str, Any] = {
    "prediction_type": "latency_spike",
    "risk_score": 62,
    "explanation": "latency_p99 9.8 us is 277% above its 2.6 us baseline",
    "recommendations": ["Check HCA firmware", "Inspect the switch port"],
    "confidence": 0.8,
}
"""A valid insight, as an LLM should answer it."""


@dataclass
class Reply:
    """One scripted answer. `close` hangs up without answering; `reset` aborts the
    connection (RST); `delay` waits before answering; `trickle` sends the body a byte
    at a time, `trickle` seconds apart."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    trickle: float = 0.0
    close: bool = False
    reset: bool = False


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: Any


Script = Reply | Callable[[Request], Reply]


class FakeLLM:
    """`script(...)` queues answers (a `Reply`, or a function of the `Request`); an
    unscripted request gets a 500. Every request is kept in `requests`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._script: deque[Script] = deque()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                request = Request(
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    msgspec.json.decode(raw) if raw else None,
                )
                server.requests.append(request)
                step = server._script.popleft() if server._script else Reply(500, "unscripted")
                server._answer(self, step(request) if callable(step) else step)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients that gave up on a slow answer are expected here

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *steps: Script) -> None:
        self._script.extend(steps)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        if reply.reset:
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.rfile.close()  # the socket closes only once its files are closed
            handler.wfile.close()
            handler.connection.close()
            return
        if reply.close:
            handler.close_connection = True
            return
        body = reply.body if isinstance(reply.body, bytes) else msgspec.json.encode(reply.body)
        handler.send_response(reply.status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(body)))
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if not reply.trickle:
            handler.wfile.write(body)
            return
        for i in range(len(body)):
            handler.wfile.write(body[i : i + 1])
            handler.wfile.flush()
            time.sleep(reply.trickle)


def refused_url() -> str:
    """A local URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def chat(
    text: str | list[dict[str, str]] | None,
    *,
    finish: str = "stop",
    usage: tuple[int, int] = (120, 45),
    **message: Any,
) -> dict[str, Any]:
    """An OpenAI chat-completions answer."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "qwen2.5-7b-instruct",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, **message},
                "finish_reason": finish,
            }
        ],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    }


def messages(*blocks: dict[str, Any], stop: str = "tool_use") -> dict[str, Any]:
    """An Anthropic Messages answer made of `blocks`."""
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-5-haiku-20241022",
        "content": list(blocks),
        "stop_reason": stop,
        "usage": {"input_tokens": 310, "output_tokens": 96},
    }


def tool_use(value: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": "toolu_1", "name": "record_insight", "input": value}


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def converse(*blocks: dict[str, Any], stop: str = "tool_use") -> dict[str, Any]:
    """A Bedrock Converse answer made of `blocks`."""
    return {
        "output": {"message": {"role": "assistant", "content": list(blocks)}},
        "stopReason": stop,
        "usage": {"inputTokens": 280, "outputTokens": 88, "totalTokens": 368},
        "metrics": {"latencyMs": 640},
    }


def converse_tool(value: Any) -> dict[str, Any]:
    return {"toolUse": {"toolUseId": "tooluse_1", "name": "record_insight", "input": value}}
