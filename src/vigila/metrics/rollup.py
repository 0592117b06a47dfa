"""Rollups of datapoints at 10 s, 1 min and 1 h, with lateness, retention and a cardinality cap.

A datapoint lands in the open 10-second bucket of its series. A bucket closes
once the clock passes its end plus `allowed_lateness`; a closed bucket is kept
for its resolution's retention and folded into the open bucket one resolution
up, so the three resolutions always agree. Queries see closed buckets and the
still-open ones, so an alarm can read a period as soon as it ends.

>>> from vigila.clock import ManualClock
>>> clock = ManualClock(1_700_000_000.0)
>>> rollups = RollupAggregator(clock, RollupConfig(allowed_lateness=5))
>>> for i in range(120):
...     _ = rollups.add(Datapoint("Vigila/dev", "Latency", {}, clock.now() + i, float(i)))
>>> clock.advance(130)
>>> rollups.tick()
>>> rollups.query("Vigila/dev", "Latency", {}, 1_700_000_000, 1_700_000_120, 60, "Maximum")
[(1700000000.0, 59.0), (1700000060.0, 119.0)]
>>> rollups.stats().accepted
120
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from collections.abc import Iterable

import msgspec

from vigila.clock import Clock
from vigila.metrics.aggregate import Aggregate
from vigila.metrics.datapoint import (
    Datapoint,
    Distribution,
    SeriesKey,
    check_series,
    check_value,
    distribution_samples,
    series_key,
)
from vigila.metrics.errors import MetricValidationError
from vigila.metrics.export import RollupRow, packed_from_row, row_key, to_row
from vigila.metrics.statistics import parse_statistic

RESOLUTIONS = (10, 60, 3600)
"""Stored resolutions in seconds, finest first."""

MAX_QUERY_DATAPOINTS = 1440
"""Most datapoints one query returns, as GetMetricStatistics."""


class RollupConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How long each resolution is kept in memory and what the aggregator accepts.

    The default retention keeps 3 hours of 10-second data (as CloudWatch), 26
    hours of 1-minute data (any alarm: a sliding window of up to a day, plus the
    two periods looked at beyond it) and 15 days of 1-hour data. A closed bucket
    takes about 150 bytes; a store keeps longer history (see `drain_closed`).
    """

    retention_10s: float = 3 * 3600
    retention_1m: float = 26 * 3600
    retention_1h: float = 15 * 86400
    allowed_lateness: float = 60.0
    """Seconds a bucket stays open after its end for datapoints that arrive late."""
    max_future: float = 2 * 3600
    """Datapoints stamped further ahead of the clock are dropped (CloudWatch: 2 hours)."""
    max_series_per_metric: int = 1000
    """Distinct dimension sets kept per (namespace, metric name); more are dropped."""
    max_series: int = 50_000
    """Series kept in all; more are dropped."""
    export_backlog: int = 100_000
    """Closed buckets waiting for `drain_closed`; the oldest are dropped past this."""

    def __post_init__(self) -> None:
        for res, field in zip(
            RESOLUTIONS, ("retention_10s", "retention_1m", "retention_1h"), strict=True
        ):
            value = getattr(self, field)
            if not res <= value < math.inf:
                raise MetricValidationError(field, value, f"finite seconds >= {res}")
        for field in ("allowed_lateness", "max_future"):
            value = getattr(self, field)
            if not 0 <= value < math.inf:
                raise MetricValidationError(field, value, "finite seconds >= 0")
        for field in ("max_series_per_metric", "max_series", "export_backlog"):
            value = getattr(self, field)
            if not isinstance(value, int) or value < 1:
                raise MetricValidationError(field, value, "an integer >= 1")

    @property
    def retention(self) -> tuple[float, float, float]:
        """Retention in seconds for each of `RESOLUTIONS`."""
        return (self.retention_10s, self.retention_1m, self.retention_1h)


class RollupStats(msgspec.Struct, frozen=True, kw_only=True):
    """Counters of what the aggregator kept and what it dropped, and why."""

    accepted: int
    late_accepted: int
    """Accepted after their 10-second bucket ended, within the allowed lateness."""
    dropped_late: int
    dropped_future: int
    dropped_series: int
    """Datapoints (and rows) of series over a cardinality cap."""
    export_dropped: int
    series: int


class _Series:
    __slots__ = ("closed", "key", "open")

    def __init__(self, key: SeriesKey) -> None:
        self.key = key
        self.open: tuple[dict[int, Aggregate], ...] = ({}, {}, {})
        # Closed buckets as `Aggregate.pack()` bytes, in start order.
        self.closed: list[dict[int, bytes]] = [{}, {}, {}]


class RollupAggregator:
    """Per-series rollups in memory, driven by an injected clock; see the module doc."""

    def __init__(self, clock: Clock, config: RollupConfig | None = None) -> None:
        self._clock = clock
        self._config = config or RollupConfig()
        self._series: dict[SeriesKey, _Series] = {}
        self._per_metric: dict[tuple[str, str], int] = {}
        self._due: tuple[dict[int, list[_Series]], ...] = ({}, {}, {})
        self._due_starts: tuple[list[int], ...] = ([], [], [])
        self._expiry: tuple[list[tuple[int, int, _Series]], ...] = ([], [], [])
        self._seq = itertools.count()
        self._exports: deque[tuple[SeriesKey, int, int, bytes]] = deque()
        self._changed: dict[SeriesKey, float] = {}
        self._counts = dict.fromkeys(
            (
                "accepted",
                "late_accepted",
                "dropped_late",
                "dropped_future",
                "dropped_series",
                "export_dropped",
            ),
            0,
        )

    def add(self, point: Datapoint | Distribution) -> bool:
        """Count a datapoint into its series; False when dropped (see `stats`).

        Malformed input (NaN or infinite values, bad names, too many dimensions)
        raises `MetricValidationError` instead.
        """
        samples = (
            distribution_samples(point)
            if isinstance(point, Distribution)
            else ((check_value("value", point.value), 1.0),)
        )
        ts = check_value("timestamp", point.timestamp)
        key = _key_of(point)
        series = self._series.get(key)
        if series is None:
            check_series(point.namespace, point.name, point.dimensions)
        now = self._clock.now()
        start = int(ts // 10) * 10
        if start + 10 + self._config.allowed_lateness <= now:
            self._counts["dropped_late"] += 1
            return False
        if ts > now + self._config.max_future:
            self._counts["dropped_future"] += 1
            return False
        if series is None:
            series = self._admit(key)
            if series is None:
                return False
        agg = series.open[0].get(start)
        if agg is None:
            agg = series.open[0][start] = Aggregate()
            self._schedule(0, start, series)
        for value, weight in samples:
            agg.add(value, weight)
        self._counts["accepted"] += 1
        if start + 10 <= now:
            self._counts["late_accepted"] += 1
        self._touched(key, ts)
        return True

    def tick(self) -> None:
        """Close the buckets whose end plus the allowed lateness has passed; drop expired ones."""
        now = self._clock.now()
        lateness = self._config.allowed_lateness
        for level, res in enumerate(RESOLUTIONS):
            starts, due = self._due_starts[level], self._due[level]
            while starts and starts[0] + res + lateness <= now:
                start = heapq.heappop(starts)
                for series in due.pop(start):
                    self._close(series, level, start)
        self._evict(now)

    def window(
        self, key: SeriesKey, start: int, period: int, count: int, quantiles: bool
    ) -> list[Aggregate | None]:
        """Fresh aggregates of `count` consecutive periods from `start`, oldest first.

        A period without samples is None. `quantiles=False` skips merging
        sketches when only the standard statistics are wanted.
        """
        series = self._series.get(key)
        if series is None:
            return [None] * count
        level = self._level(start, period)
        res = RESOLUTIONS[level]
        out: list[Aggregate | None] = []
        for i in range(count):
            first = start + i * period
            total: Aggregate | None = None
            for t in range(first, first + period, res):
                for part in self._bucket_parts(series, level, t):
                    if total is None:
                        total = Aggregate(quantiles)
                    if part.__class__ is bytes:
                        total.merge_packed(part)
                    else:
                        total.merge(part)
            out.append(total)
        return out

    def query(
        self,
        namespace: str,
        name: str,
        dimensions: dict[str, str],
        start: float,
        end: float,
        period: int,
        statistic: str,
    ) -> list[tuple[float, float]]:
        """(timestamp, value) of `statistic` per `period` in [start, end), like GetMetricStatistics.

        `start` is rounded down to the finest resolution still kept for it;
        periods without samples are left out.
        """
        stat = parse_statistic(statistic)
        if not isinstance(period, int) or period < 10 or period % 10:
            raise MetricValidationError("period", period, "a multiple of 10 seconds")
        now = self._clock.now()
        retention = self._config.retention
        oldest = now - max(retention)
        if start < oldest:  # nothing older is kept: skip whole periods, keeping the grid
            start += math.floor((oldest - start) / period) * period
        base = next(
            (lvl for lvl, res in enumerate(RESOLUTIONS) if start + res > now - retention[lvl]),
            len(RESOLUTIONS) - 1,
        )
        aligned = int(start // RESOLUTIONS[base]) * RESOLUTIONS[base]
        count = max(0, math.ceil((end - aligned) / period))
        if count > MAX_QUERY_DATAPOINTS:
            raise MetricValidationError(
                "end", end, f"a range of at most {MAX_QUERY_DATAPOINTS} periods"
            )
        key = series_key(namespace, name, dimensions)
        aggs = self.window(key, aligned, period, count, stat.needs_sketch)
        return [
            (float(aligned + i * period), stat.of(agg))
            for i, agg in enumerate(aggs)
            if agg is not None
        ]

    def take_changed(self) -> dict[SeriesKey, float]:
        """The series that received data since the last call, each with the earliest
        timestamp it received: periods that end before it did not change."""
        changed, self._changed = self._changed, {}
        return changed

    def drain_closed(self) -> list[RollupRow]:
        """Rows for the buckets closed since the last call, oldest first."""
        rows = [
            to_row(key, RESOLUTIONS[lvl], start, packed)
            for key, lvl, start, packed in self._exports
        ]
        self._exports.clear()
        return rows

    def import_rows(self, rows: Iterable[RollupRow]) -> int:
        """Merge closed buckets back (from a store or another partition); returns how many.

        Rows past their resolution's retention are skipped. Imported rows are not
        folded into coarser resolutions: a store keeps every resolution itself.
        """
        now = self._clock.now()
        imported = 0
        for row in sorted(rows, key=lambda r: r.start if isinstance(r.start, int) else 0):
            if row.resolution not in RESOLUTIONS:
                raise MetricValidationError("resolution", row.resolution, "10, 60 or 3600")
            level = RESOLUTIONS.index(row.resolution)
            if not isinstance(row.start, int) or row.start % row.resolution:
                raise MetricValidationError("start", row.start, "an integer multiple of resolution")
            if row.start + row.resolution <= now - self._config.retention[level]:
                continue
            packed = packed_from_row(row)
            series = self._admit(row_key(row))
            if series is None:
                continue
            self._keep_closed(series, level, row.start, packed)
            self._touched(series.key, row.start)
            imported += 1
        return imported

    def series_keys(self) -> list[SeriesKey]:
        """Every series kept, in no particular order."""
        return list(self._series)

    def stats(self) -> RollupStats:
        """A snapshot of the counters."""
        return RollupStats(series=len(self._series), **self._counts)

    def _touched(self, key: SeriesKey, ts: float) -> None:
        earliest = self._changed.get(key)
        if earliest is None or ts < earliest:
            self._changed[key] = ts

    def _admit(self, key: SeriesKey) -> _Series | None:
        series = self._series.get(key)
        if series is not None:
            return series
        metric = (key[0], key[1])
        known = self._per_metric.get(metric, 0)
        if (
            known >= self._config.max_series_per_metric
            or len(self._series) >= self._config.max_series
        ):
            self._counts["dropped_series"] += 1
            return None
        self._per_metric[metric] = known + 1
        series = self._series[key] = _Series(key)
        return series

    def _schedule(self, level: int, start: int, series: _Series) -> None:
        waiting = self._due[level].get(start)
        if waiting is None:
            waiting = self._due[level][start] = []
            heapq.heappush(self._due_starts[level], start)
        waiting.append(series)

    def _close(self, series: _Series, level: int, start: int) -> None:
        agg = series.open[level].pop(start)
        if level + 1 < len(RESOLUTIONS):
            parent_start = start - start % RESOLUTIONS[level + 1]
            parent = series.open[level + 1].get(parent_start)
            if parent is None:
                parent = series.open[level + 1][parent_start] = Aggregate()
                self._schedule(level + 1, parent_start, series)
            parent.merge(agg)
        packed = agg.pack()
        self._keep_closed(series, level, start, packed)
        self._exports.append((series.key, level, start, packed))
        if len(self._exports) > self._config.export_backlog:
            self._exports.popleft()
            self._counts["export_dropped"] += 1

    def _keep_closed(self, series: _Series, level: int, start: int, packed: bytes) -> None:
        closed = series.closed[level]
        kept = closed.get(start)
        if kept is not None:
            merged = Aggregate()
            merged.merge_packed(kept)
            merged.merge_packed(packed)
            closed[start] = merged.pack()
        elif not closed:
            closed[start] = packed
            heapq.heappush(self._expiry[level], (start, next(self._seq), series))
        elif start > next(reversed(closed)):
            closed[start] = packed
        else:  # an import older than what is kept: restore start order for eviction
            closed[start] = packed
            series.closed[level] = dict(sorted(closed.items()))

    def _evict(self, now: float) -> None:
        """Drop closed buckets past retention. Each series has one `_expiry` entry
        per level, keyed by its oldest closed bucket there."""
        for level, res in enumerate(RESOLUTIONS):
            horizon = now - self._config.retention[level]
            expiry = self._expiry[level]
            while expiry and expiry[0][0] + res <= horizon:
                _, _, series = heapq.heappop(expiry)
                closed = series.closed[level]
                while closed:
                    first = next(iter(closed))
                    if first + res > horizon:
                        heapq.heappush(expiry, (first, next(self._seq), series))
                        break
                    del closed[first]
                if not any(series.open) and not any(series.closed):
                    self._forget(series)

    def _forget(self, series: _Series) -> None:
        del self._series[series.key]
        metric = (series.key[0], series.key[1])
        left = self._per_metric[metric] - 1
        if left:
            self._per_metric[metric] = left
        else:
            del self._per_metric[metric]

    def _level(self, start: int, period: int) -> int:
        """The coarsest resolution that tiles the periods and still holds `start`,
        else the coarsest that tiles them."""
        if start % 10 or period % 10 or period <= 0:
            raise MetricValidationError(
                "period", (start, period), "a start and a period that are multiples of 10 s"
            )
        age = self._clock.now() - start
        fitting = None
        for level in (2, 1, 0):
            res = RESOLUTIONS[level]
            if start % res or period % res:
                continue
            if age < self._config.retention[level] + res:
                return level
            if fitting is None:
                fitting = level
        return fitting or 0  # the 10-second level always fits

    @staticmethod
    def _bucket_parts(series: _Series, level: int, t: int) -> list[Aggregate | bytes]:
        """What holds the samples of bucket `t`: the closed bucket, or the open one
        plus the still-open finer buckets inside it."""
        closed = series.closed[level].get(t)
        if closed is not None:
            return [closed]
        parts: list[Aggregate | bytes] = []
        own = series.open[level].get(t)
        if own is not None:
            parts.append(own)
        end = t + RESOLUTIONS[level]
        for finer in series.open[:level]:
            parts.extend(agg for start, agg in finer.items() if t <= start < end)
        return parts


def _key_of(point: Datapoint | Distribution) -> SeriesKey:
    try:
        return series_key(point.namespace, point.name, point.dimensions)
    except (AttributeError, TypeError):  # not a dict, or keys that do not sort
        check_series(point.namespace, point.name, point.dimensions)
        raise
