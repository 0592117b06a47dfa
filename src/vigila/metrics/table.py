"""Closed buckets of one resolution and start, for many series at once, packed in columns.

A table holds one row per series: count, sum, minimum, maximum and, unless all
the row's samples had one value, the sketch's bins as a CSR slice (`ends`) of
`codes` (offset by `base`) and `weights`. Each column is kept as `columns.pack`
keeps it. `split` puts rows whose samples share one value in a table of their
own: there the maximum (and the sum, when every count is 1) is the minimum,
and the only bin is implied.

Rows are found by slot: a table lists its slots in order, or, when it holds
nearly every slot of a range (a metric that all its series report each
period), keeps a row for every slot of the range and a bitmap of those
present, which costs an eighth of a byte a slot instead of up to four. A
gauge read once per bucket then costs its value: 8 bytes.

>>> slots = np.array([3, 7])
>>> count, total, low, high = (np.array(v) for v in ([1.0, 2.0], [5.0, 3.0], [5.0, 1.0],
...                                                   [5.0, 2.0]))
>>> bins = (np.array([1, 1]), sketch.codes(np.array([1.0, 2.0])), np.ones(2))
>>> single, spread = split(slots, count, total, low, high, *bins)
>>> single.slot_ids().tolist(), single.max is None, spread.part(spread.find(7))[:4]
([3], True, (2.0, 3.0, 1.0, 2.0))
>>> spread.find(3)
-1
>>> dense, = split(np.arange(100, 200), *(np.ones(100),) * 4, *(np.empty(0, int),) * 3)
>>> dense.slots is None, dense.find(150), dense.find(99), len(dense)
(True, 50, -1, 100)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from vigila.metrics import sketch
from vigila.metrics.columns import Column, at, narrow, pack, rows, unpack

Part = tuple[float, float, float, float, np.ndarray | None, np.ndarray | None]
"""(count, sum, min, max, codes, weights) of one bucket; no bins when min == max."""


class BucketTable:
    """See the module docstring; build with `split`."""

    __slots__ = ("_n", "_span", "base", "codes", "count", "ends", "first", "max", "min",
                 "present", "slots", "sum", "weights")

    def __init__(self, slots: np.ndarray, count: Column, total: Column | None, low: Column,
                 high: Column | None, ends: np.ndarray | None = None, base: int = 0,
                 bin_codes: np.ndarray | None = None, weights: Column = 1.0) -> None:
        self.slots: np.ndarray | None = slots
        """The slot of each row, ascending; None when rows are `first` onwards."""
        self.first = 0
        self.present: bytes | None = None
        """Without `slots`: the rows that hold a bucket, as `np.packbits` packs them."""
        self._n = self._span = len(slots)  # buckets held; rows
        self.count = count
        self.sum = total
        """None: equal to the minimum."""
        self.min = low
        self.max = high
        """None: equal to the minimum, and no bins are kept."""
        self.ends = ends
        self.base = base
        self.codes = bin_codes
        self.weights = weights

    def __len__(self) -> int:
        return self._n

    def find(self, slot: int) -> int:
        """The row of `slot`, or -1."""
        if self.slots is None:
            row = slot - self.first
            assert self.present is not None
            present = 0 <= row < self._span and self.present[row >> 3] >> (7 - (row & 7)) & 1
            return row if present else -1
        row = int(self.slots.searchsorted(slot))
        return row if row < len(self.slots) and self.slots.item(row) == slot else -1

    def slot_ids(self) -> np.ndarray:
        """The slot of every bucket held, ascending."""
        if self.slots is None:
            return self.first + self._taken()
        return self.slots

    def part(self, row: int, quantiles: bool = True) -> Part:
        """One row; its bins only when `quantiles` is set and the row has its own."""
        low = at(self.min, row)
        total = low if self.sum is None else at(self.sum, row)
        if self.max is None:
            return at(self.count, row), total, low, low, None, None
        high = at(self.max, row)
        bin_codes = weights = None
        if quantiles:
            assert self.ends is not None and self.codes is not None
            first, last = (int(self.ends[row - 1]) if row else 0), int(self.ends[row])
            bin_codes = self.codes[first:last].astype(np.int64) + self.base
            weights = rows(self.weights, first, last)
        return at(self.count, row), total, low, high, bin_codes, weights

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """count, sum, min and max of every bucket held, as float64."""
        span = self._span
        low = unpack(self.min, span)
        total = low if self.sum is None else unpack(self.sum, span)
        high = low if self.max is None else unpack(self.max, span)
        out = (unpack(self.count, span), total, low, high)
        if self.slots is None:
            taken = self._taken()
            out = tuple(column[taken] for column in out)  # type: ignore[assignment]
        return out

    def bins(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(bucket, code, weight) of every bin, the implied single bins included; buckets
        are numbered as `columns` orders them."""
        if self.max is None:
            count, _, low, _ = self.columns()
            return np.arange(self._n), sketch.codes(low), count
        assert self.ends is not None and self.codes is not None
        sizes = np.diff(self.ends.astype(np.int64), prepend=0)
        if self.slots is None:
            sizes = sizes[self._taken()]  # rows without a bucket have no bins
        return (np.repeat(np.arange(self._n), sizes), self.codes.astype(np.int64) + self.base,
                unpack(self.weights, len(self.codes)))

    def parts(self) -> Iterator[tuple[float, float, float, float, list[int], list[float]]]:
        """(count, sum, min, max, codes, weights) of each bucket, in `slot_ids` order, as
        Python values."""
        count, total, low, high = (c.tolist() for c in self.columns())
        bin_rows, bin_codes, weights = self.bins()
        ends = np.cumsum(np.bincount(bin_rows, minlength=self._n)).tolist()
        codes_list, weights_list = bin_codes.tolist(), weights.tolist()
        first = 0
        for row, last in enumerate(ends):
            yield (count[row], total[row], low[row], high[row], codes_list[first:last],
                   weights_list[first:last])
            first = last

    def _taken(self) -> np.ndarray:
        assert self.present is not None
        return np.flatnonzero(np.unpackbits(np.frombuffer(self.present, np.uint8),
                                            count=self._span))

    def densify(self) -> None:
        """Keep a row for every slot from the first to the last, and a bitmap of those
        present, when that takes less room than the list of slots."""
        assert self.slots is not None
        slots = self.slots.astype(np.int64)
        first, span = int(slots[0]), int(slots[-1] - slots[0]) + 1
        rows = slots - first
        arrays = [c for c in (self.count, self.sum, self.min, self.max, self.ends)
                  if isinstance(c, np.ndarray)]
        if (span - self._n) * sum(a.itemsize for a in arrays) + span / 8 >= self.slots.nbytes:
            return

        def spread(column: Column | None) -> Column | None:
            if not isinstance(column, np.ndarray):
                return column
            full = np.full(span, column[0], column.dtype)  # rows without a bucket: any value
            full[rows] = column
            return full

        self.count, self.sum = spread(self.count), spread(self.sum)  # type: ignore[assignment]
        self.min, self.max = spread(self.min), spread(self.max)  # type: ignore[assignment]
        if self.ends is not None:  # rows without a bucket get empty slices
            sizes = np.zeros(span, np.int64)
            sizes[rows] = np.diff(self.ends.astype(np.int64), prepend=0)
            self.ends = narrow(np.cumsum(sizes))
        mask = np.zeros(span, bool)
        mask[rows] = True
        self.slots, self.first, self._span = None, first, span
        self.present = np.packbits(mask).tobytes()


def split(slots: np.ndarray, count: np.ndarray, total: np.ndarray, low: np.ndarray,
          high: np.ndarray, bin_rows: np.ndarray, bin_codes: np.ndarray,
          weights: np.ndarray) -> list[BucketTable]:
    """Tables of buckets given in float64 columns, rows sorted by slot, and their bins as
    `sketch.merged` returns them (sorted by row, then code): one table for the rows whose
    samples share one value, one for the others; none for an empty input."""
    single = low.view(np.int64) == high.view(np.int64)
    tables = []
    if single.any():
        low1 = low[single]
        table = BucketTable(narrow(slots[single]), pack(count[single]),
                            _unless_equal(total[single], low1), pack(low1), None)
        table.densify()
        tables.append(table)
    if not single.all():
        keep = ~single[bin_rows]
        row_of = np.cumsum(~single) - 1
        rows_kept = row_of[bin_rows[keep]]
        own_codes = bin_codes[keep]
        spread = ~single
        base = int(own_codes.min())
        ends = np.cumsum(np.bincount(rows_kept, minlength=int(spread.sum())))
        table = BucketTable(narrow(slots[spread]), pack(count[spread]), pack(total[spread]),
                            pack(low[spread]), pack(high[spread]), narrow(ends), base,
                            narrow(own_codes - base), pack(weights[keep]))
        table.densify()
        tables.append(table)
    return tables


def _unless_equal(values: np.ndarray, same: np.ndarray) -> Column | None:
    """None when `values` equal `same` bit for bit, else the packed column."""
    return None if np.array_equal(values.view(np.int64), same.view(np.int64)) else pack(values)
