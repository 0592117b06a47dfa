"""Closed rollup buckets as storage-neutral rows, and the port a store implements.

A row is one closed bucket of one series at one resolution. Rows from several
partitions of the same series and bucket merge on import, so a SQLite or
PostgreSQL store only has to keep rows and hand them back.

>>> from vigila.metrics.aggregate import Aggregate
>>> agg = Aggregate()
>>> agg.add(5.0)
>>> row = to_row(("Vigila/dev", "DeadLetters", ()), 60, 1_700_000_040, agg.pack())
>>> row.resolution, row.start, row.count, row.max, row.dimensions
(60, 1700000040, 1.0, 5.0, {})
>>> unpack_head(packed_from_row(row))
(1.0, 5.0, 5.0, 5.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Protocol

import msgspec

from vigila.metrics.aggregate import pack_parts, packed_sketch, unpack_head
from vigila.metrics.datapoint import SeriesKey, check_series, check_value, series_key
from vigila.metrics.errors import MetricValidationError
from vigila.metrics.sketch import decode_sketch


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


def to_row(key: SeriesKey, resolution: int, start: int, packed: bytes) -> RollupRow:
    """The row for one closed bucket, kept as `Aggregate.pack()` bytes."""
    namespace, name, dims = key
    count, total, low, high = unpack_head(packed)
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
        sketch=packed_sketch(packed),
    )


def row_key(row: RollupRow) -> SeriesKey:
    """The series of a row, after checking its names as ingest would."""
    check_series(row.namespace, row.name, row.dimensions)
    return series_key(row.namespace, row.name, row.dimensions)


def packed_from_row(row: RollupRow) -> bytes:
    """The row's bucket as packed bytes, refusing inconsistent or non-finite statistics."""
    count = check_value("count", row.count)
    if count <= 0 or not row.min <= row.max:
        raise MetricValidationError(
            "count/min/max", (row.count, row.min, row.max), "count > 0 and min <= max"
        )
    total = check_value("sum", row.sum)
    low, high = check_value("min", row.min), check_value("max", row.max)
    if not math.isclose(decode_sketch(row.sketch).count, count):
        raise MetricValidationError("sketch", row.sketch, f"a sketch of the row's {count} samples")
    return pack_parts(count, total, low, high, row.sketch)
