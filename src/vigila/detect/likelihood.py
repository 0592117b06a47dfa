"""Anomaly likelihood: how unusual the last few deviations of a baseline are.

The deviations ``z`` of a baseline (``Seasonal`` by default) are averaged over
the last ``window`` points and standardized against the long-run mean and
variance of ``z``. That statistic is turned into a tail probability: Gaussian
below ``threshold``, and above it an exponential tail fitted online to the
excesses (peaks over threshold), so a series whose deviations are heavy-tailed
learns that large ones are less surprising.

>>> import math
>>> det = Likelihood()
>>> for i in range(2000):
...     det.learn_one(50.0 + 5.0 * math.sin(i * 0.7), t=300.0 * i)
>>> det.score_one(52.0, t=600000.0) < 0.3 < det.score_one(95.0, t=600000.0)
True
"""

from __future__ import annotations

import math
import struct

from vigila.detect.base import Baseline, Detector, surprise_log10
from vigila.detect.seasonal import Seasonal
from vigila.detect.state import join, split, unpack

_LN10 = math.log(10.0)
_SQRT_HALF = math.sqrt(0.5)


class Likelihood(Detector):
    """Tail probability of the recent mean deviation of ``baseline``.

    ``rate`` weighs new points in the long-run statistics of ``z``; deviations
    are capped at ``cap`` standard units so one outlier cannot blow them up.
    ``tail_rate`` and ``prior`` (a pseudo-count of Gaussian behaviour) govern
    the fitted tail above ``threshold``.
    """

    def __init__(
        self,
        baseline: Baseline | None = None,
        window: int = 3,
        rate: float = 0.0003,
        cap: float = 10.0,
        threshold: float = 2.0,
        tail_rate: float = 0.0003,
        prior: float = 200.0,
    ) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1 point, got {window}")
        self.baseline = baseline if baseline is not None else Seasonal()
        self.window = window
        self.rate = rate
        self.cap = cap
        self.threshold = threshold
        self.tail_rate = tail_rate
        self.recent: list[float] = []
        self.mean = 0.0
        self.var = 0.0
        self.count = 0
        # Start from the Gaussian tail: P(Z > u) and the mean excess E[Z - u | Z > u].
        self.exceed = 0.5 * math.erfc(threshold / math.sqrt(2.0))
        density = math.exp(-0.5 * threshold * threshold) / math.sqrt(2.0 * math.pi)
        self.excess = density / self.exceed - threshold
        self.seen = prior
        self._layout = struct.Struct(f"<ddQdddB{window - 1}d")

    def _standardize(self, z: float) -> float:
        """The mean of the last ``window`` deviations, in long-run standard units."""
        if self.count < 2:
            return 0.0
        recent = self.recent
        d = (sum(recent) + z) / (len(recent) + 1) - self.mean
        if self.var > 0.0:
            return d / math.sqrt(self.var)
        return 0.0 if d <= 0.0 else math.inf

    def _score(self, zz: float) -> float:
        """Tail probability of ``zz`` as a score: Gaussian body, fitted exponential tail."""
        u = self.threshold
        if zz > u:
            return surprise_log10(math.log10(self.exceed) - (zz - u) / (self.excess * _LN10))
        return surprise_log10(math.log10(0.5 * math.erfc(zz * _SQRT_HALF)))

    def _learn(self, z: float, zz: float) -> None:
        self.seen += 1.0
        a = self.tail_rate if self.seen * self.tail_rate >= 1.0 else 1.0 / self.seen
        over = zz > self.threshold
        self.exceed += a * (float(over) - self.exceed)
        if over:
            b = max(10.0 * self.tail_rate, 1.0 / (self.seen * self.exceed + 1.0))
            self.excess += b * (min(zz - self.threshold, self.cap) - self.excess)
        self.count += 1
        a = self.rate if self.count * self.rate >= 1.0 else 1.0 / self.count
        d = z - self.mean
        self.mean += a * d
        self.var = (1.0 - a) * (self.var + a * d * d)
        if self.window > 1:
            self.recent.append(z)
            if len(self.recent) >= self.window:
                del self.recent[0]

    def score_one(self, x: float, t: float) -> float:
        return self._score(self._standardize(min(self.cap, self.baseline.deviation(x, t))))

    def learn_one(self, x: float, t: float) -> None:
        self.update(x, t)

    def update(self, x: float, t: float) -> float:
        z = min(self.cap, self.baseline.deviation(x, t))
        zz = self._standardize(z)
        s = self._score(zz)
        self._learn(z, zz)
        self.baseline.learn_one(x, t)
        return s

    def to_state(self) -> bytes:
        pad = [0.0] * (self.window - 1 - len(self.recent))
        own = self._layout.pack(
            self.mean,
            self.var,
            self.count,
            self.exceed,
            self.excess,
            self.seen,
            len(self.recent),
            *self.recent,
            *pad,
        )
        return join(self.baseline.to_state(), own)

    def from_state(self, state: bytes) -> None:
        baseline, own = split(self, state, 2)
        self.baseline.from_state(baseline)
        values = unpack(self, self._layout, own)
        self.mean, self.var, self.count, self.exceed, self.excess, self.seen, n = values[:7]
        self.recent = list(values[7 : 7 + n])
