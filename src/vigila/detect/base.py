"""The verbs every streaming detector speaks, and the score scale they share.

A detector follows one series. ``score_one(x, t)`` says how anomalous ``x``
at epoch second ``t`` is *before* learning it, ``learn_one(x, t)`` folds it
into the state, and ``update(x, t)`` does both. Scores are tail probabilities
on a log scale, so detectors of different kinds can be compared and combined:

>>> round(surprise(1e-3), 2), round(surprise(1e-5), 2), surprise(1e-12)
(0.3, 0.5, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

#: ``-log10`` of the tail probability that maps to a score of 1.0.
DECADES = 10.0
_SQRT2 = math.sqrt(2.0)


def surprise_log10(log10_p: float) -> float:
    """Score in [0, 1] of a tail probability given as ``log10(p)``."""
    s = -log10_p / DECADES
    return 0.0 if s <= 0.0 else (1.0 if s >= 1.0 else s)


def surprise(p: float) -> float:
    """Score in [0, 1] of a tail probability ``p``: ``-log10(p) / 10``, clipped."""
    return 1.0 if p <= 0.0 else surprise_log10(math.log10(p))


def normal_tail(z: float) -> float:
    """Two-sided Gaussian tail ``P(|Z| >= z)`` of a standardized deviation."""
    return math.erfc(z / _SQRT2)


class Detector:
    """Base of the streaming detectors: one instance per series."""

    def score_one(self, x: float, t: float) -> float:
        """Anomaly score in [0, 1] of ``x`` observed at epoch second ``t``; no learning."""
        raise NotImplementedError

    def learn_one(self, x: float, t: float) -> None:
        """Fold ``x`` observed at epoch second ``t`` into the state."""
        raise NotImplementedError

    def update(self, x: float, t: float) -> float:
        """Score ``x``, then learn it; the score uses only earlier points and ``x``."""
        s = self.score_one(x, t)
        self.learn_one(x, t)
        return s

    def score_series(self, values: Iterable[float], times: Iterable[float]) -> list[float]:
        """Causal scores of a whole series, as ``update`` would give them one by one."""
        update = self.update
        return [update(x, t) for x, t in zip(values, times, strict=True)]

    def to_state(self) -> bytes:
        """The learned state, compact, for a restart to resume from."""
        raise NotImplementedError

    def from_state(self, state: bytes) -> None:
        """Restore a state saved by ``to_state`` of a detector with the same parameters."""
        raise NotImplementedError


class Baseline(Detector):
    """A detector that models the expected value; its score is the Gaussian tail of
    the standardized deviation."""

    def deviation(self, x: float, t: float) -> float:
        """``|x - expected| / scale``; 0 while nothing is known, ``inf`` off a flat line."""
        raise NotImplementedError

    def score_one(self, x: float, t: float) -> float:
        return surprise(normal_tail(self.deviation(x, t)))
