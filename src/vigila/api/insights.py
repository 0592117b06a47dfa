"""Insights over HTTP: recent ones with filters, one by id, and a live server-sent stream."""

from __future__ import annotations

import itertools
from datetime import datetime

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from vigila.api.deps import require, runtime
from vigila.api.responses import ApiError, json_response
from vigila.api.sse import polled_stream, sse_event
from vigila.runtime import Runtime
from vigila.store.follow import Cursor

router = APIRouter(tags=["insights"], dependencies=[Depends(require("read"))])
STREAM_POLL_SECONDS = 0.25
STREAM_PAGE = 500


def find_insights(rt: Runtime, *, limit: int = 50, since: datetime | None = None,
                  type_: str | None = None, min_risk: int | None = None,
                  entity: str | None = None, since_ms: int | None = None,
                  oldest_first: bool = False) -> list:
    """Newest first (or oldest first), as stored records (the data is the insight's JSON)."""
    if since is not None:
        since_ms = int(since.timestamp() * 1000)
    return rt.store.recent_outputs(
        "insight", since_ms=since_ms, entity=entity,
        equals={"$.prediction_type": type_} if type_ else None,
        at_least={"$.risk_score": min_risk} if min_risk is not None else None, limit=limit,
        oldest_first=oldest_first)


@router.get("/v1/insights/recent", summary="Recent insights, newest first")
def recent(
    limit: int = Query(50, ge=1, le=1000),
    since: datetime | None = Query(None, description="Created after (RFC 3339)"),
    type: str | None = Query(None, description="A prediction type"),
    min_risk: int | None = Query(None, ge=0, le=100),
    entity: str | None = None,
    rt: Runtime = Depends(runtime),
) -> Response:
    if since is not None and since.tzinfo is None:
        raise ApiError(400, "bad_time", "`since` needs a timezone, e.g. Z")
    records = find_insights(rt, limit=limit, since=since, type_=type, min_risk=min_risk,
                            entity=entity)
    return json_response({"items": [msgspec.Raw(r.data) for r in records]})


@router.get("/v1/insights/stream", summary="New insights as server-sent events")
async def stream(request: Request, min_risk: int | None = Query(None, ge=0, le=100),
                 rt: Runtime = Depends(runtime)) -> StreamingResponse:
    """Each new insight is one `event: insight` with the insight as `data`; a comment
    every 15 s keeps proxies from closing the connection. Reconnect with
    `Last-Event-ID` (the stored time in ms) to resume without gaps."""
    last = request.headers.get("last-event-id", "")
    resume = last.isdigit() and len(last) <= 15  # a time in ms, not a 5,000-digit number
    cursor = Cursor(int(last) if resume else int(rt.clock.now() * 1000), None)

    def poll() -> list[bytes]:  # one page a poll: a resume from long ago streams in steps
        records = itertools.islice(cursor.newer(lambda since_ms: find_insights(
            rt, limit=STREAM_PAGE, since_ms=since_ms, min_risk=min_risk, oldest_first=True),
            STREAM_PAGE), STREAM_PAGE)
        return [sse_event("insight", record.data, str(record.time_ms)) for record in records]

    return polled_stream(request, poll, STREAM_POLL_SECONDS)


@router.get("/v1/insights/{insight_id}", summary="One insight")
def get_insight(insight_id: str, rt: Runtime = Depends(runtime)) -> Response:
    record = rt.store.get_output("insight", insight_id)
    if record is None:
        raise ApiError(404, "not_found", f"no insight has id {insight_id!r}")
    return Response(record.data, media_type="application/json")
