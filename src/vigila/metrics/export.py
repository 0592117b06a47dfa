"""Closed rollup buckets as storage-neutral rows, and the port a store implements.

A row is one closed bucket of one series at one resolution. Rows from several
partitions of the same series and bucket merge on import, so a SQLite or
PostgreSQL store only has to keep rows and hand them back.

>>> from vigila.metrics.aggregate import Aggregate
>>> agg = Aggregate()
>>> agg.add(5.0)
>>> stats = (agg.count, agg.sum, agg.min, agg.max)
>>> row = to_row(("Vigila/dev", "DeadLetters", ()), 60, 1_700_000_040, stats,
...              agg.encoded_sketch())
>>> row.resolution, row.start, row.count, row.max, row.dimensions
(60, 1700000040, 1.0, 5.0, {})
>>> bucket_of(row)[0]
(1.0, 5.0, 5.0, 5.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Protocol

import msgspec
import numpy as np

from vigila.metrics import sketch
from vigila.metrics.datapoint import SeriesKey, check_series, check_value, series_key
from vigila.metrics.errors import MetricValidationError

Stats = tuple[float, float, float, float]
"""count, sum, min and max of a bucket."""


class RollupRow(msgspec.Struct, frozen=True, kw_only=True):
    """One closed bucket: the series, its resolution and start (seconds), and its statistics."""

    namespace: str
    name: str
    dimensions: dict[str, str]
    resolution: int
    start: int
    count: float
    sum: float
    min: float
    max: float
    sketch: bytes


class RollupStore(Protocol):
    """Where closed buckets are kept beyond memory (SQLite, PostgreSQL, ...)."""

    def write(self, rows: Sequence[RollupRow]) -> None:
        """Keep `rows`; a row for a bucket already kept adds to it."""

    def read(self, start: float, end: float) -> Iterable[RollupRow]:
        """Rows whose bucket starts in [start, end)."""


def to_row(key: SeriesKey, resolution: int, start: int, stats: Stats,
           encoded_sketch: bytes) -> RollupRow:
    """The row for one closed bucket: its statistics and its sketch in wire form."""
    namespace, name, dims = key
    count, total, low, high = stats
    return RollupRow(
        namespace=namespace,
        name=name,
        dimensions=dict(dims),
        resolution=resolution,
        start=start,
        count=count,
        sum=total,
        min=low,
        max=high,
        sketch=encoded_sketch,
    )


def row_key(row: RollupRow) -> SeriesKey:
    """The series of a row, after checking its names as ingest would."""
    check_series(row.namespace, row.name, row.dimensions)
    return series_key(row.namespace, row.name, row.dimensions)


def bucket_of(row: RollupRow) -> tuple[Stats, np.ndarray, np.ndarray]:
    """The row's statistics and its sketch's codes and weights, refusing inconsistent or
    non-finite statistics."""
    count = check_value("count", row.count)
    if count <= 0 or not row.min <= row.max:
        raise MetricValidationError(
            "count/min/max", (row.count, row.min, row.max), "count > 0 and min <= max"
        )
    total = check_value("sum", row.sum)
    low, high = check_value("min", row.min), check_value("max", row.max)
    bin_codes, weights = sketch.decode(row.sketch)
    if not math.isclose(weights.sum(), count):
        raise MetricValidationError("sketch", row.sketch, f"a sketch of the row's {count} samples")
    return (count, total, low, high), bin_codes, weights
