"""Ensemble: the strongest member's score, gated for alerting.

Members score on the shared tail-probability scale, so their maximum is
meaningful. Two gates make the output an alert stream rather than a raw score:
a probation period while baselines are immature, and a refractory period after
an alert (a score of at least ``alert``), during which only a score stronger
than that alert by ``breakthrough`` gets through.

>>> det = default_detector()
>>> scores = [det.update(10.0 + i % 5, t=300.0 * i) for i in range(3000)]
>>> max(scores) < 0.3 < det.update(60.0, t=300.0 * 3000)
True
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from vigila.detect.base import Detector
from vigila.detect.likelihood import Likelihood
from vigila.detect.novelty import RangeNovelty
from vigila.detect.seasonal import Seasonal
from vigila.detect.state import join, split, unpack

_LAYOUT = struct.Struct("<Qqd")
_NEVER = -(2**62)


class Ensemble(Detector):
    """Max of ``members``; silent for the first ``probation`` points and for
    ``refractory`` points after an alert."""

    def __init__(
        self,
        members: Sequence[Detector],
        probation: int = 150,
        refractory: int = 100,
        alert: float = 0.3,
        breakthrough: float = 0.4,
    ) -> None:
        self.members = list(members)
        self.probation = probation
        self.refractory = refractory
        self.alert = alert
        self.breakthrough = breakthrough
        self.seen = 0
        self.last_alert_at = _NEVER
        self.last_alert = 0.0

    def _gate(self, s: float) -> float:
        if self.seen < self.probation:
            return 0.0
        if (
            self.seen - self.last_alert_at < self.refractory
            and s < self.last_alert + self.breakthrough
        ):
            return 0.0
        return s

    def score_one(self, x: float, t: float) -> float:
        return self._gate(max(m.score_one(x, t) for m in self.members))

    def update(self, x: float, t: float) -> float:
        s = 0.0
        for m in self.members:  # a plain loop: max() costs more on the per-point path
            v = m.update(x, t)
            if v > s:
                s = v
        s = self._gate(s)
        if s >= self.alert:
            self.last_alert_at = self.seen
            self.last_alert = s
        self.seen += 1
        return s

    def learn_one(self, x: float, t: float) -> None:
        self.update(x, t)

    def to_state(self) -> bytes:
        own = _LAYOUT.pack(self.seen, self.last_alert_at, self.last_alert)
        return join(own, *(m.to_state() for m in self.members))

    def from_state(self, state: bytes) -> None:
        own, *members = split(self, state, 1 + len(self.members))
        self.seen, self.last_alert_at, self.last_alert = unpack(self, _LAYOUT, own)
        for m, s in zip(self.members, members, strict=True):
            m.from_state(s)


def default_detector() -> Ensemble:
    """The general-purpose detector: daily-profile likelihood plus range novelty.

    Two-hour slots with a slower rate: on NAB this sits in the middle of a
    plateau (see docs/detection.md), where hourly slots score a little lower.
    """
    return Ensemble([Likelihood(Seasonal(slots=12, rate=0.015)), RangeNovelty()])
