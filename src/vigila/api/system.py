"""Health, readiness, Prometheus metrics, log partitions and consumer seeks."""

from __future__ import annotations

import msgspec
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from vigila import __version__
from vigila.api.bodies import decode_body
from vigila.api.deps import require, runtime
from vigila.api.responses import ApiError, json_response
from vigila.runtime import Runtime

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="Liveness")
def healthz(rt: Runtime = Depends(runtime)) -> Response:
    return json_response({"status": "ok", "version": __version__,
                          "resource": rt.config.resource_name})


@router.get("/readyz", summary="Readiness: the log and the store answer, workers run")
def readyz(rt: Runtime = Depends(runtime)) -> Response:
    problems = []
    try:
        rt.log.states()
        rt.store.count_dead_letters()
    except Exception as exc:  # report, do not crash the probe
        problems.append(f"storage: {exc}")
    problems += [f"worker {i} stopped" for i, w in enumerate(rt.workers) if not w.alive]
    if problems:
        return json_response({"status": "not ready", "problems": problems}, 503)
    return json_response({"status": "ready"})


@router.get("/metrics", summary="Prometheus metrics")
def metrics(rt: Runtime = Depends(runtime)) -> Response:
    return Response(generate_latest(rt.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/log/partitions", summary="Per-partition offsets, lag and iterator age",
            dependencies=[Depends(require("read"))])
def partitions(rt: Runtime = Depends(runtime)) -> Response:
    states = {s.partition: s for s in rt.log.states()}
    return json_response({"group": "pipeline", "partitions": [
        {"partition": lag.partition, "first": states[lag.partition].first, "next": lag.head,
         "position": lag.position, "lag": lag.head - lag.position,
         "iterator_age_seconds": round(lag.iterator_age, 3)}
        for lag in rt.lag()
    ]})


class SeekRequest(msgspec.Struct, forbid_unknown_fields=True):
    """`to`: `earliest`, `latest` or an RFC 3339 time; or `offsets`: partition -> offset."""

    to: str | None = None
    offsets: dict[int, int] | None = None


@router.post("/v1/log/seek", summary="Replay or skip: move the pipeline's positions",
             description=SeekRequest.__doc__, dependencies=[Depends(require("admin"))])
async def seek(request: Request, rt: Runtime = Depends(runtime)) -> Response:
    body = await decode_body(request, SeekRequest, reason="bad_seek")
    try:
        positions = rt.seek_positions(to=body.to, offsets=body.offsets)
    except ValueError as exc:
        raise ApiError(400, "bad_seek", str(exc)) from None
    rt.seek(positions)
    return json_response({"positions": positions})

