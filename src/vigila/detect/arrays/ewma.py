"""EWMA arrays: the ``EWMA`` baseline of many series.

>>> import numpy as np
>>> det = EWMAArrays(rate=0.05)
>>> det.ensure(2)
>>> slots = np.array([0, 1])
>>> for i in range(300):
...     det.learn(slots, np.array([10.0 + i % 3, 500.0]), np.full(2, 60.0 * i))
>>> det.score(slots, np.array([30.0, 500.0]), np.full(2, 18000.0)).round(2).tolist()
[1.0, 0.0]
"""

from __future__ import annotations

import numpy as np

from vigila.detect.arrays.base import BaselineArrays, scaled
from vigila.detect.arrays.state import Packed, fixed
from vigila.detect.ewma import _LAYOUT, EWMA


def weighted(
    count: np.ndarray, mean: np.ndarray, var: np.ndarray, x: np.ndarray, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance after folding in ``x`` as the ``count``-th point: weight
    ``rate``, or ``1/count`` while ``count * rate < 1`` (the step of ``EWMA.learn_one``)."""
    a = np.where(count * rate >= 1.0, rate, 1.0 / count)
    d = x - mean
    return mean + a * d, (1.0 - a) * (var + a * d * d)


class EWMAArrays(BaselineArrays[EWMA]):
    """``EWMA(rate)`` per slot."""

    mean: np.ndarray
    var: np.ndarray
    count: np.ndarray

    def __init__(self, rate: float = 0.002) -> None:
        super().__init__()
        self.rate = rate
        self._field("mean", np.float64, 0.0)
        self._field("var", np.float64, 0.0)
        self._field("count", np.int64, 0)

    def deviation(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        z = scaled(np.abs(x - self.mean[slots]), self.var[slots])
        return np.where(self.count[slots] < 2, 0.0, z)

    def learn(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> None:
        count = self.count[slots] + 1
        self.mean[slots], self.var[slots] = weighted(
            count, self.mean[slots], self.var[slots], x, self.rate
        )
        self.count[slots] = count

    def packed(self, slots: np.ndarray) -> Packed:
        return fixed(_LAYOUT, self.mean[slots], self.var[slots], self.count[slots])

    def scalar(self, slot: int) -> EWMA:
        det = EWMA(self.rate)
        det.mean, det.var, det.count = (
            float(self.mean[slot]), float(self.var[slot]), int(self.count[slot])
        )
        return det

    def assign(self, slot: int, detector: EWMA) -> None:
        self.mean[slot], self.var[slot], self.count[slot] = (
            detector.mean, detector.var, detector.count
        )
