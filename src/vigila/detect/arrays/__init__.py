"""Array state: the detectors of many series at once, indexed by entity slot.

Each class mirrors a scalar detector of ``vigila.detect`` (``SeasonalArrays``
mirrors ``Seasonal``, and so on) with the same verbs over a batch:
``score(slots, x, t)``, ``learn(slots, x, t)`` and ``update(slots, x, t)``, where
``slots`` is an int array of entity slots, **unique within one call**, and ``x``
and ``t`` are float arrays aligned with it. Their results are the scalar
detectors' bit for bit, and ``states(slots)``, ``state_of(slot)`` and
``load(slot, state)`` speak the scalar ``to_state()`` bytes. A batch in which
entities repeat is applied round by round (``rounds``), which equals applying its
points one by one:

>>> import numpy as np
>>> det = default_detector_arrays()
>>> det.ensure(2)
>>> slots = np.array([0, 1, 0, 1, 0])
>>> x = np.array([1.0, 5.0, 2.0, 6.0, 3.0])
>>> t = 60.0 * np.arange(5)
>>> for rows in rounds(slots):
...     scores = det.update(slots[rows], x[rows], t[rows])
>>> from vigila.detect import default_detector
>>> one = default_detector()
>>> _ = [one.update(v, s) for v, s in zip(x[::2].tolist(), t[::2].tolist())]
>>> det.state_of(0) == one.to_state()
True
"""

from vigila.detect.arrays.base import ArrayState, BaselineArrays, DetectorArrays, Twin, rounds
from vigila.detect.arrays.ensemble import EnsembleArrays, default_detector_arrays
from vigila.detect.arrays.ewma import EWMAArrays
from vigila.detect.arrays.likelihood import LikelihoodArrays
from vigila.detect.arrays.metrics import MetricArrays
from vigila.detect.arrays.novelty import RangeNoveltyArrays
from vigila.detect.arrays.seasonal import SeasonalArrays
from vigila.detect.arrays.sketch import SketchArrays
from vigila.detect.arrays.state import Packed, fixed, join, rows
from vigila.detect.arrays.window import WindowArrays

__all__ = [
    "ArrayState",
    "BaselineArrays",
    "DetectorArrays",
    "EWMAArrays",
    "EnsembleArrays",
    "LikelihoodArrays",
    "MetricArrays",
    "Packed",
    "RangeNoveltyArrays",
    "SeasonalArrays",
    "SketchArrays",
    "Twin",
    "WindowArrays",
    "default_detector_arrays",
    "fixed",
    "join",
    "rounds",
    "rows",
]
