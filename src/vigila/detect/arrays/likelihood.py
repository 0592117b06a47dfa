"""Likelihood arrays: the anomaly likelihood of many series.

>>> import math
>>> import numpy as np
>>> det = LikelihoodArrays()
>>> det.ensure(1)
>>> slot = np.array([0])
>>> for i in range(2000):
...     det.learn(slot, np.array([50.0 + 5.0 * math.sin(i * 0.7)]), np.array([300.0 * i]))
>>> t = np.array([600000.0])
>>> low, high = (det.score(slot, np.array([x]), t).item() for x in (52.0, 95.0))
>>> low < 0.3 < high
True
"""

from __future__ import annotations

import math

import numpy as np

from vigila.detect.arrays.base import (
    BaselineArrays,
    DetectorArrays,
    cells,
    flat,
    surprise_log10,
)
from vigila.detect.arrays.ewma import weighted
from vigila.detect.arrays.seasonal import SeasonalArrays
from vigila.detect.arrays.state import Packed, fixed, join
from vigila.detect.ewma import EWMA
from vigila.detect.likelihood import _LN10, _SQRT_HALF, Likelihood


class LikelihoodArrays(DetectorArrays[Likelihood]):
    """``Likelihood(baseline, ...)`` per slot, over the arrays of its ``baseline``
    (``SeasonalArrays()`` by default); the parameters are ``Likelihood``'s."""

    mean: np.ndarray
    var: np.ndarray
    count: np.ndarray
    exceed: np.ndarray
    excess: np.ndarray
    seen: np.ndarray
    recent: np.ndarray
    held: np.ndarray

    def __init__(
        self,
        baseline: BaselineArrays | None = None,
        window: int = 3,
        rate: float = 0.0003,
        cap: float = 10.0,
        threshold: float = 2.0,
        tail_rate: float = 0.0003,
        prior: float = 200.0,
    ) -> None:
        super().__init__()
        self._params = (window, rate, cap, threshold, tail_rate, prior)
        fresh = Likelihood(EWMA(), *self._params)  # checks the parameters, gives the priors
        self._layout = fresh._layout
        self.baseline = baseline if baseline is not None else SeasonalArrays()
        self._children.append(self.baseline)
        self.window, self.rate, self.cap = window, rate, cap
        self.threshold, self.tail_rate = threshold, tail_rate
        self._field("mean", np.float64, 0.0)
        self._field("var", np.float64, 0.0)
        self._field("count", np.int64, 0)
        self._field("exceed", np.float64, fresh.exceed)
        self._field("excess", np.float64, fresh.excess)
        self._field("seen", np.float64, fresh.seen)
        # The last window - 1 deviations, oldest first; ``held`` of them are real.
        self._field("recent", np.float64, 0.0, (window - 1,))
        self._field("held", np.int64, 0)

    def _capped(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        z = self.baseline.deviation(slots, x, t)
        return np.where(z < self.cap, z, self.cap)  # min(cap, z), NaN included

    def _standardize(self, slots: np.ndarray, z: np.ndarray) -> np.ndarray:
        total = z
        width = self.window - 1
        if 0 < width <= 2:  # at most two terms: added as sum() adds them
            recent = self.recent
            total = (recent[0][slots] + recent[1][slots] if width == 2 else recent[0][slots]) + z
        elif width:  # sum() compensates longer sums on newer Pythons: let it do them
            total = np.array([sum(r) for r in self.recent[:, slots].T.tolist()]) + z
        d = total / (self.held[slots] + 1) - self.mean[slots]
        var = self.var[slots]
        with np.errstate(divide="ignore", invalid="ignore"):
            zz = d / np.sqrt(var)
        zz = np.where(var > 0.0, zz, np.where(d <= 0.0, 0.0, np.inf))
        return np.where(self.count[slots] < 2, 0.0, zz)

    def _score(self, slots: np.ndarray, zz: np.ndarray) -> np.ndarray:
        u = self.threshold
        tail = zz > u
        if not tail.any():
            return surprise_log10(self._gaussian_log10(zz))
        log10_p = np.empty(len(zz))
        log10_p[~tail] = self._gaussian_log10(zz[~tail])
        rows = slots[tail]
        exceed = np.fromiter(map(math.log10, self.exceed[rows].tolist()), np.float64)
        log10_p[tail] = exceed - (zz[tail] - u) / (self.excess[rows] * _LN10)
        return surprise_log10(log10_p)

    @staticmethod
    def _gaussian_log10(zz: np.ndarray) -> np.ndarray:
        """``log10(P(Z > zz))`` of a standard normal ``Z``, by ``math.erfc`` and
        ``math.log10`` element by element: numpy's logarithms may differ by an ulp."""
        tails = np.fromiter(map(math.erfc, (zz * _SQRT_HALF).tolist()), np.float64, len(zz))
        return np.fromiter(map(math.log10, (0.5 * tails).tolist()), np.float64, len(zz))

    def _learn(self, slots: np.ndarray, z: np.ndarray, zz: np.ndarray) -> None:
        u, tail_rate = self.threshold, self.tail_rate
        seen = self.seen[slots] + 1.0
        a = np.where(seen * tail_rate >= 1.0, tail_rate, 1.0 / seen)
        over = zz > u
        exceed = self.exceed[slots]
        exceed = exceed + a * (over - exceed)
        b = 1.0 / (seen * exceed + 1.0)
        b = np.where(b > 10.0 * tail_rate, b, 10.0 * tail_rate)
        gain = zz - u
        gain = np.where(self.cap < gain, self.cap, gain)
        excess = self.excess[slots]
        self.excess[slots] = np.where(over, excess + b * (gain - excess), excess)
        self.exceed[slots], self.seen[slots] = exceed, seen
        count = self.count[slots] + 1
        self.mean[slots], self.var[slots] = weighted(
            count, self.mean[slots], self.var[slots], z, self.rate
        )
        self.count[slots] = count
        if self.window > 1:
            self._remember(slots, z)

    def _remember(self, slots: np.ndarray, z: np.ndarray) -> None:
        """Append ``z`` to the recent deviations, dropping the oldest once they are full."""
        width, recent, held = self.window - 1, self.recent, self.held[slots]
        full = held == width
        shift = slots[full]
        for j in range(width - 1):
            recent[j][shift] = recent[j + 1][shift]
        flat(recent)[cells(recent, held - full, slots)] = z
        self.held[slots] = held + ~full

    def score(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self._score(slots, self._standardize(slots, self._capped(slots, x, t)))

    def learn(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> None:
        self.update(slots, x, t)

    def update(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        z = self._capped(slots, x, t)
        zz = self._standardize(slots, z)
        s = self._score(slots, zz)
        self._learn(slots, z, zz)
        self.baseline.learn(slots, x, t)
        return s

    def packed(self, slots: np.ndarray) -> Packed:
        own = fixed(
            self._layout,
            *(a[slots] for a in (self.mean, self.var, self.count, self.exceed, self.excess)),
            self.seen[slots],
            self.held[slots],
            self.recent[:, slots],
        )
        return join(self.baseline.packed(slots), own)

    def scalar(self, slot: int) -> Likelihood:
        det = Likelihood(self.baseline.scalar(slot), *self._params)
        det.mean, det.var, det.count = (
            float(self.mean[slot]), float(self.var[slot]), int(self.count[slot])
        )
        det.exceed, det.excess, det.seen = (
            float(self.exceed[slot]), float(self.excess[slot]), float(self.seen[slot])
        )
        det.recent = self.recent[: self.held[slot], slot].tolist()
        return det

    def assign(self, slot: int, detector: Likelihood) -> None:
        self.baseline.assign(slot, detector.baseline)
        self.mean[slot], self.var[slot], self.count[slot] = (
            detector.mean, detector.var, detector.count
        )
        self.exceed[slot], self.excess[slot], self.seen[slot] = (
            detector.exceed, detector.excess, detector.seen
        )
        held = len(detector.recent)
        self.recent[:, slot] = 0.0
        self.recent[:held, slot] = detector.recent
        self.held[slot] = held
