"""Reading events back: `GET /v1/events` and `GET /v1/events/{id}`."""

from __future__ import annotations

from datetime import datetime

import msgspec
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from vigila.api.deps import require, runtime
from vigila.api.responses import ApiError, json_response
from vigila.runtime import Runtime
from vigila.store.base import EventQuery

router = APIRouter(tags=["events"], dependencies=[Depends(require("read"))])


def _ms(value: datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ApiError(400, "bad_time", f"time {value.isoformat()} needs a timezone, e.g. Z")
    return int(value.timestamp() * 1000)


@router.get("/v1/events", summary="Query stored events, newest first")
def list_events(
    source: str | None = None,
    detail_type: str | None = Query(None, alias="detail-type"),
    resource: str | None = None,
    start: datetime | None = Query(None, description="Event time from (RFC 3339)."),
    end: datetime | None = Query(None, description="Event time before (RFC 3339)."),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, description="`next_cursor` of the previous page."),
    rt: Runtime = Depends(runtime),
) -> Response:
    try:
        page = rt.events.query(EventQuery(
            source=source, detail_type=detail_type, resource=resource, start_ms=_ms(start),
            end_ms=_ms(end), limit=limit, cursor=cursor))
    except ValueError as exc:
        raise ApiError(400, "bad_cursor", str(exc)) from None
    return json_response({"items": [msgspec.Raw(event.data) for event in page.items],
                          "next_cursor": page.next_cursor})


@router.get("/v1/events/{event_id}", summary="One stored event")
def get_event(event_id: str, rt: Runtime = Depends(runtime)) -> Response:
    event = rt.events.get(event_id)
    if event is None:
        raise ApiError(404, "not_found", f"no stored event has id {event_id!r}")
    return Response(event.data, media_type="application/json")
