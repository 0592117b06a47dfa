"""Columns of closed buckets, kept in the narrowest form that gives every value back exactly.

Most columns of a rollup table are small whole numbers (sample counts, bin
weights, bin offsets) or one value throughout (every bucket of a gauge read
once per bucket counts 1): those take one or two bytes a row, or none.

>>> pack(np.array([1.0, 1.0, 1.0]))
1.0
>>> pack(np.array([3.0, 250.0])).dtype, pack(np.array([0.5, 1e9])).dtype
(dtype('uint8'), dtype('float32'))
>>> unpack(pack(np.array([2.0, 0.1])), 2).tolist()
[2.0, 0.1]
>>> narrow(np.array([5, 70_000])).dtype
dtype('uint32')
"""

from __future__ import annotations

import numpy as np

Column = np.ndarray | float
"""A float column: an array of some exact dtype, or one float for every row."""


def pack(values: np.ndarray) -> Column:
    """Float64 `values` as a constant when they are all one value (bit for bit), else in
    the narrowest dtype (unsigned or signed integers, float32, float64) that holds each
    exactly."""
    bits = values.view(np.int64)
    if (bits == bits[0]).all():
        return float(values[0])
    whole = values == np.trunc(values)
    if whole.all() and not np.signbit(values[values == 0]).any():
        low, high = values.min(), values.max()
        if low >= -(2.0**31) and high < 2.0**32:
            return narrow(values.astype(np.int64))
    single = values.astype(np.float32)
    return single if np.array_equal(single, values) else values


def narrow(values: np.ndarray) -> np.ndarray:
    """Integers in the narrowest integer dtype that holds them (unsigned when none is negative)."""
    if not len(values):
        return values.astype(np.uint8)
    dtype = np.result_type(np.min_scalar_type(int(values.min())),
                           np.min_scalar_type(int(values.max())))
    return values.astype(dtype)


def unpack(column: Column, rows: int) -> np.ndarray:
    """The column as float64, `rows` long."""
    if isinstance(column, float):
        return np.full(rows, column)
    return column.astype(np.float64)


def rows(column: Column, first: int, last: int) -> np.ndarray:
    """Rows `first` to `last` (exclusive) as float64."""
    if isinstance(column, float):
        return np.full(last - first, column)
    return column[first:last].astype(np.float64)


def at(column: Column, row: int) -> float:
    """One row's value."""
    return column if isinstance(column, float) else float(column.item(row))
