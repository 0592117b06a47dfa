"""Sketch arrays: ``LogSketch``es of many series, several per slot.

Each sketch keeps its bins in the order ``LogSketch`` inserted them, so a slot's
state is the scalar sketch's bytes; bins collapse as ``LogSketch`` collapses
them (the two lowest merge once more than ``max_bins`` are occupied).

>>> import numpy as np
>>> sk = SketchArrays(sketches=1)
>>> sk.ensure(2)
>>> first, slots = np.zeros(2, np.int64), np.array([0, 1])
>>> for v in range(1, 1001):
...     sk.learn(slots, first, np.array([float(v), -float(v)]))
>>> sk.quantile(slots, np.ones((1, 2), bool), 0.99).round().tolist()
[992.0, -11.0]
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from vigila.detect.arrays.base import ArrayState, cells, flat
from vigila.detect.arrays.state import Packed, concat, fixed
from vigila.detect.sketch import _BIN, _HEADER, _MAX_KEY, _TINY, LogSketch
from vigila.detect.state import StateError

#: A bin is one int64: ``(key + _OFFSET) << 32 | count``; 0 is an empty position.
_OFFSET = _MAX_KEY + 1
_COUNT = 0xFFFF_FFFF  # a bin's count is stored in 32 bits, by the scalar state too


@cache
def _values(accuracy: float) -> np.ndarray:
    """The value of every key, by ``LogSketch._value`` itself, indexed by ``key + _OFFSET``.

    Keys past the float range (which ``LogSketch`` cannot reach with finite values)
    are infinite.
    """
    value = LogSketch(accuracy)._value

    def exact(key: int) -> float:
        try:
            return value(key)
        except OverflowError:
            return math.copysign(math.inf, key)

    return np.array([math.nan, *(exact(k) for k in range(-_MAX_KEY, _MAX_KEY + 1))])


class SketchArrays(ArrayState):
    """``sketches`` sketches per slot, each ``LogSketch(accuracy, max_bins)``.

    A sketch is addressed by its slot and its index ``which`` within the slot;
    ``(slot, which)`` pairs must be unique within one call. ``bins[p, which, slot]``
    is the ``p``-th bin the sketch inserted, and ``sizes[which, slot]`` how many it
    holds.
    """

    bins: np.ndarray
    sizes: np.ndarray

    def __init__(self, accuracy: float = 0.02, max_bins: int = 24, sketches: int = 1) -> None:
        super().__init__()
        self._log_gamma = LogSketch(accuracy, max_bins)._log_gamma  # checks the parameters
        self.accuracy, self.max_bins, self.sketches = accuracy, max_bins, sketches
        # Room for one bin over ``max_bins``: a learned value lands before the collapse.
        self._field("bins", np.int64, 0, (max_bins + 1, sketches))
        self._field("sizes", np.int64, 0, (sketches,))

    def _key(self, x: np.ndarray) -> np.ndarray:
        m = np.abs(x)
        tiny = m < _TINY
        ratio = np.where(tiny, 1.0, m / _TINY)
        q = np.log(ratio) / self._log_gamma
        # numpy's log may differ from math.log by an ulp or two; that can only change a
        # key next to a bin boundary, and those are computed again with math.log.
        near = np.abs(q - np.rint(q)) < 1e-6
        if near.any():
            logs = np.fromiter(map(math.log, ratio[near].tolist()), np.float64)
            q[near] = logs / self._log_gamma
        k = np.ceil(q) + 1
        k = np.where(k < _MAX_KEY, k, _MAX_KEY).astype(np.int64)
        return np.where(tiny, 0, np.where(x > 0.0, k, -k))

    def _places(self, slots: np.ndarray, which: np.ndarray, positions: int) -> np.ndarray:
        """Flat positions in ``bins`` of the first ``positions`` bins of each sketch."""
        first = cells(self.sizes, which, slots)
        return first[:, None] + self.sizes.size * np.arange(positions)

    def clear(self, slots: np.ndarray, which: np.ndarray) -> None:
        """Empty the sketches ``(slots, which)``."""
        sizes = flat(self.sizes)
        at = cells(self.sizes, which, slots)
        flat(self.bins)[self._places(slots, which, int(sizes[at].max(initial=0)))] = 0
        sizes[at] = 0

    def learn(self, slots: np.ndarray, which: np.ndarray, x: np.ndarray) -> None:
        """Add each ``x`` to its sketch ``(slot, which)``."""
        code = (self._key(x) + _OFFSET) << 32
        bins, sizes = flat(self.bins), flat(self.sizes)
        at = cells(self.sizes, which, slots)
        size = sizes[at]
        places = self._places(slots, which, int(size.max(initial=0)) + 1)
        found = bins[places] >> 32 == (code >> 32)[:, None]  # empty positions never match
        rows = np.arange(len(at))
        first = found.argmax(axis=1)
        hit = found[rows, first]
        cell = places[rows, np.where(hit, first, size)]
        bins[cell] = np.where(hit, bins[cell] + 1, code | 1)
        size += ~hit
        sizes[at] = size
        over = size > self.max_bins
        if over.any():
            self._collapse(slots[over], which[over])

    def _collapse(self, slots: np.ndarray, which: np.ndarray) -> None:
        """Merge the lowest bin into the second lowest, keeping the others' order."""
        width = self.max_bins + 1
        places = self._places(slots, which, width)
        values = flat(self.bins)[places]
        n = np.arange(len(slots))
        low = values.argmin(axis=1)  # the key decides: it is in the high bits
        second = np.where(np.arange(width) == low[:, None], values.max() + 1, values).argmin(1)
        values[n, second] += values[n, low] & _COUNT
        at = np.arange(width)
        values = np.take_along_axis(values, np.minimum(at + (at >= low[:, None]), width - 1), 1)
        values[:, -1] = 0
        flat(self.bins)[places] = values
        flat(self.sizes)[cells(self.sizes, which, slots)] -= 1

    def quantile(self, slots: np.ndarray, live: np.ndarray, q: float) -> np.ndarray:
        """Per slot, the ``q`` quantile (nearest rank) of its sketches merged where
        ``live`` (``live[which]`` a row of booleans over ``slots``), or NaN when they
        are empty."""
        n = len(slots)
        width = int(np.where(live, np.take(self.sizes, slots, axis=1), 0).max(initial=0))
        if not width:
            return np.full(n, np.nan)
        bins = np.take(self.bins[:width].reshape(-1, self.capacity), slots, axis=1)
        bins = np.where(np.tile(live, (width, 1)), bins, 0).T.copy()
        # Sorted by key (the high bits), each slot's bins need no merging of equal keys
        # to find the first whose running count passes the rank.
        bins.sort(axis=1)
        running = np.cumsum(bins.reshape(-1) & _COUNT)
        ends = running[bins.shape[1] - 1 :: bins.shape[1]]
        before = np.r_[0, ends[:-1]]
        total = ends - before
        # count > rank, in integers: count >= floor(rank) + 1, the rank q * (total - 1).
        passes = before + np.floor(q * (total - 1)).astype(np.int64) + 1
        first = (running >= np.repeat(passes, bins.shape[1])).reshape(n, -1).argmax(axis=1)
        key = bins[np.arange(n), first] >> 32
        return np.where(total > 0, _values(self.accuracy)[key], np.nan)

    def packed(self, slots: np.ndarray, which: int) -> Packed:
        """The states of the sketches ``(slots, which)``, each ``LogSketch.to_state()``."""
        size = self.sizes[which][slots]
        codes = self.bins[: size.max(initial=0), which][:, slots].T.reshape(-1)
        bins = fixed(_BIN, (codes >> 32) - _OFFSET, codes & _COUNT).data.reshape(len(slots), -1)
        occupied = np.arange(bins.shape[1]) < _BIN.size * size[:, None]
        return concat(fixed(_HEADER, size), Packed(bins, occupied))

    def scalar(self, slot: int, which: int) -> LogSketch:
        """A scalar sketch holding the bins of ``(slot, which)``."""
        sk = LogSketch(self.accuracy, self.max_bins)
        bins = self.bins[: self.sizes[which, slot], which, slot].tolist()
        sk.bins = {(b >> 32) - _OFFSET: b & _COUNT for b in bins}
        sk.count = sum(sk.bins.values())
        return sk

    def assign(self, slot: int, which: int, sketch: LogSketch) -> None:
        """Set the bins of ``(slot, which)`` to those of a scalar ``sketch``."""
        n = len(sketch.bins)
        if n > self.max_bins:
            raise StateError(f"LogSketch: state holds {n} bins, more than max_bins {self.max_bins}")
        self.bins[:, which, slot] = 0
        self.bins[:n, which, slot] = [(k + _OFFSET) << 32 | c for k, c in sketch.bins.items()]
        self.sizes[which, slot] = n
