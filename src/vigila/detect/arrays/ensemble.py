"""Ensemble arrays: the gated maximum of member arrays, and the default detector's twin.

>>> import numpy as np
>>> det = default_detector_arrays()
>>> det.ensure(2)
>>> slots = np.array([0, 1])
>>> for i in range(3000):
...     _ = det.update(slots, np.array([10.0 + i % 5, 20.0]), np.full(2, 300.0 * i))
>>> det.update(slots, np.array([60.0, 20.0]), np.full(2, 300.0 * 3000)).round(1).tolist()
[1.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vigila.detect.arrays.base import DetectorArrays
from vigila.detect.arrays.likelihood import LikelihoodArrays
from vigila.detect.arrays.novelty import RangeNoveltyArrays
from vigila.detect.arrays.seasonal import SeasonalArrays
from vigila.detect.arrays.state import Packed, fixed, join
from vigila.detect.ensemble import _LAYOUT, _NEVER, Ensemble


class EnsembleArrays(DetectorArrays[Ensemble]):
    """``Ensemble(members, probation, refractory, alert, breakthrough)`` per slot."""

    seen: np.ndarray
    last_alert_at: np.ndarray
    last_alert: np.ndarray

    def __init__(
        self,
        members: Sequence[DetectorArrays],
        probation: int = 150,
        refractory: int = 100,
        alert: float = 0.3,
        breakthrough: float = 0.4,
    ) -> None:
        super().__init__()
        self.members = list(members)
        self._children.extend(self.members)
        self.probation, self.refractory = probation, refractory
        self.alert, self.breakthrough = alert, breakthrough
        self._field("seen", np.int64, 0)
        self._field("last_alert_at", np.int64, _NEVER)
        self._field("last_alert", np.float64, 0.0)

    def _gate(self, slots: np.ndarray, s: np.ndarray) -> np.ndarray:
        seen = self.seen[slots]
        refractory = (seen - self.last_alert_at[slots] < self.refractory) & (
            s < self.last_alert[slots] + self.breakthrough
        )
        return np.where((seen < self.probation) | refractory, 0.0, s)

    def score(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        first, *rest = (m.score(slots, x, t) for m in self.members)
        s = first
        for v in rest:  # max(): a later member wins only when strictly higher
            s = np.where(v > s, v, s)
        return self._gate(slots, s)

    def update(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        s = np.zeros(len(slots))
        for m in self.members:
            v = m.update(slots, x, t)
            s = np.where(v > s, v, s)
        s = self._gate(slots, s)
        alerted = s >= self.alert
        if alerted.any():
            self.last_alert_at[slots[alerted]] = self.seen[slots[alerted]]
            self.last_alert[slots[alerted]] = s[alerted]
        self.seen[slots] += 1
        return s

    def learn(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> None:
        self.update(slots, x, t)

    def packed(self, slots: np.ndarray) -> Packed:
        own = fixed(_LAYOUT, self.seen[slots], self.last_alert_at[slots], self.last_alert[slots])
        return join(own, *(m.packed(slots) for m in self.members))

    def scalar(self, slot: int) -> Ensemble:
        det = Ensemble(
            [m.scalar(slot) for m in self.members],
            self.probation,
            self.refractory,
            self.alert,
            self.breakthrough,
        )
        det.seen, det.last_alert_at, det.last_alert = (
            int(self.seen[slot]), int(self.last_alert_at[slot]), float(self.last_alert[slot])
        )
        return det

    def assign(self, slot: int, detector: Ensemble) -> None:
        for m, d in zip(self.members, detector.members, strict=True):
            m.assign(slot, d)
        self.seen[slot], self.last_alert_at[slot], self.last_alert[slot] = (
            detector.seen, detector.last_alert_at, detector.last_alert
        )


def default_detector_arrays() -> EnsembleArrays:
    """The arrays of ``default_detector()``: daily-profile likelihood plus range novelty."""
    return EnsembleArrays(
        [LikelihoodArrays(SeasonalArrays(slots=12, rate=0.015)), RangeNoveltyArrays()]
    )
