"""Seasonal baseline: a daily profile, one EWMA mean and variance per slot of the day.

Traffic, load and temperature follow the clock; comparing a point with the
same hour on earlier days separates a busy hour from an anomaly.

>>> det = Seasonal()
>>> hour = 3600.0
>>> for i in range(24 * 14):
...     det.learn_one(100.0 if 9 <= i % 24 < 17 else 10.0, t=i * hour)
>>> t = 24 * 14 * hour + 10 * hour  # 10:00 on day 15
>>> det.score_one(100.0, t) < 0.1 < 0.5 < det.score_one(10.0, t)
True
"""

from __future__ import annotations

import math
import struct

from vigila.detect.base import Baseline
from vigila.detect.ewma import EWMA
from vigila.detect.state import join, split, unpack

_COUNT_CAP = 65_535


class Seasonal(Baseline):
    """Profile over ``period`` seconds in ``slots`` slots (default: hours of the UTC day).

    A slot's variance is floored at ``floor`` times the variance of the whole
    series (an EWMA with ``level_rate``), so a slot that was flat so far does
    not turn every small wiggle into an anomaly.
    """

    def __init__(
        self,
        period: float = 86_400.0,
        slots: int = 24,
        rate: float = 0.02,
        floor: float = 0.01,
        level_rate: float = 0.002,
    ) -> None:
        self.width = period / slots
        self.slots = slots
        self.rate = rate
        self.floor = floor
        self.level = EWMA(level_rate)
        self.means = [0.0] * slots
        self.vars = [0.0] * slots
        self.counts = [0] * slots
        self._layout = struct.Struct(f"<{slots}d{slots}d{slots}H")

    def deviation(self, x: float, t: float) -> float:
        k = int(t // self.width) % self.slots
        if not self.counts[k]:
            return 0.0
        var = self.vars[k] + self.floor * self.level.var
        d = abs(x - self.means[k])
        if var > 0.0:
            return d / math.sqrt(var)
        return 0.0 if d == 0.0 else math.inf

    def learn_one(self, x: float, t: float) -> None:
        k = int(t // self.width) % self.slots
        c = self.counts[k]
        if c:
            a = self.rate if (c + 1) * self.rate >= 1.0 else 1.0 / (c + 1)
            d = x - self.means[k]
            self.means[k] += a * d
            self.vars[k] = (1.0 - a) * (self.vars[k] + a * d * d)
        else:
            self.means[k] = x
            self.vars[k] = self.level.var
        self.counts[k] = c + 1 if c < _COUNT_CAP else c
        self.level.learn_one(x, t)

    def to_state(self) -> bytes:
        return join(self.level.to_state(), self._layout.pack(*self.means, *self.vars, *self.counts))

    def from_state(self, state: bytes) -> None:
        level, slots = split(self, state, 2)
        self.level.from_state(level)
        values = unpack(self, self._layout, slots)
        n = self.slots
        self.means = list(values[:n])
        self.vars = list(values[n : 2 * n])
        self.counts = list(values[2 * n :])
