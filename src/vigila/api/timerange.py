"""The `start` / `end` query parameters of range reads: timezones required, spans bounded."""

from __future__ import annotations

from datetime import datetime

from vigila.api.responses import ApiError

MAX_SPAN_SECONDS = 15 * 86_400
"""The longest range one read may cover."""


def time_range(start: datetime | None, end: datetime | None, now: float, *,
               default_seconds: float = 3600.0) -> tuple[float, float]:
    """`(start, end)` in seconds; `end` defaults to now and `start` to `default_seconds`
    before it. Raises a 400 for a time without timezone or a span over 15 days."""
    end_s = _seconds(end, "end") if end else now
    start_s = _seconds(start, "start") if start else end_s - default_seconds
    if not 0 < end_s - start_s <= MAX_SPAN_SECONDS:
        raise ApiError(400, "bad_range", "`end` must be after `start`, by at most 15 days")
    return start_s, end_s


def _seconds(value: datetime, field: str) -> float:
    if value.tzinfo is None:
        raise ApiError(400, "bad_time", f"`{field}` needs a timezone, e.g. Z")
    return value.timestamp()
