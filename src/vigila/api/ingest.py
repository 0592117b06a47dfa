"""`POST /v1/events`: JSON array, one object or NDJSON, optionally gzip-encoded."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vigila.api.deps import require, runtime
from vigila.api.responses import ApiError, json_response
from vigila.events.envelope import Event
from vigila.ingest.errors import Backpressure, BodyTooLarge, IngestError, MalformedBody
from vigila.ingest.service import IngestResult, Prepared
from vigila.log.base import AppendResult
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
    if rt.ingest_workers is not None:
        return await _ingest(request, rt, _in_worker(rt))
    return await _ingest(request, rt, _in_process(rt, rt.ingest.prepare))


@router.post("/v1/packs/{pack}/{route}", summary="Ingest a pack's details without envelopes",
             dependencies=[Depends(require("ingest"))])
async def post_bare(pack: str, route: str, request: Request,
                    rt: Runtime = Depends(runtime)) -> Response:
    """A JSON array (or NDJSON) of a pack's detail objects, e.g. fabric port metrics on
    `/v1/packs/fabric/metrics`; each is wrapped in an envelope, then ingested as usual.
    Errors name paths in the body as sent (`$[3].utilization`)."""
    bare = rt.bare_route(pack, route)
    if bare is None:
        raise ApiError(404, "not_found", f"pack {pack!r} has no ingest route {route!r}")
    wrapping = {"source": bare.source, "detail_type": bare.detail_type,
                "resource_field": bare.resource_field}
    if rt.ingest_workers is not None:
        return await _ingest(request, rt, _in_worker(rt, wrapping))
    return await _ingest(request, rt, _in_process(
        rt, functools.partial(rt.ingest.prepare_bare, **wrapping)))


Ingest = Callable[[bytes, str | None, str | None], Awaitable[tuple[IngestResult, AppendResult]]]


def _in_process(rt: Runtime, prepare: Callable[[bytes, str | None, str | None], Prepared]
                ) -> Ingest:
    """Decode in a thread of this process, append through the group-commit writer."""
    async def ingest(body: bytes, content_type: str | None,
                     encoding: str | None) -> tuple[IngestResult, AppendResult]:
        with rt.tracer.start_as_current_span("decode"):
            prepared = await run_in_threadpool(prepare, body, content_type, encoding)
        with rt.tracer.start_as_current_span("append"):
            appended = await rt.writer.append(prepared.batch.to_append)
        if prepared.batch.rejected:
            await run_in_threadpool(rt.store.add_dead_letters, rt.ingest.dead_letters(prepared))
        return rt.ingest.result(prepared, appended), appended

    return ingest


def _in_worker(rt: Runtime, wrapping: dict[str, str] | None = None) -> Ingest:
    """Decode and append in an ingest worker process (`ingest.workers`); `wrapping`, for
    bare details, as `IngestService.prepare_bare` takes it."""
    async def ingest(body: bytes, content_type: str | None,
                     encoding: str | None) -> tuple[IngestResult, AppendResult]:
        assert rt.ingest_workers is not None
        with rt.tracer.start_as_current_span("worker"):
            done = await rt.ingest_workers.ingest(body, content_type, encoding, wrapping)
        return done.result, done.appended

    return ingest


async def _ingest(request: Request, rt: Runtime, ingest: Ingest) -> Response:
    started = time.perf_counter()
    metrics = rt.metrics
    with rt.ingesting(), rt.tracer.start_as_current_span("ingest") as span:
        try:
            if rt.total_lag() > rt.config.log.max_lag_records:
                raise Backpressure("the pipeline is behind; retry later", rt.retry_after())
            body = await read_body(request, rt.config.ingest.max_body_bytes)
            result, appended = await ingest(body, request.headers.get("content-type"),
                                            request.headers.get("content-encoding"))
        except IngestError as exc:
            metrics.ingest_rejects.labels(exc.reason).inc()
            metrics.ingest_requests.labels(str(exc.status)).inc()
            span.set_attribute("vigila.rejected_reason", exc.reason)
            headers = None
            if isinstance(exc, Backpressure):
                headers = {"Retry-After": str(exc.retry_after)}
            raise ApiError(exc.status, exc.reason, exc.message, headers) from None
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
