"""Robust baseline: streaming median and MAD, immune to the outliers it flags.

Both are tracked by stochastic approximation: each point nudges the median
one step toward itself and the MAD one step toward ``|x - median|``, with steps
of ``rate`` times the current MAD, so a single outlier moves neither by more
than one step. State: three numbers.

>>> det = RobustBaseline()
>>> for i in range(1000):
...     det.learn_one(20.0 + (i * 7919 % 11) - 5.0, t=60.0 * i)
>>> round(det.median), det.score_one(21.0, t=6e4) < 0.1 < 0.5 < det.score_one(80.0, t=6e4)
(20, True)
"""

from __future__ import annotations

import math
import struct

from vigila.detect.base import Baseline
from vigila.detect.state import unpack

_LAYOUT = struct.Struct("<ddQ")
#: MAD of a standard normal distribution: scales the MAD to a standard deviation.
_MAD_SIGMA = 0.6744897501960817


class RobustBaseline(Baseline):
    """Deviation in robust standard units: ``|x - median| / (MAD / 0.6745)``."""

    def __init__(self, rate: float = 0.02) -> None:
        self.rate = rate
        self.median = 0.0
        self.mad = 0.0
        self.count = 0

    def deviation(self, x: float, t: float) -> float:
        if self.count < 2:
            return 0.0
        d = abs(x - self.median)
        if self.mad > 0.0:
            return d * _MAD_SIGMA / self.mad
        return 0.0 if d == 0.0 else math.inf

    def learn_one(self, x: float, t: float) -> None:
        self.count += 1
        a = max(self.rate, 1.0 / self.count)
        d = x - self.median
        if self.mad > 0.0:
            step = a * self.mad
            self.median += step if d > 0.0 else (-step if d < 0.0 else 0.0)
            self.mad += step if abs(d) > self.mad else -step
        else:
            # No spread yet (start, or a flat stretch): plain running means.
            self.median += a * d
            self.mad += a * abs(d)

    def to_state(self) -> bytes:
        return _LAYOUT.pack(self.median, self.mad, self.count)

    def from_state(self, state: bytes) -> None:
        self.median, self.mad, self.count = unpack(self, _LAYOUT, state)
