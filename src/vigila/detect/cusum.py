"""CUSUM change-point detector: accumulates evidence of a level shift.

Deviations are standardized by a slow EWMA reference. Two sums collect the
drift up and down beyond ``drift`` standard units; their size ``S`` maps to the
tail probability ``exp(-2 * drift * S)`` of a stationary series. When a sum
crosses ``threshold`` the change is confirmed: the reference restarts on the
new level and the sums reset.

>>> det = CUSUM()
>>> for i in range(500):
...     det.learn_one(10.0 + (i % 5) * 0.2, t=60.0 * i)
>>> [round(det.update(13.0, t=60.0 * (500 + i)), 2) for i in range(4)]  # confirmed, then accepted
[0.59, 1.0, 0.0, 0.0]
"""

from __future__ import annotations

import math
import struct

from vigila.detect.base import Detector, surprise_log10
from vigila.detect.ewma import EWMA
from vigila.detect.state import join, split, unpack

_LAYOUT = struct.Struct("<dd")
_LOG10E = math.log10(math.e)


class CUSUM(Detector):
    """Two-sided CUSUM with restart after each confirmed change."""

    def __init__(
        self, drift: float = 0.75, threshold: float = 10.0, rate: float = 0.005, warmup: int = 30
    ) -> None:
        self.drift = drift
        self.threshold = threshold
        self.warmup = warmup
        self.reference = EWMA(rate)
        self.up = 0.0
        self.down = 0.0

    def _sums(self, x: float) -> tuple[float, float]:
        ref = self.reference
        if ref.count < self.warmup:
            return 0.0, 0.0
        if ref.var > 0.0:
            z = (x - ref.mean) / math.sqrt(ref.var)
        else:
            z = 0.0 if x == ref.mean else math.copysign(math.inf, x - ref.mean)
        k = self.drift
        return max(0.0, self.up + z - k), max(0.0, self.down - z - k)

    def score_one(self, x: float, t: float) -> float:
        up, down = self._sums(x)
        return surprise_log10(-2.0 * self.drift * max(up, down) * _LOG10E)

    def learn_one(self, x: float, t: float) -> None:
        self.up, self.down = self._sums(x)
        if max(self.up, self.down) > self.threshold:
            self.reference = EWMA(self.reference.rate)
            self.up = self.down = 0.0
        self.reference.learn_one(x, t)

    def to_state(self) -> bytes:
        return join(_LAYOUT.pack(self.up, self.down), self.reference.to_state())

    def from_state(self, state: bytes) -> None:
        own, reference = split(self, state, 2)
        self.up, self.down = unpack(self, _LAYOUT, own)
        self.reference.from_state(reference)
