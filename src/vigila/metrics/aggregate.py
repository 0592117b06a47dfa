"""One rollup bucket: count, sum, minimum, maximum and a quantile sketch.

The sketch is made only once the bucket holds two different values: a gauge
read once per bucket, or a counter of ones, needs none, and its quantiles are
exact. Closed buckets are kept packed, as bytes.

>>> agg = Aggregate()
>>> for v in (3.0, 1.0, 2.0):
...     agg.add(v)
>>> agg.count, agg.sum, agg.min, agg.max
(3.0, 6.0, 1.0, 3.0)
>>> total = Aggregate()
>>> total.merge(agg)
>>> total.merge_packed(agg.pack())
>>> total.count, round(total.quantile(0.5), 1)
(6.0, 2.0)
"""

from __future__ import annotations

import math
import struct

from ddsketch.ddsketch import BaseDDSketch

from vigila.metrics.sketch import decode_sketch, encode_sketch, new_sketch

_HEAD = struct.Struct("<4d")  # count, sum, min, max ahead of the encoded sketch


class Aggregate:
    """Mergeable statistics of the samples that fell in one bucket.

    With `quantiles=False` no sketch is kept: such an aggregate answers only
    the standard statistics, and merging into it skips the cost of sketches.
    """

    __slots__ = ("count", "max", "min", "quantiles", "sketch", "sum")

    def __init__(self, quantiles: bool = True) -> None:
        self.count = 0.0
        self.sum = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.quantiles = quantiles
        self.sketch: BaseDDSketch | None = None

    def add(self, value: float, weight: float = 1.0) -> None:
        """Count one (weighted) sample."""
        self._fold(weight, value * weight, value, value, None)

    def merge(self, other: Aggregate) -> None:
        """Fold `other` in."""
        self._fold(other.count, other.sum, other.min, other.max, other.sketch)

    def merge_packed(self, packed: bytes) -> None:
        """Fold in an aggregate kept as `pack()` bytes, decoding its sketch only if needed."""
        count, total, low, high = _HEAD.unpack_from(packed)
        body = packed[_HEAD.size :]
        self._fold(
            count, total, low, high, decode_sketch(body) if body and self.quantiles else None
        )

    def pack(self) -> bytes:
        """Compact bytes: 32 bytes of statistics, then the encoded sketch if there is one."""
        head = _HEAD.pack(self.count, self.sum, self.min, self.max)
        return head if self.sketch is None else head + encode_sketch(self.sketch)

    def quantile(self, q: float) -> float:
        """The q-quantile (0..1) within 1% relative error; exact at 0 and 1."""
        if q <= 0.0:
            return self.min
        if q >= 1.0:
            return self.max
        if not self.quantiles:
            raise ValueError("this aggregate keeps no sketch")
        if self.sketch is None:  # every sample had the same value
            return self.min
        value = self.sketch.get_quantile_value(q)
        # The sketch answers with its bin's representative value; the exact
        # extremes bound it.
        return min(max(value, self.min), self.max)

    def _fold(
        self, count: float, total: float, low: float, high: float, sketch: BaseDDSketch | None
    ) -> None:
        if self.quantiles and count:
            if sketch is not None:
                self._spread().merge(sketch)
            elif self.sketch is not None:
                self.sketch.add(low, count)
            elif self.count and low != self.min:
                self._spread().add(low, count)
        self.count += count
        self.sum += total
        if low < self.min:
            self.min = low
        if high > self.max:
            self.max = high

    def _spread(self) -> BaseDDSketch:
        """The sketch, made now from the one value seen so far if there was none."""
        if self.sketch is None:
            self.sketch = new_sketch()
            if self.count:
                self.sketch.add(self.min, self.count)
        return self.sketch


def unpack_head(packed: bytes) -> tuple[float, float, float, float]:
    """(count, sum, min, max) of packed bytes."""
    return _HEAD.unpack_from(packed)


def packed_sketch(packed: bytes) -> bytes:
    """The encoded sketch of packed bytes, made from the single value when there is none."""
    body = packed[_HEAD.size :]
    if body:
        return body
    count, _, low, _ = _HEAD.unpack_from(packed)
    sketch = new_sketch()
    sketch.add(low, count)
    return encode_sketch(sketch)


def pack_parts(count: float, total: float, low: float, high: float, sketch: bytes) -> bytes:
    """Packed bytes from statistics and an encoded sketch (as rows carry them)."""
    return _HEAD.pack(count, total, low, high) + sketch
