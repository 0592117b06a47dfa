"""EWMA baseline: exponentially weighted mean and variance of a series.

>>> det = EWMA(rate=0.05)
>>> for i in range(300):
...     det.learn_one(10.0 + i % 3, t=60.0 * i)
>>> det.score_one(11.0, t=18000.0) < 0.1 < 0.5 < det.score_one(30.0, t=18000.0)
True
"""

from __future__ import annotations

import math
import struct

from vigila.detect.base import Baseline
from vigila.detect.state import unpack

_LAYOUT = struct.Struct("<ddQ")


class EWMA(Baseline):
    """Mean and variance with weight ``rate`` on each new point (``1/n`` while n is small)."""

    def __init__(self, rate: float = 0.002) -> None:
        self.rate = rate
        self.mean = 0.0
        self.var = 0.0
        self.count = 0

    def deviation(self, x: float, t: float) -> float:
        if self.count < 2:
            return 0.0
        d = abs(x - self.mean)
        if self.var > 0.0:
            return d / math.sqrt(self.var)
        return 0.0 if d == 0.0 else math.inf

    def learn_one(self, x: float, t: float) -> None:
        self.count += 1
        a = self.rate if self.count * self.rate >= 1.0 else 1.0 / self.count
        d = x - self.mean
        self.mean += a * d
        self.var = (1.0 - a) * (self.var + a * d * d)

    def to_state(self) -> bytes:
        return _LAYOUT.pack(self.mean, self.var, self.count)

    def from_state(self, state: bytes) -> None:
        self.mean, self.var, self.count = unpack(self, _LAYOUT, state)
