"""Buckets still open at one resolution and start: a mutable row per series, by slot.

Samples, and closed finer buckets, fold in many rows at a time. Counts and sums
accumulate in arrival order (`np.add.at` applies its updates one by one), so a
bucket's sum is the same bit for bit whether its samples came one at a time or
in one batch. Bins are appended as they come and merged (`sketch.merged`) once
they have doubled since the last merge, before a read, and on closing; merged
bins are kept packed as a table keeps them (a CSR slice of narrow columns per
row), as the hour bucket of a busy series holds a few dozen.

>>> bucket = OpenBucket()
>>> values = np.array([4.0, 2.0, 9.0])
>>> ones = np.ones(3)
>>> bucket.fold(np.array([5, 5, 2]), ones, values, values, values,
...             (np.arange(3), sketch.codes(values), ones)).tolist()
[2, 5]
>>> bucket.part(bucket.find(5), quantiles=False)
(2.0, 6.0, 2.0, 4.0, None, None)
>>> [len(t) for t in bucket.close()]
[1, 1]
"""

from __future__ import annotations

import numpy as np

from vigila.metrics import sketch
from vigila.metrics.columns import Column, narrow, pack, rows, unpack
from vigila.metrics.table import BucketTable, Part, split

Bins = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(row, code, weight) of each bin."""

_MERGE_AT_LEAST = 4096  # pending bins that are worth a merge


class OpenBucket:
    """See the module docstring."""

    __slots__ = ("_bins", "_count", "_max", "_merged", "_merged_bins", "_min", "_n", "_pending",
                 "_row_of", "_slots", "_sum")

    def __init__(self) -> None:
        self._row_of = np.full(0, -1, np.int32)  # slot -> row
        self._n = 0
        self._slots = np.empty(0, np.int64)
        self._count = np.empty(0)
        self._sum = np.empty(0)
        self._min = np.empty(0)
        self._max = np.empty(0)
        self._merged: tuple[np.ndarray, int, np.ndarray, Column] | None = None
        """(ends, base, codes, weights) of the merged bins, as `BucketTable` keeps bins."""
        self._merged_bins = 0
        self._bins: list[Bins] = []  # appended since the last merge
        self._pending = 0

    def __len__(self) -> int:
        return self._n

    @property
    def slots(self) -> np.ndarray:
        """The slot of each row."""
        return self._slots[: self._n]

    def fold(self, slots: np.ndarray, count: np.ndarray, total: np.ndarray, low: np.ndarray,
             high: np.ndarray, bins: Bins) -> np.ndarray:
        """Fold in rows of statistics (several may share a slot) and their bins, whose rows
        index these; returns the slots this bucket did not hold before, sorted."""
        rows, new = self._rows(slots)
        np.add.at(self._count, rows, count)
        np.add.at(self._sum, rows, total)
        np.minimum.at(self._min, rows, low)
        np.maximum.at(self._max, rows, high)
        index, bin_codes, weights = bins
        self._bins.append((rows[index], bin_codes, weights))
        self._pending += len(bin_codes)
        if self._pending > max(self._merged_bins, _MERGE_AT_LEAST):
            self._merge()
        return new

    def find(self, slot: int) -> int:
        """The row of `slot`, or -1."""
        return self._row_of.item(slot) if slot < len(self._row_of) else -1

    def part(self, row: int, quantiles: bool = True) -> Part:
        """One row; its bins only when `quantiles` is set."""
        stats = (self._count.item(row), self._sum.item(row), self._min.item(row),
                 self._max.item(row))
        if not quantiles:
            return (*stats, None, None)
        self._merge()
        assert self._merged is not None
        ends, base, bin_codes, weights = self._merged
        first, last = (int(ends[row - 1]) if row else 0), int(ends[row])
        return (*stats, bin_codes[first:last].astype(np.int64) + base,
                rows(weights, first, last))

    def close(self) -> list[BucketTable]:
        """The closed buckets, as `table.split` packs them."""
        self._merge()
        n = self._n
        slots = self._slots[:n]
        bin_rows, bin_codes, weights = self._unpacked()
        columns = (slots, self._count[:n], self._sum[:n], self._min[:n], self._max[:n])
        if (slots[1:] < slots[:-1]).any():  # rows were made in slot order unless added to
            order = np.argsort(slots)
            rank = np.empty(n, np.int64)
            rank[order] = np.arange(n)
            by_row = np.argsort(rank[bin_rows], kind="stable")  # keeps codes sorted in a row
            columns = tuple(c[order] for c in columns)
            bin_rows = rank[bin_rows][by_row]
            bin_codes, weights = bin_codes[by_row], weights[by_row]
        return split(*columns, bin_rows, bin_codes, weights)

    def _rows(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        top = int(slots.max()) + 1
        if top > len(self._row_of):
            grown = max(top, 2 * len(self._row_of))
            self._row_of = np.concatenate(
                [self._row_of, np.full(grown - len(self._row_of), -1, np.int32)])
        rows = self._row_of[slots]
        missing = rows < 0
        if not missing.any():
            return rows, slots[:0]
        new = slots[missing]
        if not (new[1:] > new[:-1]).all():  # a batch usually holds each series once, in order
            new = np.unique(new)
        first, self._n = self._n, self._n + len(new)
        self._reserve(self._n)
        self._slots[first:self._n] = new
        self._count[first:self._n] = 0.0
        self._sum[first:self._n] = 0.0
        self._min[first:self._n] = np.inf
        self._max[first:self._n] = -np.inf
        self._row_of[new] = np.arange(first, self._n)
        return self._row_of[slots], new

    def _reserve(self, n: int) -> None:
        capacity = len(self._slots)
        if n <= capacity:
            return
        capacity = max(n, 2 * capacity, 16)
        for name in ("_slots", "_count", "_sum", "_min", "_max"):
            old = getattr(self, name)
            new = np.empty(capacity, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def _merge(self) -> None:
        if not self._pending:
            return
        chunks = [self._unpacked(), *self._bins]  # merged first: sums stay in arrival order
        bin_rows, bin_codes, weights = (np.concatenate(c) for c in zip(*chunks, strict=True))
        bin_rows, bin_codes, weights = sketch.merged(bin_codes, weights, bin_rows)
        base = int(bin_codes.min())
        ends = np.cumsum(np.bincount(bin_rows, minlength=self._n))
        self._merged = (narrow(ends), base, narrow(bin_codes - base), pack(weights))
        self._bins, self._merged_bins, self._pending = [], len(bin_codes), 0

    def _unpacked(self) -> Bins:
        """The merged bins as (row, code, weight) in int64 and float64."""
        if self._merged is None:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
        ends, base, bin_codes, weights = self._merged
        sizes = np.diff(ends.astype(np.int64), prepend=0)
        return (np.repeat(np.arange(len(ends)), sizes), bin_codes.astype(np.int64) + base,
                unpack(weights, len(bin_codes)))
