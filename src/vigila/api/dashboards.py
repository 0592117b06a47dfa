"""Dashboards over HTTP: the loaded packs, their dashboards' declarations, the data of
those for a range, and the same live.

`system` is vigila's own health; every other dashboard is a loaded pack's, by pack name.
"""

from __future__ import annotations

import math
from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from vigila.api.deps import require, runtime
from vigila.api.responses import ApiError, json_encode, json_response
from vigila.api.sse import polled_stream, sse_event
from vigila.api.timerange import MAX_SPAN_SECONDS, time_range
from vigila.packs.widgets import Dashboard
from vigila.runtime import Runtime
from vigila.telemetry.dashboard import SYSTEM_DASHBOARD
from vigila.web.widgetdata import Frame, choose_period, dashboard_data

router = APIRouter(tags=["dashboards"], dependencies=[Depends(require("read"))])
SYSTEM = "system"


def dashboards(rt: Runtime) -> dict[str, tuple[Dashboard, str]]:
    """Name -> (dashboard for this environment, origin `pack:<name>` or `builtin`)."""
    found = {pack.name: (pack.dashboard, f"pack:{pack.name}") for pack in rt.packs
             if pack.dashboard is not None}
    found[SYSTEM] = (SYSTEM_DASHBOARD, "builtin")
    return {name: (board.for_environment(rt.config.environment), origin)
            for name, (board, origin) in found.items()}


def _find(rt: Runtime, name: str) -> Dashboard:
    found = dashboards(rt).get(name)
    if found is None:
        raise ApiError(404, "not_found", f"no dashboard named {name!r}; see /v1/dashboards")
    return found[0]


@router.get("/v1/packs", summary="The loaded packs and what they declare")
def list_packs(rt: Runtime = Depends(runtime)) -> Response:
    return json_response({"items": [
        {"name": p.name, "description": p.description,
         "dashboard": p.name if p.dashboard is not None else None,
         "metrics": sorted({m.name for m in p.metrics}), "rules": [r.name for r in p.rules]}
        for p in rt.packs]})


@router.get("/v1/dashboards", summary="Every dashboard: the packs' and the system's")
def list_dashboards(rt: Runtime = Depends(runtime)) -> Response:
    return json_response({"items": [
        {"name": name, "title": board.title, "origin": origin}
        for name, (board, origin) in dashboards(rt).items()]})


@router.get("/v1/dashboards/{name}", summary="A dashboard's widgets, as declared")
def get_dashboard(name: str, rt: Runtime = Depends(runtime)) -> Response:
    return json_response(_find(rt, name))


@router.get("/v1/dashboards/{name}/data", summary="Every metric widget's data for a range")
def get_data(
    name: str,
    start: datetime | None = Query(None, description="Default: one hour before `end`"),
    end: datetime | None = Query(None, description="Default: now"),
    rt: Runtime = Depends(runtime),
) -> Response:
    board = _find(rt, name)
    now = rt.clock.now()
    start_s, end_s = time_range(start, end, now)
    period = choose_period(start_s, end_s, now, rt.config.metrics)
    return json_response(dashboard_data(rt.metrics_engine, board,
                                        Frame(start_s, end_s, period, start_s)))


@router.get("/v1/dashboards/{name}/stream", summary="A dashboard's data, live (server-sent)")
async def stream(
    request: Request, name: str,
    window: int = Query(900, ge=60, le=MAX_SPAN_SECONDS,
                        description="Seconds up to now that the dashboard shows"),
    rt: Runtime = Depends(runtime),
) -> StreamingResponse:
    """The first `event: data` holds the whole window; each next one every few seconds
    holds the lines' last two periods (merge them by timestamp) and the other widgets
    whole. Reconnecting starts over with the whole window."""
    board = _find(rt, name)
    sent = False

    def poll() -> list[bytes]:
        nonlocal sent
        now = rt.clock.now()
        period = choose_period(now - window, now, now, rt.config.metrics)
        start = math.floor((now - window) / period) * period  # the grid the tails use
        since = (math.floor(now / period) - 1) * period if sent else start
        sent = True
        data = dashboard_data(rt.metrics_engine, board, Frame(start, now, period, since))
        return [sse_event("data", json_encode(data))]

    period = choose_period(0, window, window, rt.config.metrics)
    return polled_stream(request, poll, interval=min(15.0, max(2.0, period / 5)))

