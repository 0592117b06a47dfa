"""JSON responses encoded by msgspec, and the error shape every endpoint uses."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi.responses import Response

json_encode = msgspec.json.Encoder().encode
"""msgspec's JSON encoder: structs, dates and raw JSON as they are."""


class ApiError(Exception):
    """An error answer: `{"error": {"reason": ..., "message": ...}}` with `status`."""

    def __init__(self, status: int, reason: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.headers = headers or {}


def json_response(content: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    return Response(json_encode(content), status_code=status, headers=headers,
                    media_type="application/json")


def error_response(error: ApiError) -> Response:
    body = {"error": {"reason": error.reason, "message": error.message}}
    return json_response(body, error.status, error.headers)
