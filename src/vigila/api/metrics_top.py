"""`GET /v1/metrics/top`: the series of a metric ranked by one number over a range."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from vigila.api.deps import require, runtime
from vigila.api.metrics import parse_dimensions
from vigila.api.responses import ApiError, json_response
from vigila.api.timerange import time_range
from vigila.metrics.errors import MetricValidationError
from vigila.metrics.top import REDUCERS, top
from vigila.runtime import Runtime

router = APIRouter(tags=["metrics"], dependencies=[Depends(require("read"))])


@router.get("/v1/metrics/top", summary="Top-N series of a metric (e.g. the most anomalous ports)")
def top_series(
    namespace: str,
    name: str,
    by: str = Query(description="The dimension to rank; it must be NAME=* in `dimension`"),
    dimension: list[str] = Query([], description="NAME=VALUE or NAME=*, every dimension of "
                                                 "the series, repeatable"),
    statistic: str = Query("Maximum", description="Of each period, as in /v1/metrics/query"),
    reduce: str = Query("max", description=f"Over the periods: {', '.join(REDUCERS)}"),
    period: int = Query(60, description="Seconds, a multiple of 10"),
    start: datetime | None = Query(None, description="Default: one hour before `end`"),
    end: datetime | None = Query(None, description="Default: now"),
    limit: int = Query(10, ge=1, le=1000),
    rt: Runtime = Depends(runtime),
) -> Response:
    start_s, end_s = time_range(start, end, rt.clock.now())
    try:
        ranked = top(rt.metrics_engine, namespace, name, parse_dimensions(dimension), by,
                     statistic, start_s, end_s, period, reduce, limit)
    except MetricValidationError as exc:
        raise ApiError(400, "bad_query", str(exc)) from None
    return json_response({"namespace": namespace, "name": name, "by": by,
                          "statistic": statistic, "reduce": reduce, "period": period,
                          "items": [{by: key, "value": value} for key, value in ranked]})
