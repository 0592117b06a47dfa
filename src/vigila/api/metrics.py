"""Metrics over HTTP: list the series, query statistics (CloudWatch's GetMetricStatistics)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from vigila.api.deps import require, runtime
from vigila.api.responses import ApiError, json_response
from vigila.metrics.errors import MetricValidationError
from vigila.runtime import Runtime

router = APIRouter(tags=["metrics"], dependencies=[Depends(require("read"))])


def parse_dimensions(pairs: list[str]) -> dict[str, str]:
    """`["Cluster=cluster-a", "StreamId=..."]` -> a dict; refuses a pair without `=`."""
    dims = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ApiError(400, "bad_dimension", f"dimension {pair[:80]!r} is not NAME=VALUE")
        dims[name] = value
    return dims


@router.get("/v1/metrics", summary="The series kept: namespace, name, dimensions")
def list_series(namespace: str | None = None, name: str | None = None,
                rt: Runtime = Depends(runtime)) -> Response:
    items = [{"namespace": ns, "name": n, "dimensions": dict(dims)}
             for ns, n, dims in rt.metrics_engine.series()
             if (namespace is None or ns == namespace) and (name is None or n == name)]
    return json_response({"items": items, "stats": rt.metrics_engine.stats()})


@router.get("/v1/metrics/query", summary="Statistics of one series per period")
def query(
    namespace: str,
    name: str,
    statistic: str = Query("Average", description="Sum, Average, Minimum, Maximum, "
                                                  "SampleCount or pNN (p50, p99, p99.9)"),
    dimension: list[str] = Query([], description="NAME=VALUE, repeatable"),
    period: int = Query(60, description="Seconds, a multiple of 10"),
    start: datetime | None = Query(None, description="Default: one hour ago"),
    end: datetime | None = Query(None, description="Default: now"),
    rt: Runtime = Depends(runtime),
) -> Response:
    now = rt.clock.now()
    end_s = end.timestamp() if end else now
    start_s = start.timestamp() if start else end_s - 3600
    try:
        points = rt.metrics_engine.query(namespace, name, parse_dimensions(dimension), start_s,
                                         end_s, period, statistic)
    except MetricValidationError as exc:
        raise ApiError(400, "bad_query", str(exc)) from None
    return json_response({
        "namespace": namespace, "name": name, "statistic": statistic, "period": period,
        "dimensions": parse_dimensions(dimension),
        "datapoints": [{"timestamp": datetime.fromtimestamp(t, UTC).isoformat(), "value": v}
                       for t, v in points],
    })

