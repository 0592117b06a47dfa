"""Server-sent event streams that poll a source and push what it returns."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from vigila.api.responses import ApiError

KEEPALIVE_SECONDS = 15.0
"""A comment line this often keeps proxies from closing a quiet connection."""
RETRY_MS = 1000
"""What a client waits before it reconnects (the client backs off from there)."""
RECHECK_SECONDS = 30.0
"""How often an open stream checks that its API key is still valid."""


def sse_event(event: str, data: bytes, event_id: str | None = None) -> bytes:
    """One event; `data` must be a single line (compact JSON is)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: ".encode() + data + b"\n\n"


def polled_stream(request: Request, poll: Callable[[], list[bytes]], interval: float, *,
                  scope: str = "read") -> StreamingResponse:
    """Calls `poll` (in a worker thread) every `interval` seconds until the client goes,
    sending the events it returns, and a keep-alive comment when there were none. The
    request's key is checked again every `RECHECK_SECONDS`: a revoked key ends the stream."""
    authorizer = request.app.state.authorizer

    async def still_allowed() -> bool:
        try:
            await run_in_threadpool(authorizer.check, request, scope)
        except ApiError:
            return False
        return True

    async def events() -> AsyncIterator[bytes]:
        quiet = since_check = 0.0
        yield f"retry: {RETRY_MS}\n\n".encode()
        while not await request.is_disconnected():
            since_check += interval
            if since_check >= RECHECK_SECONDS:
                since_check = 0.0
                if not await still_allowed():
                    return
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
