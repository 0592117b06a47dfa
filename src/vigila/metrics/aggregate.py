"""The statistics of a period: count, sum, minimum, maximum and a quantile sketch.

Queries fold the buckets that make up a period into one aggregate. A bucket
whose samples all had one value brings no bins of its own (its one bin is
implied); the sketch's bins are merged only when a quantile is asked for, and
quantiles are exact at 0 and 1 and wherever every sample had one value.

>>> agg = Aggregate()
>>> for v in (3.0, 1.0, 2.0):
...     agg.add(v)
>>> agg.count, agg.sum, agg.min, agg.max
(3.0, 6.0, 1.0, 3.0)
>>> total = Aggregate()
>>> total.merge(agg)
>>> total.merge(agg)
>>> total.count, round(total.quantile(0.5), 1)
(6.0, 2.0)
"""

from __future__ import annotations

import math

import numpy as np

from vigila.metrics import sketch


class Aggregate:
    """Mergeable statistics of the samples of one bucket or period.

    With `quantiles=False` no bins are kept: such an aggregate answers only the
    standard statistics, and folding into it skips the cost of sketches.
    """

    __slots__ = ("_bins", "_parts", "_singles", "count", "max", "min", "quantiles", "sum")

    def __init__(self, quantiles: bool = True) -> None:
        self.count = 0.0
        self.sum = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.quantiles = quantiles
        self._singles: list[tuple[float, float]] = []  # (value, weight) of one-value parts
        self._parts: list[tuple[np.ndarray, np.ndarray]] = []
        self._bins: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, value: float, weight: float = 1.0) -> None:
        """Count one (weighted) sample."""
        self.fold(weight, value * weight, value, value)

    def fold(self, count: float, total: float, low: float, high: float,
             bin_codes: np.ndarray | None = None, weights: np.ndarray | None = None) -> None:
        """Fold in one bucket: its statistics and its bins (sorted distinct `sketch` codes
        and their weights), which a bucket whose samples all had one value (low == high)
        may leave out."""
        if self.quantiles and count:
            if bin_codes is None:
                self._singles.append((low, count))
            else:
                self._parts.append((bin_codes, weights))  # type: ignore[arg-type]
            self._bins = None
        self.count += count
        self.sum += total
        if low < self.min:
            self.min = low
        if high > self.max:
            self.max = high

    def merge(self, other: Aggregate) -> None:
        """Fold `other` in (which must keep bins if this one does)."""
        self.fold(other.count, other.sum, other.min, other.max,
                  *(other.bins() if self.quantiles else (None, None)))

    def bins(self) -> tuple[np.ndarray, np.ndarray]:
        """The sketch: sorted distinct codes and their weights."""
        if not self.quantiles:
            raise ValueError("this aggregate keeps no sketch")
        if self._bins is None and not self._singles and len(self._parts) == 1:
            self._bins = self._parts[0]  # one bucket's bins: merged already
        if self._bins is None:
            values = np.array([v for v, _ in self._singles], dtype=np.float64)
            weights = np.array([w for _, w in self._singles], dtype=np.float64)
            parts = [(sketch.codes(values), weights), *self._parts]
            self._bins = sketch.merged(*(np.concatenate(p) for p in zip(*parts, strict=True)))
            self._singles, self._parts = [], [self._bins]
        return self._bins

    def quantile(self, q: float) -> float:
        """The q-quantile (0..1) within 1% relative error; exact at 0 and 1."""
        if q <= 0.0:
            return self.min
        if q >= 1.0:
            return self.max
        if self.min == self.max or not self.count:  # every sample had one value
            if not self.quantiles:
                raise ValueError("this aggregate keeps no sketch")
            return self.min
        value = sketch.quantile(*self.bins(), q)
        # The sketch answers with its bin's representative value; the exact
        # extremes bound it.
        return min(max(value, self.min), self.max)

    def encoded_sketch(self) -> bytes:
        """The sketch in its wire form (`sketch.encode`)."""
        bin_codes, weights = self.bins()
        return sketch.encode(bin_codes.tolist(), weights.tolist())
