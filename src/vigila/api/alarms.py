"""Alarms over HTTP: list and describe with state, create or replace, delete, history,
and set-state (to test actions, like CloudWatch's SetAlarmState)."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from vigila.alarms.errors import (
    AlarmCycleError,
    AlarmInUseError,
    AlarmValidationError,
    RuleLimitError,
    RuleSyntaxError,
)
from vigila.alarms.service import AlarmConflict, AlarmDefinition, parse_alarm
from vigila.alarms.status import AlarmStatus
from vigila.api.bodies import decode_body, named_body
from vigila.api.deps import require, runtime
from vigila.api.responses import ApiError, json_encode, json_response
from vigila.api.sse import polled_stream, sse_event
from vigila.config.loader import ConfigError
from vigila.runtime import Runtime

router = APIRouter(tags=["alarms"])
ALARM_STREAM_SECONDS = 1.0


class StateChange(msgspec.Struct, forbid_unknown_fields=True):
    value: str
    reason: str
    reason_data: str | None = None


def alarm_view(alarm: AlarmDefinition, origin: str, status: AlarmStatus) -> dict[str, Any]:
    return {"name": alarm.name, "origin": origin, "type": status.alarm_type,
            "state": status.value, "reason": status.reason,
            "reason_data": status.reason_data, "updated": status.updated,
            "actions_suppressed_by": status.actions_suppressed_by,
            "definition": msgspec.to_builtins(alarm)}


def _describe(rt: Runtime, name: str) -> dict[str, Any]:
    try:
        return alarm_view(*rt.alarms.describe(name))
    except KeyError:
        raise ApiError(404, "not_found", f"no alarm named {name!r}") from None


@router.get("/v1/alarms", summary="Every alarm with its state",
            dependencies=[Depends(require("read"))])
def list_alarms(state: str | None = None, rt: Runtime = Depends(runtime)) -> Response:
    items = [alarm_view(*found) for found in rt.alarms.definitions()]
    if state is not None:
        items = [item for item in items if item["state"] == state]
    return json_response({"items": items})


@router.get("/v1/alarms/stream", summary="Every alarm with its state, live (server-sent)",
            dependencies=[Depends(require("read"))])
async def stream_alarms(request: Request, rt: Runtime = Depends(runtime)) -> StreamingResponse:
    """An `event: alarms` with the whole list now, and again whenever it changes."""
    last = b""

    def poll() -> list[bytes]:
        nonlocal last
        items = [alarm_view(*found) for found in rt.alarms.definitions()]
        current = json_encode({"items": items})
        if current == last:
            return []
        last = current
        return [sse_event("alarms", current)]

    return polled_stream(request, poll, interval=ALARM_STREAM_SECONDS)


@router.get("/v1/alarms/{name}", summary="One alarm", dependencies=[Depends(require("read"))])
def describe_alarm(name: str, rt: Runtime = Depends(runtime)) -> Response:
    return json_response(_describe(rt, name))


@router.get("/v1/alarms/{name}/history", summary="State and configuration changes",
            dependencies=[Depends(require("read"))])
def alarm_history(name: str, rt: Runtime = Depends(runtime)) -> Response:
    try:
        items = rt.alarms.history(name)
    except KeyError:
        raise ApiError(404, "not_found", f"no alarm named {name!r}") from None
    return json_response({"items": list(reversed(items))})


@router.put("/v1/alarms/{name}", summary="Create or replace a metric or composite alarm",
            dependencies=[Depends(require("admin"))])
async def put_alarm(name: str, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    spec = await named_body(request, name, reason="invalid_alarm")
    try:
        alarm = parse_alarm(spec)
        outcome = rt.alarm_catalog.put(alarm)
    except (AlarmValidationError, RuleSyntaxError, RuleLimitError, AlarmCycleError,
            ConfigError) as exc:
        raise ApiError(400, "invalid_alarm", str(exc)) from None
    except AlarmConflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return json_response({"result": outcome, "alarm": _describe(rt, name)},
                         201 if outcome == "created" else 200)


@router.delete("/v1/alarms/{name}", summary="Delete an alarm created over the API",
               dependencies=[Depends(require("admin"))])
def delete_alarm(name: str, rt: Runtime = Depends(runtime)) -> Response:
    try:
        rt.alarm_catalog.delete(name)
    except KeyError:
        raise ApiError(404, "not_found", f"no alarm named {name!r}") from None
    except (AlarmConflict, AlarmInUseError) as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return Response(status_code=204)


@router.post("/v1/alarms/{name}/state", summary="Set an alarm's state (tests its actions)",
             dependencies=[Depends(require("admin"))])
async def set_state(name: str, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    change = await decode_body(request, StateChange, reason="invalid_state")
    _describe(rt, name)
    try:
        events = rt.alarms.set_state(name, change.value, change.reason, change.reason_data)
    except AlarmValidationError as exc:
        raise ApiError(400, "invalid_state", str(exc)) from None
    return json_response({"events": events, "alarm": _describe(rt, name)})
