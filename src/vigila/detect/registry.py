"""Detectors by name, for configuration and the command line."""

from __future__ import annotations

from collections.abc import Callable

from vigila.detect.base import Detector
from vigila.detect.cusum import CUSUM
from vigila.detect.ensemble import default_detector
from vigila.detect.ewma import EWMA
from vigila.detect.likelihood import Likelihood
from vigila.detect.novelty import RangeNovelty
from vigila.detect.robust import RobustBaseline
from vigila.detect.seasonal import Seasonal
from vigila.detect.window import WindowBaseline

#: Factories of fresh per-series detectors with their default parameters.
DETECTORS: dict[str, Callable[[], Detector]] = {
    "default": default_detector,
    "ewma": EWMA,
    "window": WindowBaseline,
    "robust": RobustBaseline,
    "seasonal": Seasonal,
    "cusum": CUSUM,
    "range": RangeNovelty,
    "likelihood": Likelihood,
}


def make_detector(name: str) -> Detector:
    """A fresh detector registered as ``name``."""
    try:
        factory = DETECTORS[name]
    except KeyError:
        known = ", ".join(sorted(DETECTORS))
        raise ValueError(f"unknown detector {name!r}; choose one of: {known}") from None
    return factory()
