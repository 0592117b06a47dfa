"""The series an aggregator keeps: each key gets a slot, a small integer that indexes the
per-series arrays and the rows of rollup tables, within the cardinality caps.

>>> index = SeriesIndex(max_series=2, max_per_metric=1)
>>> index.admit(("N", "a", ())), index.admit(("N", "a", (("host", "x"),)))
(0, -1)
>>> index.admit(("N", "b", ()))
1
>>> index.release(np.array([0]))
>>> index.admit(("N", "c", ())), len(index)
(0, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat

import numpy as np

from vigila.metrics.datapoint import SeriesKey


class SeriesIndex:
    """See the module docstring."""

    def __init__(self, max_series: int, max_per_metric: int) -> None:
        self._max_series = max_series
        self._max_per_metric = max_per_metric
        self._slot: dict[SeriesKey, int] = {}
        self._per_metric: dict[tuple[str, str], int] = {}
        self._free: list[int] = []
        self.keys = np.empty(0, dtype=object)
        """The key of each slot (None where free); every slot handed out is below `len(keys)`."""

    def __len__(self) -> int:
        return len(self._slot)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._slot)

    def get(self, key: SeriesKey) -> int:
        """The slot of a kept series, or -1."""
        return self._slot.get(key, -1)

    def slots_of(self, keys: Sequence[SeriesKey]) -> np.ndarray:
        """`get` of each key, as int64."""
        return np.fromiter(map(self._slot.get, keys, repeat(-1)), np.int64, len(keys))

    def admit(self, key: SeriesKey) -> int:
        """The slot of `key`, given a new one if the caps allow; -1 when they do not."""
        slot = self._slot.get(key)
        if slot is not None:
            return slot
        metric = (key[0], key[1])
        known = self._per_metric.get(metric, 0)
        if known >= self._max_per_metric or len(self._slot) >= self._max_series:
            return -1
        self._per_metric[metric] = known + 1
        if self._free:
            slot = self._free.pop()
        else:
            slot = len(self.keys)
            self.keys = np.concatenate([self.keys, np.empty(max(len(self.keys), 16),
                                                            dtype=object)])
            self._free = list(range(len(self.keys) - 1, slot, -1))
        self._slot[key] = slot
        self.keys[slot] = key
        return slot

    def release(self, slots: np.ndarray) -> None:
        """Forget the series of `slots`; their slots are given to new series."""
        for slot in slots.tolist():
            key = self.keys[slot]
            del self._slot[key]
            metric = (key[0], key[1])
            left = self._per_metric[metric] - 1
            if left:
                self._per_metric[metric] = left
            else:
                del self._per_metric[metric]
            self.keys[slot] = None
            self._free.append(slot)
