"""Streaming anomaly detection: one verb set, bounded state per series.

Every detector has ``learn_one(x, t)``, ``score_one(x, t)`` (before learning),
``update(x, t)`` (both), ``score_series(values, times)``, and ``to_state()`` /
``from_state(state)`` for restarts. Scores lie in [0, 1] on a shared
tail-probability scale (see ``base.surprise``).
"""

from vigila.detect.base import Baseline, Detector, surprise
from vigila.detect.cusum import CUSUM
from vigila.detect.ensemble import Ensemble, default_detector
from vigila.detect.ewma import EWMA
from vigila.detect.likelihood import Likelihood
from vigila.detect.novelty import RangeNovelty
from vigila.detect.registry import DETECTORS, make_detector
from vigila.detect.robust import RobustBaseline
from vigila.detect.seasonal import Seasonal
from vigila.detect.sketch import LogSketch
from vigila.detect.state import StateError
from vigila.detect.window import WindowBaseline, WindowStats

__all__ = [
    "CUSUM",
    "DETECTORS",
    "EWMA",
    "Baseline",
    "Detector",
    "Ensemble",
    "Likelihood",
    "LogSketch",
    "RangeNovelty",
    "RobustBaseline",
    "Seasonal",
    "StateError",
    "WindowBaseline",
    "WindowStats",
    "default_detector",
    "make_detector",
    "surprise",
]
