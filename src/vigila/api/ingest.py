"""`POST /v1/events`: JSON array, one object or NDJSON, optionally gzip-encoded."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vigila.api.deps import require, runtime
from vigila.api.responses import ApiError, json_response
from vigila.events.envelope import Event
from vigila.ingest.errors import Backpressure, BodyTooLarge, IngestError, MalformedBody
from vigila.runtime import Runtime

router = APIRouter(tags=["ingest"])


_EventSchema = Event[dict[str, Any]]
_REF = "#/components/schemas/{name}"


def _request_body_schema() -> dict:
    """OpenAPI for a body FastAPI never parses: an array of `Event`, or NDJSON."""
    return {"required": True, "content": {
        "application/json": {"schema": {"type": "array",
                                        "items": {"$ref": _REF.format(name="Event")}}},
        "application/x-ndjson": {"schema": {"type": "string",
                                            "description": "One event object per line."}},
    }}


def event_schemas() -> dict:
    """The `Event` component schema, made by msgspec from the struct itself."""
    _, components = msgspec.json.schema_components([_EventSchema], ref_template=_REF)
    (generated,) = components.values()
    return {"Event": generated}


INGEST_DOC = """Append events durably. The answer comes after the commit.

Each item is validated alone: `accepted` counts stored items (a repeated `id`
is accepted and stored once, counted in `duplicates`), `rejected` lists
`{index, error}` with the JSON path and what was expected; rejected items go
to the dead-letter store. Status: 200 all accepted, 207 some rejected, 422
none accepted; 400 malformed body, 413 too large, 415 unsupported type or
encoding, 429 backpressure (see `Retry-After`), 401/403 auth.
"""


async def read_body(request: Request, limit: int) -> bytes:
    """Read at most `limit` bytes; refuse early when Content-Length says more."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise MalformedBody(f"invalid Content-Length {declared[:40]!r}")
        if int(declared) > limit:
            raise BodyTooLarge(f"the body is {declared} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is over {limit} bytes (the limit)")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/v1/events", summary="Ingest events", description=INGEST_DOC,
             dependencies=[Depends(require("ingest"))],
             openapi_extra={"requestBody": _request_body_schema()})
async def post_events(request: Request, rt: Runtime = Depends(runtime)) -> Response:
    started = time.perf_counter()
    metrics = rt.metrics
    with rt.tracer.start_as_current_span("ingest") as span:
        try:
            if rt.total_lag() > rt.config.log.max_lag_records:
                raise Backpressure("the pipeline is behind; retry later", rt.retry_after())
            body = await read_body(request, rt.config.ingest.max_body_bytes)
            with rt.tracer.start_as_current_span("decode"):
                prepared = await run_in_threadpool(
                    rt.ingest.prepare, body, request.headers.get("content-type"),
                    request.headers.get("content-encoding"))
        except IngestError as exc:
            metrics.ingest_rejects.labels(exc.reason).inc()
            metrics.ingest_requests.labels(str(exc.status)).inc()
            span.set_attribute("vigila.rejected_reason", exc.reason)
            headers = None
            if isinstance(exc, Backpressure):
                headers = {"Retry-After": str(exc.retry_after)}
            raise ApiError(exc.status, exc.reason, exc.message, headers) from None
        with rt.tracer.start_as_current_span("append"):
            appended = await rt.writer.append(prepared.batch.entries)
        if prepared.batch.rejected:
            await run_in_threadpool(rt.store.add_dead_letters, rt.ingest.dead_letters(prepared))
        result = rt.ingest.result(prepared, appended)
        span.set_attribute("vigila.accepted", result.accepted)
        span.set_attribute("vigila.rejected", len(result.rejected))
    metrics.append_seconds.observe(time.perf_counter() - started)
    metrics.ingest_events.labels("accepted").inc(appended.appended)
    metrics.ingest_events.labels("duplicate").inc(appended.duplicates)
    metrics.ingest_events.labels("rejected").inc(len(result.rejected))
    if result.rejected:
        metrics.ingest_rejects.labels("invalid_event").inc(len(result.rejected))
    status = 200 if not result.rejected else 207 if result.accepted else 422
    metrics.ingest_requests.labels(str(status)).inc()
    return json_response(result, status)
