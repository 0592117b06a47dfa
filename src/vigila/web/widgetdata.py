"""The data of a dashboard's metric widgets over a time range, as the web UI draws it.

Lines are `[timestamp, value]` pairs per period; single values, distributions and
tables reduce the whole range. A live view asks again with `since` near the end:
lines then carry only the periods from `since` on (the ones that can still
change), to be merged into what the client holds.
"""

from __future__ import annotations

from typing import Any

import msgspec

from vigila.config.schema import MetricsConfig
from vigila.metrics.top import Points, SeriesSource, reduce_points, select, top
from vigila.packs.widgets import (
    Dashboard,
    Distribution,
    Percentiles,
    Query,
    SingleValue,
    Table,
    TimeSeries,
)

MAX_POINTS = 240
"""Most periods one line shows; the period grows with the range to stay under it."""
MAX_LINES = 24
"""Most lines one time-series widget draws (a wildcard may match thousands of series)."""
PERIODS = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)


class Frame(msgspec.Struct, frozen=True):
    """What to compute: the range `[start, end)`, the period, and where lines begin."""

    start: float
    end: float
    period: int
    since: float


def choose_period(start: float, end: float, now: float, retention: MetricsConfig) -> int:
    """The shortest period that keeps a line under `MAX_POINTS` and is no finer than the
    finest resolution still kept at `start`."""
    if start >= now - retention.retention_10s_hours * 3600:
        finest = 10
    elif start >= now - retention.retention_1m_hours * 3600:
        finest = 60
    else:
        finest = 3600
    return next((p for p in PERIODS if p >= finest and (end - start) / p <= MAX_POINTS),
                PERIODS[-1])


def dashboard_data(source: SeriesSource, dashboard: Dashboard, frame: Frame) -> dict[str, Any]:
    """`{start, end, period, since, widgets: {id: data}}` for every metric widget."""
    widgets = {}
    for widget in dashboard.widgets:
        if isinstance(widget, TimeSeries):
            widgets[widget.id] = {"series": _lines(source, widget.queries, frame)}
        elif isinstance(widget, Percentiles):
            queries = [msgspec.structs.replace(widget.query, statistic=f"p{p:g}",
                                               label=f"p{p:g}") for p in widget.percentiles]
            widgets[widget.id] = {"series": _lines(source, queries, frame)}
        elif isinstance(widget, SingleValue):
            widgets[widget.id] = _single(source, widget, frame)
        elif isinstance(widget, Distribution):
            widgets[widget.id] = _distribution(source, widget, frame)
        elif isinstance(widget, Table):
            widgets[widget.id] = _table(source, widget, frame)
    return {**msgspec.structs.asdict(frame), "widgets": widgets}


def _points(source: SeriesSource, query: Query, dims: dict[str, str], frame: Frame,
            start: float) -> Points:
    points = source.query(query.namespace, query.name, dims, start, frame.end, frame.period,
                          query.statistic)
    if query.per_second:
        return [(t, v / frame.period) for t, v in points]
    return points


def _pooled(source: SeriesSource, query: Query, pattern: dict[str, str],
            frame: Frame) -> Points:
    return [p for dims in select(source, query.namespace, query.name, pattern)
            for p in _points(source, query, dims, frame, frame.start)]


def _lines(source: SeriesSource, queries: list[Query], frame: Frame) -> list[dict[str, Any]]:
    lines = []
    for query in queries:
        for dims in select(source, query.namespace, query.name, query.dimensions):
            if len(lines) == MAX_LINES:
                return lines
            label = " ".join([query.label or query.name, *(dims[w] for w in query.wildcards)])
            lines.append({"label": label,
                          "points": _points(source, query, dims, frame, frame.since)})
    return lines


def _single(source: SeriesSource, widget: SingleValue, frame: Frame) -> dict[str, Any]:
    value = reduce_points(_pooled(source, widget.query, widget.query.dimensions, frame),
                          widget.reduce, seconds=frame.end - frame.start)
    reached = [t for t in widget.thresholds if value is not None and value >= t.at]
    level = max(reached, key=lambda t: t.at).level if reached else None
    return {"value": value, "level": level}


def _ranked(source: SeriesSource, query: Query, by: str, reduce: str, limit: int,
            frame: Frame) -> list[tuple[str, float]]:
    ranked = top(source, query.namespace, query.name, query.dimensions, by, query.statistic,
                 frame.start, frame.end, frame.period, reduce, limit)
    scale = 1 / frame.period if query.per_second else 1
    return [(key, value * scale) for key, value in ranked]


def _distribution(source: SeriesSource, widget: Distribution, frame: Frame) -> dict[str, Any]:
    by = widget.query.wildcards[0]
    ranked = _ranked(source, widget.query, by, widget.reduce, widget.limit, frame)
    return {"items": [{"label": key, "value": value} for key, value in ranked]}


def _table(source: SeriesSource, widget: Table, frame: Frame) -> dict[str, Any]:
    first, *others = widget.columns
    rows = []
    for key, value in _ranked(source, first.query, widget.by, first.reduce, widget.limit,
                              frame):
        row: list[Any] = [key, value]
        for column in others:
            pattern = {**column.query.dimensions, widget.by: key}
            row.append(reduce_points(_pooled(source, column.query, pattern, frame),
                                     column.reduce))
        rows.append(row)
    return {"columns": [widget.by, *(c.query.label or c.query.name for c in widget.columns)],
            "rows": rows}
