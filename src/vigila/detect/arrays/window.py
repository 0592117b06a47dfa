"""Window arrays: the 15-minute ``WindowBaseline`` of many series.

>>> import numpy as np
>>> det = WindowArrays()
>>> det.ensure(2)
>>> slots = np.array([0, 1])
>>> for i in range(600):
...     det.learn(slots, np.array([100.0 + (i % 7), 5.0]), np.full(2, 1.0 * i))
>>> count, mean, std, p99 = det.stats(slots, np.full(2, 600.0))
>>> count.tolist(), mean.round(1).tolist(), p99.round().tolist()
([600, 600], [103.0, 5.0], [106.0, 5.0])
"""

from __future__ import annotations

import numpy as np

from vigila.detect.arrays.base import Twin, cells, flat, floor_div
from vigila.detect.arrays.sketch import SketchArrays
from vigila.detect.arrays.state import Packed, fixed, join
from vigila.detect.window import _BUCKET, _EMPTY, _HEAD, WindowBaseline


class WindowArrays(Twin[WindowBaseline]):
    """``WindowBaseline(window, buckets, accuracy, max_bins)`` per slot: ``learn``,
    ``moments`` and ``stats`` over a batch of unique slots."""

    newest: np.ndarray
    epochs: np.ndarray
    counts: np.ndarray
    means: np.ndarray
    m2s: np.ndarray

    def __init__(
        self, window: float = 900.0, buckets: int = 5, accuracy: float = 0.02, max_bins: int = 24
    ) -> None:
        if buckets * max_bins > 255:
            # The scalar's merged sketch would collapse bins, which the arrays do not model.
            raise ValueError(f"need buckets * max_bins <= 255, got {buckets} * {max_bins}")
        super().__init__()
        self.window, self.buckets = window, buckets
        self.accuracy, self.max_bins = accuracy, max_bins
        self.width = window / buckets
        self.sketches = SketchArrays(accuracy, max_bins, sketches=buckets)
        self._children.append(self.sketches)
        self._field("newest", np.int64, _EMPTY)
        self._field("epochs", np.int64, _EMPTY, (buckets,))
        self._field("counts", np.int64, 0, (buckets,))
        self._field("means", np.float64, 0.0, (buckets,))
        self._field("m2s", np.float64, 0.0, (buckets,))

    def _epoch(self, t: np.ndarray) -> np.ndarray:
        return floor_div(t, self.width).astype(np.int64)

    def _moments(
        self, slots: np.ndarray, t: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Count, mean and variance, merging the live buckets in order as the scalar
        does, and which buckets are live (``live[i]`` a row per bucket)."""
        oldest = np.maximum(self._epoch(t), self.newest[slots]) - self.buckets
        live = np.empty((self.buckets, len(slots)), bool)
        n = np.zeros(len(slots))
        mean, m2 = np.zeros(len(slots)), np.zeros(len(slots))
        with np.errstate(divide="ignore", invalid="ignore"):
            for i in range(self.buckets):
                on = live[i] = self.epochs[i][slots] > oldest
                nb = self.counts[i][slots]
                d = self.means[i][slots] - mean
                total = n + nb
                mean = np.where(on, mean + d * nb / total, mean)
                m2 = np.where(on, m2 + (self.m2s[i][slots] + d * d * n * nb / total), m2)
                n = np.where(on, total, n)
            var = np.where(n > 0, m2 / n, 0.0)
        return n.astype(np.int64), mean, var, live

    def learn(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> None:
        """``WindowBaseline.learn_one`` of every row; points older than the window
        are dropped."""
        epoch = self._epoch(t)
        newest = self.newest[slots]
        fresh = epoch > newest - self.buckets
        if not fresh.all():
            slots, x, epoch, newest = slots[fresh], x[fresh], epoch[fresh], newest[fresh]
        self.newest[slots] = np.maximum(newest, epoch)
        i = epoch % self.buckets
        at = cells(self.epochs, i, slots)
        epochs, counts = flat(self.epochs), flat(self.counts)
        means, m2s = flat(self.means), flat(self.m2s)
        reused = epochs[at] != epoch
        if reused.any():  # a bucket of an older epoch starts over
            old = at[reused]
            epochs[old], counts[old], means[old], m2s[old] = epoch[reused], 0, 0.0, 0.0
            self.sketches.clear(slots[reused], i[reused])
        count = counts[at] + 1
        mean = means[at]
        d = x - mean
        mean = mean + d / count
        counts[at], means[at] = count, mean
        m2s[at] += d * (x - mean)
        self.sketches.learn(slots, i, x)

    def moments(
        self, slots: np.ndarray, t: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Count, mean (NaN when empty) and standard deviation of each slot's window."""
        n, mean, var, _ = self._moments(slots, t)
        return n, np.where(n > 0, mean, np.nan), np.sqrt(var)

    def stats(
        self, slots: np.ndarray, t: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``moments`` and the p99 (NaN when empty) of each slot's window."""
        n, mean, var, live = self._moments(slots, t)
        p99 = self.sketches.quantile(slots, live, 0.99)
        return n, np.where(n > 0, mean, np.nan), np.sqrt(var), p99

    def packed(self, slots: np.ndarray) -> Packed:
        parts = [fixed(_HEAD, self.newest[slots])]
        for i in range(self.buckets):
            bucket = (a[i][slots] for a in (self.epochs, self.counts, self.means, self.m2s))
            parts += [fixed(_BUCKET, *bucket), self.sketches.packed(slots, i)]
        return join(*parts)

    def scalar(self, slot: int) -> WindowBaseline:
        det = WindowBaseline(self.window, self.buckets, self.accuracy, self.max_bins)
        det.newest = int(self.newest[slot])
        det.epochs = self.epochs[:, slot].tolist()
        det.counts = self.counts[:, slot].tolist()
        det.means = self.means[:, slot].tolist()
        det.m2s = self.m2s[:, slot].tolist()
        det.sketches = [self.sketches.scalar(slot, i) for i in range(self.buckets)]
        return det

    def assign(self, slot: int, window: WindowBaseline) -> None:
        self.newest[slot] = window.newest
        self.epochs[:, slot], self.counts[:, slot] = window.epochs, window.counts
        self.means[:, slot], self.m2s[:, slot] = window.means, window.m2s
        for i, sketch in enumerate(window.sketches):
            self.sketches.assign(slot, i, sketch)
