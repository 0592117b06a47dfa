"""Small JSON request bodies (rules, alarms, seeks): size-capped, decoded by msgspec, with
errors that name the path."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import Request

from vigila.api.responses import ApiError

MAX_BODY_BYTES = 256 * 1024


async def decode_body(request: Request, type_: Any, *, reason: str,
                      max_bytes: int = MAX_BODY_BYTES) -> Any:
    """The body as `type_`; 413 over `max_bytes`, 400 (`reason`) when it does not decode."""
    raw = await request.body()
    if len(raw) > max_bytes:
        raise ApiError(413, "body_too_large", f"the body is over {max_bytes} bytes")
    try:
        return msgspec.json.decode(raw, type=type_)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ApiError(400, reason, str(exc)) from None


async def named_body(request: Request, name: str, *, reason: str) -> dict[str, Any]:
    """A JSON object for a `PUT .../{name}`: its `name` defaults to the path's, and must
    agree with it."""
    body = await decode_body(request, dict[str, Any], reason=reason)
    if body.setdefault("name", name) != name:
        raise ApiError(400, reason, f"the body names {body['name']!r}, the path {name!r}")
    return body
