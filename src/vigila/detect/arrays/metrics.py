"""Metric arrays: a window and a detector per metric, for one set of entity slots.

What a pack keeps per entity, e.g. a port's four metrics: eight array objects
grown, reset, saved and restored together.

>>> import numpy as np
>>> state = MetricArrays(("latency", "errors"))
>>> state.ensure(2)
>>> slots, t = np.array([0, 1]), np.array([60.0, 60.0])
>>> state.windows["latency"].learn(slots, np.array([2.5, 3.0]), t)
>>> state.windows["latency"].moments(slots, t)[1].tolist()
[2.5, 3.0]
>>> [len(s) for s in state.states_of(1)]
[201, 195, 367, 367]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from vigila.detect.arrays.base import ArrayState, DetectorArrays, Twin
from vigila.detect.arrays.ensemble import default_detector_arrays
from vigila.detect.arrays.state import Packed
from vigila.detect.arrays.window import WindowArrays
from vigila.detect.state import StateError


class MetricArrays(ArrayState):
    """``windows[metric]`` and ``detectors[metric]`` for each of ``metrics``."""

    def __init__(
        self,
        metrics: Sequence[str],
        window: Callable[[], WindowArrays] = WindowArrays,
        detector: Callable[[], DetectorArrays] = default_detector_arrays,
    ) -> None:
        super().__init__()
        self.metrics = tuple(metrics)
        self.windows = {m: window() for m in self.metrics}
        self.detectors = {m: detector() for m in self.metrics}
        self._twins: list[Twin] = [*self.windows.values(), *self.detectors.values()]
        self._children.extend(self._twins)

    def packed(self, slots: np.ndarray) -> list[Packed]:
        """The states of ``slots``: every metric's window, then every metric's detector."""
        return [twin.packed(slots) for twin in self._twins]

    def states_of(self, slot: int) -> list[bytes]:
        """The scalar states of ``slot``, in the order of ``packed``."""
        return [twin.state_of(slot) for twin in self._twins]

    def load(self, slot: int, states: Sequence[bytes]) -> None:
        """Restore ``slot`` from states in the order of ``states_of``."""
        if len(states) != len(self._twins):
            raise StateError(f"MetricArrays: {len(states)} states, expected {len(self._twins)}")
        for twin, state in zip(self._twins, states, strict=True):
            twin.load(slot, state)
