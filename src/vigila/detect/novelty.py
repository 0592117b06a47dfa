"""Range novelty: a value outside everything seen so far, by a margin.

The range slowly forgets (it shrinks by ``decay`` of its width per point), so
a record from long ago does not hide a new excursion forever.

>>> det = RangeNovelty()
>>> for i in range(500):
...     det.learn_one(float(i % 10), t=60.0 * i)
>>> [round(det.score_one(x, t=30000.0), 2) for x in (9.0, 9.5, 30.0)]
[0.0, 0.56, 1.0]
"""

from __future__ import annotations

import struct

from vigila.detect.base import Detector
from vigila.detect.state import unpack

_LAYOUT = struct.Struct("<ddQ")


class RangeNovelty(Detector):
    """Scores 0.5 once ``x`` leaves the learned range by ``tolerance`` of its width,
    rising linearly to 1.0 at ``tolerance + scale`` beyond."""

    def __init__(self, tolerance: float = 0.03, scale: float = 0.2, decay: float = 3e-5) -> None:
        self.tolerance = tolerance
        self.scale = scale
        self.decay = decay
        self.low = 0.0
        self.high = 0.0
        self.count = 0

    def score_one(self, x: float, t: float) -> float:
        width = self.high - self.low
        if width <= 0.0:  # a flat line so far: any other value is new
            return 0.0 if x == self.high or not self.count else 1.0
        beyond = max(x - self.high, self.low - x) / width - self.tolerance
        if beyond <= 0.0:
            return 0.0
        return min(1.0, 0.5 + 0.5 * beyond / self.scale)

    def learn_one(self, x: float, t: float) -> None:
        if self.count:
            if x > self.high:
                self.high = x
            elif x < self.low:
                self.low = x
            shrink = 0.5 * self.decay * (self.high - self.low)
            self.high -= shrink
            self.low += shrink
        else:
            self.low = self.high = x
        self.count += 1

    def to_state(self) -> bytes:
        return _LAYOUT.pack(self.low, self.high, self.count)

    def from_state(self, state: bytes) -> None:
        self.low, self.high, self.count = unpack(self, _LAYOUT, state)
