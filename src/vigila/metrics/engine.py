"""The metrics engine of a node: a thread-safe aggregator, persisted as buckets close.

Datapoints arrive from pipeline workers, one by one (`add`) or in columns
(`add_many`); malformed ones are counted (`stats().rejected`), not raised.
`tick` (every few seconds) closes due buckets, writes them to a `RollupStore`
and trims what outlived its retention; `restore` reloads the kept buckets after
a restart. Buckets still open when a process dies are lost (at most the last
minute's partial buckets): metrics are derived data, the log keeps the events
themselves.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from vigila.clock import Clock
from vigila.metrics.datapoint import Datapoint, SeriesKey
from vigila.metrics.errors import MetricValidationError
from vigila.metrics.export import RollupStore
from vigila.metrics.rollup import RESOLUTIONS, RollupAggregator, RollupConfig, RollupStats

SERIES_INDEX_SECONDS = 1.0


class PersistentRollupStore(RollupStore, Protocol):
    """A `RollupStore` that can also forget old buckets."""

    def trim_rollups(self, before: dict[int, float]) -> int: ...


class MetricsEngine:
    """See the module docstring."""

    def __init__(self, clock: Clock, store: PersistentRollupStore,
                 config: RollupConfig | None = None) -> None:
        self._clock = clock
        self._store = store
        self._config = config or RollupConfig()
        self.lock = threading.Lock()
        """Held while the aggregator is read or changed (alarms evaluate under it)."""
        self.aggregator = RollupAggregator(clock, self._config)
        self._index: dict[tuple[str, str], list[tuple[tuple[str, str], ...]]] | None = None
        self._index_at = 0.0

    def add(self, points: Iterable[Datapoint]) -> None:
        with self.lock:
            for point in points:
                with contextlib.suppress(MetricValidationError):  # counted as rejected
                    self.aggregator.add(point)

    def add_many(self, keys: Sequence[SeriesKey], series: np.ndarray, timestamps: np.ndarray,
                 values: np.ndarray) -> int:
        """`RollupAggregator.add_many` under the lock; returns how many were accepted."""
        with self.lock:
            return self.aggregator.add_many(keys, series, timestamps, values)

    def tick(self) -> int:
        """Close due buckets and persist them; returns how many rows were written."""
        with self.lock:
            self.aggregator.tick()
            rows = self.aggregator.drain_closed()
        if rows:
            self._store.write(rows)
        now = self._clock.now()
        self._store.trim_rollups({res: now - keep for res, keep in
                                  zip(RESOLUTIONS, self._config.retention, strict=True)})
        return len(rows)

    def restore(self) -> int:
        """Reload the buckets still within retention; returns how many."""
        now = self._clock.now()
        rows = self._store.read(now - max(self._config.retention), now + 1)
        with self.lock:
            return self.aggregator.import_rows(rows)

    def query(self, namespace: str, name: str, dimensions: dict[str, str], start: float,
              end: float, period: int, statistic: str) -> list[tuple[float, float]]:
        """GetMetricStatistics; raises `MetricValidationError` naming a bad argument."""
        with self.lock:
            return self.aggregator.query(namespace, name, dimensions, start, end, period,
                                         statistic)

    def series(self) -> list[SeriesKey]:
        with self.lock:
            return sorted(self.aggregator.series_keys())

    def series_of(self, namespace: str, name: str) -> list[tuple[tuple[str, str], ...]]:
        """The dimensions of every series of one metric, sorted. Read from an index rebuilt
        at most every `SERIES_INDEX_SECONDS`, so that many widgets and open dashboards do
        not each sort every series under the lock."""
        now = self._clock.now()
        if self._index is None or not 0 <= now - self._index_at < SERIES_INDEX_SECONDS:
            index: dict[tuple[str, str], list[tuple[tuple[str, str], ...]]] = {}
            for ns, n, dims in self.series():
                index.setdefault((ns, n), []).append(dims)
            self._index, self._index_at = index, now
        return self._index.get((namespace, name), [])

    def stats(self) -> RollupStats:
        with self.lock:
            return self.aggregator.stats()
