"""Server-sent event streams that poll a source and push what it returns."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

KEEPALIVE_SECONDS = 15.0
"""A comment line this often keeps proxies from closing a quiet connection."""
RETRY_MS = 1000
"""What a client waits before it reconnects (the client backs off from there)."""


def sse_event(event: str, data: bytes, event_id: str | None = None) -> bytes:
    """One event; `data` must be a single line (compact JSON is)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: ".encode() + data + b"\n\n"


def polled_stream(request: Request, poll: Callable[[], list[bytes]],
                  interval: float) -> StreamingResponse:
    """Calls `poll` (in a worker thread) every `interval` seconds until the client goes,
    sending the events it returns, and a keep-alive comment when there were none."""

    async def events() -> AsyncIterator[bytes]:
        quiet = 0.0
        yield f"retry: {RETRY_MS}\n\n".encode()
        while not await request.is_disconnected():
            chunks = await run_in_threadpool(poll)
            for chunk in chunks:
                yield chunk
            quiet = 0.0 if chunks else quiet + interval
            if quiet >= KEEPALIVE_SECONDS:
                quiet = 0.0
                yield b": keep-alive\n\n"
            await asyncio.sleep(interval)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"cache-control": "no-cache", "x-accel-buffering": "no"})
