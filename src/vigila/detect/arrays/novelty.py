"""Range novelty arrays: the forgetting range of many series.

>>> import numpy as np
>>> det = RangeNoveltyArrays()
>>> det.ensure(1)
>>> slot = np.array([0])
>>> for i in range(500):
...     det.learn(slot, np.array([float(i % 10)]), np.array([60.0 * i]))
>>> [det.score(slot, np.array([x]), np.array([30000.0])).round(2).item() for x in (9.0, 9.5, 30.0)]
[0.0, 0.56, 1.0]
"""

from __future__ import annotations

import numpy as np

from vigila.detect.arrays.base import DetectorArrays
from vigila.detect.arrays.state import Packed, fixed
from vigila.detect.novelty import _LAYOUT, RangeNovelty


class RangeNoveltyArrays(DetectorArrays[RangeNovelty]):
    """``RangeNovelty(tolerance, scale, decay)`` per slot."""

    low: np.ndarray
    high: np.ndarray
    count: np.ndarray

    def __init__(self, tolerance: float = 0.03, scale: float = 0.2, decay: float = 3e-5) -> None:
        super().__init__()
        self.tolerance, self.scale, self.decay = tolerance, scale, decay
        self._field("low", np.float64, 0.0)
        self._field("high", np.float64, 0.0)
        self._field("count", np.int64, 0)

    def score(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        low, high = self.low[slots], self.high[slots]
        width = high - low
        above, below = x - high, low - x
        with np.errstate(divide="ignore", invalid="ignore"):
            beyond = np.where(below > above, below, above) / width - self.tolerance
        rising = 0.5 + 0.5 * beyond / self.scale
        s = np.where(beyond <= 0.0, 0.0, np.where(rising < 1.0, rising, 1.0))
        # A flat line so far: any other value is new.
        new = np.where((x == high) | (self.count[slots] == 0), 0.0, 1.0)
        return np.where(width <= 0.0, new, s)

    def learn(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> None:
        low, high = self.low[slots], self.high[slots]
        up = x > high
        high = np.where(up, x, high)
        low = np.where(~up & (x < low), x, low)
        shrink = 0.5 * self.decay * (high - low)
        first = self.count[slots] == 0
        self.high[slots] = np.where(first, x, high - shrink)
        self.low[slots] = np.where(first, x, low + shrink)
        self.count[slots] += 1

    def packed(self, slots: np.ndarray) -> Packed:
        return fixed(_LAYOUT, self.low[slots], self.high[slots], self.count[slots])

    def scalar(self, slot: int) -> RangeNovelty:
        det = RangeNovelty(self.tolerance, self.scale, self.decay)
        det.low, det.high, det.count = (
            float(self.low[slot]), float(self.high[slot]), int(self.count[slot])
        )
        return det

    def assign(self, slot: int, detector: RangeNovelty) -> None:
        self.low[slot], self.high[slot], self.count[slot] = (
            detector.low, detector.high, detector.count
        )
