"""Seasonal arrays: the daily profile of many series.

>>> import numpy as np
>>> det = SeasonalArrays()
>>> det.ensure(2)
>>> slots, hour = np.array([0, 1]), 3600.0
>>> for i in range(24 * 14):
...     busy = 9 <= i % 24 < 17
...     det.learn(slots, np.array([100.0 if busy else 10.0, 10.0]), np.full(2, i * hour))
>>> t = np.full(2, 24 * 14 * hour + 10 * hour)  # 10:00 on day 15
>>> det.score(slots, np.array([100.0, 100.0]), t).round(1).tolist()
[0.0, 1.0]
"""

from __future__ import annotations

import numpy as np

from vigila.detect.arrays.base import BaselineArrays, cells, flat, floor_div, scaled
from vigila.detect.arrays.ewma import EWMAArrays, weighted
from vigila.detect.arrays.state import Packed, fixed, join
from vigila.detect.seasonal import _COUNT_CAP, Seasonal


class SeasonalArrays(BaselineArrays[Seasonal]):
    """``Seasonal(period, slots, rate, floor, level_rate)`` per slot: ``slots`` means,
    variances and counts (``means[k, slot]`` for the ``k``-th slot of the day), and the
    series' ``level``."""

    means: np.ndarray
    vars: np.ndarray
    counts: np.ndarray

    def __init__(
        self,
        period: float = 86_400.0,
        slots: int = 24,
        rate: float = 0.02,
        floor: float = 0.01,
        level_rate: float = 0.002,
    ) -> None:
        super().__init__()
        self.period, self.slots, self.rate = period, slots, rate
        self.floor, self.level_rate = floor, level_rate
        self.width = period / slots
        self._layout = self._scalar()._layout
        self.level = EWMAArrays(level_rate)
        self._children.append(self.level)
        self._field("means", np.float64, 0.0, (slots,))
        self._field("vars", np.float64, 0.0, (slots,))
        self._field("counts", np.int64, 0, (slots,))

    def _cells(self, slots: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Flat positions of each row's slot of the day in ``means``, ``vars``, ``counts``."""
        k = floor_div(t, self.width).astype(np.int64) % self.slots
        return cells(self.means, k, slots)

    def deviation(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        at = self._cells(slots, t)
        var = flat(self.vars)[at] + self.floor * self.level.var[slots]
        z = scaled(np.abs(x - flat(self.means)[at]), var)
        return np.where(flat(self.counts)[at] == 0, 0.0, z)

    def learn(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> None:
        at = self._cells(slots, t)
        means, variances, counts = flat(self.means), flat(self.vars), flat(self.counts)
        c = counts[at]
        mean, var = weighted(c + 1, means[at], variances[at], x, self.rate)
        # A slot's first point sets its mean, and its variance to the series' so far.
        means[at] = np.where(c > 0, mean, x)
        variances[at] = np.where(c > 0, var, self.level.var[slots])
        counts[at] = np.where(c < _COUNT_CAP, c + 1, c)
        self.level.learn(slots, x, t)

    def packed(self, slots: np.ndarray) -> Packed:
        profile = fixed(self._layout, self.means[:, slots], self.vars[:, slots],
                        self.counts[:, slots])
        return join(self.level.packed(slots), profile)

    def _scalar(self) -> Seasonal:
        return Seasonal(self.period, self.slots, self.rate, self.floor, self.level_rate)

    def scalar(self, slot: int) -> Seasonal:
        det = self._scalar()
        det.level = self.level.scalar(slot)
        det.means = self.means[:, slot].tolist()
        det.vars = self.vars[:, slot].tolist()
        det.counts = self.counts[:, slot].tolist()
        return det

    def assign(self, slot: int, detector: Seasonal) -> None:
        self.level.assign(slot, detector.level)
        self.means[:, slot], self.vars[:, slot] = detector.means, detector.vars
        self.counts[:, slot] = detector.counts
