"""Time-window baseline: mean, standard deviation and p99 over the last 15 minutes.

The window is a ring of time buckets, each holding its count, mean, sum of
squared deviations and a small ``LogSketch``; old buckets are overwritten, so
memory stays bounded whatever the event rate. The window spans between
``window - window/buckets`` and ``window`` seconds.

>>> det = WindowBaseline()
>>> for i in range(600):
...     det.learn_one(100.0 + (i % 7), t=1.0 * i)
>>> stats = det.stats(t=600.0)
>>> stats.count, round(stats.mean, 1), round(stats.p99)
(600, 103.0, 106)
>>> det.score_one(103.0, t=600.0) < 0.1 < 0.5 < det.score_one(150.0, t=600.0)
True
"""

from __future__ import annotations

import math
import struct
from typing import NamedTuple

from vigila.detect.base import Baseline
from vigila.detect.sketch import LogSketch
from vigila.detect.state import join, split, unpack

_HEAD = struct.Struct("<q")
_BUCKET = struct.Struct("<qQdd")
_EMPTY = -(2**62)


class WindowStats(NamedTuple):
    """Summary of the points in the window."""

    count: int
    mean: float
    std: float
    p99: float


class WindowBaseline(Baseline):
    """Baseline over the last ``window`` seconds kept in ``buckets`` time buckets."""

    def __init__(
        self, window: float = 900.0, buckets: int = 5, accuracy: float = 0.02, max_bins: int = 24
    ) -> None:
        self.width = window / buckets
        self.buckets = buckets
        self.accuracy = accuracy
        self.max_bins = max_bins
        self.epochs = [_EMPTY] * buckets
        self.counts = [0] * buckets
        self.means = [0.0] * buckets
        self.m2s = [0.0] * buckets
        self.sketches = [LogSketch(accuracy, max_bins) for _ in range(buckets)]
        self.newest = _EMPTY

    def _live(self, t: float) -> list[int]:
        oldest = max(int(t // self.width), self.newest) - self.buckets
        return [i for i, e in enumerate(self.epochs) if e > oldest]

    def _moments(self, t: float) -> tuple[int, float, float]:
        """Count, mean and variance of the window (parallel-variance merge of buckets)."""
        n, mean, m2 = 0, 0.0, 0.0
        for i in self._live(t):
            nb = self.counts[i]
            d = self.means[i] - mean
            total = n + nb
            mean += d * nb / total
            m2 += self.m2s[i] + d * d * n * nb / total
            n = total
        return n, mean, (m2 / n if n else 0.0)

    def deviation(self, x: float, t: float) -> float:
        """Standard normal equivalent of the Student t of ``x`` against the window.

        A window may hold a dozen points; judging a new one by their mean and
        standard deviation alone would overstate its surprise.
        """
        n, mean, var = self._moments(t)
        if n < 3:
            return 0.0
        d = abs(x - mean)
        if var <= 0.0:
            return 0.0 if d == 0.0 else math.inf
        dof = n - 1
        student = d / math.sqrt(var * n / dof * (1.0 + 1.0 / n))
        # Wallace's normal approximation of the t distribution.
        return (8 * dof + 1) / (8 * dof + 3) * math.sqrt(dof * math.log1p(student * student / dof))

    def learn_one(self, x: float, t: float) -> None:
        epoch = int(t // self.width)
        if epoch <= self.newest - self.buckets:
            return  # older than the window: nothing to update
        self.newest = max(self.newest, epoch)
        i = epoch % self.buckets
        if self.epochs[i] != epoch:
            self.epochs[i] = epoch
            self.counts[i], self.means[i], self.m2s[i] = 0, 0.0, 0.0
            self.sketches[i] = LogSketch(self.accuracy, self.max_bins)
        self.counts[i] += 1
        d = x - self.means[i]
        self.means[i] += d / self.counts[i]
        self.m2s[i] += d * (x - self.means[i])
        self.sketches[i].learn_one(x)

    def moments(self, t: float) -> tuple[int, float, float]:
        """Count, mean and standard deviation of the window: `stats` without the p99
        (which merges sketches and costs several times more)."""
        n, mean, var = self._moments(t)
        return n, (mean if n else math.nan), math.sqrt(var)

    def stats(self, t: float) -> WindowStats:
        """Count, mean, standard deviation and p99 of the window ending at ``t``."""
        n, mean, var = self._moments(t)
        merged = LogSketch(self.accuracy, min(255, self.buckets * self.max_bins))
        for i in self._live(t):
            merged.merge(self.sketches[i])
        return WindowStats(n, mean if n else math.nan, math.sqrt(var), merged.quantile(0.99))

    def to_state(self) -> bytes:
        parts = [_HEAD.pack(self.newest)]
        for i in range(self.buckets):
            parts.append(_BUCKET.pack(self.epochs[i], self.counts[i], self.means[i], self.m2s[i]))
            parts.append(self.sketches[i].to_state())
        return join(*parts)

    def from_state(self, state: bytes) -> None:
        head, *parts = split(self, state, 1 + 2 * self.buckets)
        (self.newest,) = unpack(self, _HEAD, head)
        for i in range(self.buckets):
            values = unpack(self, _BUCKET, parts[2 * i])
            self.epochs[i], self.counts[i], self.means[i], self.m2s[i] = values
            self.sketches[i].from_state(parts[2 * i + 1])
