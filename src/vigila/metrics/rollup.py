"""Rollups of datapoints at 10 s, 1 min and 1 h, with lateness, retention and a cardinality cap.

A datapoint lands in the open 10-second bucket of its series. A bucket closes
once the clock passes its end plus `allowed_lateness`; a closed bucket is kept
for its resolution's retention and folded into the open bucket one resolution
up, so the three resolutions always agree. Queries see closed buckets and the
still-open ones, so an alarm can read a period as soon as it ends.

Layout: buckets are kept by (resolution, start) for all series at once, not
per series, in numpy columns rather than an object per bucket (a bytes object
in a dict costs 130 to 250 bytes a bucket, several times its data). Each series
has a slot (`SeriesIndex`); the open buckets of one resolution and start are
one `OpenBucket` (float64 columns by slot, bins appended and merged), and
closing them makes `BucketTable`s: a row per series, columns in the narrowest
exact dtype, bins as CSR slices of packed codes. A closed bucket of a gauge
read once costs 8 to 12 bytes, one with a sketch about 30 bytes plus 3 a bin;
sketches stay DDSketch's, so they merge and travel (`RollupRow`) as before.
Columns also make a tick a few numpy calls however many series there are: it
closes, folds upwards, exports and evicts whole tables.

`add_many` takes a batch as arrays and does everything for it in one pass:
checks, drops, bucket starts and sketch keys for every point, and folds per
bucket with `np.add.at`, which applies updates in order, so sums come out as
if each point had been added alone. `add` checks and counts one point the same
way and buffers it; the buffer is folded by the same code before anything
reads or closes a bucket.

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

import bisect
import itertools
import math
from collections import deque
from collections.abc import Iterable, Sequence

import msgspec
import numpy as np

from vigila.clock import Clock
from vigila.metrics import sketch
from vigila.metrics.aggregate import Aggregate
from vigila.metrics.datapoint import (
    VALUE_LIMIT,
    Datapoint,
    Distribution,
    SeriesKey,
    check_columns,
    check_key,
    check_series,
    check_value,
    distribution_samples,
    series_key,
)
from vigila.metrics.errors import MetricValidationError
from vigila.metrics.export import RollupRow, bucket_of, row_key, to_row
from vigila.metrics.openbucket import OpenBucket
from vigila.metrics.series import SeriesIndex
from vigila.metrics.statistics import parse_statistic
from vigila.metrics.table import BucketTable, Part

RESOLUTIONS = (10, 60, 3600)
"""Stored resolutions in seconds, finest first."""

MAX_QUERY_DATAPOINTS = 1440
"""Most datapoints one query returns, as GetMetricStatistics."""


class RollupConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How long each resolution is kept in memory and what the aggregator accepts.

    The default retention keeps 3 hours of 10-second data (as CloudWatch), 26
    hours of 1-minute data (any alarm: a sliding window of up to a day, plus the
    two periods looked at beyond it) and 15 days of 1-hour data. A closed bucket
    takes 8 bytes (a gauge read once) to a few dozen (a sketch of a few distinct
    values); a store keeps longer history (see `drain_closed`).
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
    rejected: int
    """Malformed datapoints: `add` raises for them, `add_many` leaves them out."""
    export_dropped: int
    series: int


_PENDING_LIMIT = 4096
"""Samples `add` buffers before folding them."""

_COUNTERS = ("accepted", "late_accepted", "dropped_late", "dropped_future", "dropped_series",
             "rejected", "export_dropped")


class RollupAggregator:
    """Per-series rollups in memory, driven by an injected clock; see the module doc."""

    def __init__(self, clock: Clock, config: RollupConfig | None = None) -> None:
        self._clock = clock
        self._config = config or RollupConfig()
        self._index = SeriesIndex(self._config.max_series, self._config.max_series_per_metric)
        self._open: tuple[dict[int, OpenBucket], ...] = ({}, {}, {})
        self._open_starts: tuple[list[int], ...] = ([], [], [])  # sorted
        self._closed: tuple[dict[int, list[BucketTable]], ...] = ({}, {}, {})
        self._closed_starts: tuple[list[int], ...] = ([], [], [])  # sorted
        # Per slot: the latest bucket start at each level, how many open buckets hold
        # the series, and the earliest timestamp received since `take_changed`.
        self._latest = np.full((len(RESOLUTIONS), 0), -np.inf)
        self._open_count = np.zeros(0, np.int32)
        self._changed = np.zeros(0)
        self._changed_gone: dict[SeriesKey, float] = {}  # of series forgotten since
        self._pending: tuple[list[int], list[int], list[float], list[float]] = ([], [], [], [])
        self._exports: deque[list] = deque()  # [level, start, table, keys, rows taken]
        self._export_rows = 0
        self._counts = dict.fromkeys(_COUNTERS, 0)

    def add(self, point: Datapoint | Distribution) -> bool:
        """Count a datapoint into its series; False when dropped (see `stats`).

        Malformed input (NaN or infinite values, bad names, too many dimensions)
        raises `MetricValidationError` instead.
        """
        try:
            samples = (
                distribution_samples(point)
                if isinstance(point, Distribution)
                else ((check_value("value", point.value), 1.0),)
            )
            ts = check_value("timestamp", point.timestamp)
            key = _key_of(point)
            slot = self._index.get(key)
            if slot < 0:
                check_series(point.namespace, point.name, point.dimensions)
        except MetricValidationError:
            self._counts["rejected"] += 1
            raise
        now = self._clock.now()
        start = _start(ts)
        if self._late(start, now):
            self._counts["dropped_late"] += 1
            return False
        if self._future(ts, now):
            self._counts["dropped_future"] += 1
            return False
        if slot < 0:
            slot = self._index.admit(key)
            if slot < 0:
                self._counts["dropped_series"] += 1
                return False
            self._fit()
        self._counts["accepted"] += 1
        self._counts["late_accepted"] += bool(start + RESOLUTIONS[0] <= now)
        self._changed[slot] = min(self._changed[slot], ts)
        slots, starts, values, weights = self._pending
        for value, weight in samples:
            slots.append(slot)
            starts.append(int(start))
            values.append(value)
            weights.append(weight)
        if len(slots) >= _PENDING_LIMIT:
            self._flush()
        return True

    def add_many(self, keys: Sequence[SeriesKey], series: np.ndarray, timestamps: np.ndarray,
                 values: np.ndarray) -> int:
        """Count a batch of datapoints, `series[i]` indexing `keys` (as `series_key` makes
        them), as `add` would one by one, in order; returns how many were accepted.

        Malformed datapoints (non-finite numbers, keys of bad names) are counted as
        `rejected` and left out. Arguments that are not 1-d arrays of one length, or a
        series index outside `keys`, raise `MetricValidationError` naming the argument.
        """
        index, timestamps, values = check_columns(keys, series, timestamps, values)
        self._flush()  # points buffered by `add` came first
        if (index[1:] > index[:-1]).all():  # each series once, in order: nothing to group
            distinct, inverse = index, np.arange(len(index))
        else:
            distinct, inverse = np.unique(index, return_inverse=True)
        distinct_keys = (keys if len(distinct) == len(keys)
                         else list(map(keys.__getitem__, distinct.tolist())))
        slot_of = self._index.slots_of(distinct_keys)
        well_formed = np.ones(len(distinct), bool)
        for j in np.flatnonzero(slot_of < 0).tolist():
            well_formed[j] = _well_formed(distinct_keys[j])
        valid = ((np.abs(values) <= VALUE_LIMIT) & (np.abs(timestamps) <= VALUE_LIMIT)
                 & well_formed[inverse])
        now = self._clock.now()
        starts = _start(np.where(valid, timestamps, 0.0))
        late = valid & self._late(starts, now)
        future = valid & ~late & self._future(timestamps, now)
        eligible = valid & ~late & ~future
        fresh = eligible & (slot_of[inverse] < 0)
        if fresh.any():  # admitted in the order of their first datapoint, as `add` would
            seen, first = np.unique(inverse[fresh], return_index=True)
            for j in seen[np.argsort(first)].tolist():
                slot_of[j] = self._index.admit(distinct_keys[j])
            self._fit()
        slots = slot_of[inverse]
        accepted = eligible & (slots >= 0)
        taken = int(accepted.sum())
        counts = self._counts
        counts["rejected"] += len(index) - int(valid.sum())
        counts["dropped_late"] += int(late.sum())
        counts["dropped_future"] += int(future.sum())
        counts["dropped_series"] += int(eligible.sum()) - taken
        counts["accepted"] += taken
        counts["late_accepted"] += int((starts[accepted] + RESOLUTIONS[0] <= now).sum())
        slots, ts = slots[accepted], timestamps[accepted]
        np.minimum.at(self._changed, slots, ts)
        self._fold(slots, starts[accepted].astype(np.int64), values[accepted],
                   np.ones(taken))
        return taken

    def tick(self) -> None:
        """Close the buckets whose end plus the allowed lateness has passed; drop expired ones."""
        self._flush()
        now = self._clock.now()
        lateness = self._config.allowed_lateness
        for level, res in enumerate(RESOLUTIONS):
            starts = self._open_starts[level]
            while starts and starts[0] + res + lateness <= now:
                start = starts.pop(0)
                self._close(level, start, self._open[level].pop(start))
        self._evict(now)

    def window(
        self, key: SeriesKey, start: int, period: int, count: int, quantiles: bool
    ) -> list[Aggregate | None]:
        """Fresh aggregates of `count` consecutive periods from `start`, oldest first.

        A period without samples is None. `quantiles=False` skips merging
        sketches when only the standard statistics are wanted.
        """
        self._flush()
        slot = self._index.get(key)
        if slot < 0:
            return [None] * count
        level = self._level(start, period)
        res = RESOLUTIONS[level]
        out: list[Aggregate | None] = []
        for i in range(count):
            first = start + i * period
            total: Aggregate | None = None
            for t in range(first, first + period, res):
                for part in self._bucket_parts(slot, level, t, quantiles):
                    if total is None:
                        total = Aggregate(quantiles)
                    total.fold(*part)
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
        hit = np.flatnonzero(self._changed < np.inf)
        changed = dict(zip(self._index.keys[hit].tolist(), self._changed[hit].tolist(),
                           strict=True))
        for key, ts in self._changed_gone.items():
            changed[key] = min(ts, changed.get(key, ts))
        self._changed[hit] = np.inf
        self._changed_gone = {}
        return changed

    def drain_closed(self) -> list[RollupRow]:
        """Rows for the buckets closed since the last call, oldest first."""
        rows = []
        for level, start, table, keys, taken in self._exports:
            res = RESOLUTIONS[level]
            for key, (count, total, low, high, bin_codes, weights) in zip(
                keys[taken:].tolist(), itertools.islice(table.parts(), taken, None), strict=True
            ):
                rows.append(to_row(key, res, start, (count, total, low, high),
                                   sketch.encode(bin_codes, weights)))
        self._exports.clear()
        self._export_rows = 0
        return rows

    def import_rows(self, rows: Iterable[RollupRow]) -> int:
        """Merge closed buckets back (from a store or another partition); returns how many.

        Rows past their resolution's retention are skipped. Imported rows are not
        folded into coarser resolutions: a store keeps every resolution itself. A
        malformed row raises `MetricValidationError` before any row is imported.
        """
        self._flush()
        now = self._clock.now()
        checked = []
        for row in sorted(rows, key=lambda r: r.start if isinstance(r.start, int) else 0):
            if row.resolution not in RESOLUTIONS:
                raise MetricValidationError("resolution", row.resolution, "10, 60 or 3600")
            level = RESOLUTIONS.index(row.resolution)
            if not isinstance(row.start, int) or row.start % row.resolution:
                raise MetricValidationError("start", row.start, "an integer multiple of resolution")
            if row.start + row.resolution <= now - self._config.retention[level]:
                continue
            checked.append((level, row.start, bucket_of(row), row_key(row)))
        groups: dict[tuple[int, int], list[tuple[int, tuple, np.ndarray, np.ndarray]]] = {}
        for level, start, (stats, bin_codes, weights), key in checked:
            slot = self._index.admit(key)
            if slot < 0:
                self._counts["dropped_series"] += 1
                continue
            self._fit()
            groups.setdefault((level, start), []).append((slot, stats, bin_codes, weights))
            self._changed[slot] = min(self._changed[slot], start)
            self._latest[level, slot] = max(self._latest[level, slot], start)
        for (level, start), items in groups.items():
            slots = np.array([slot for slot, *_ in items])
            stats = np.array([stats for _, stats, *_ in items]).T
            owners = np.repeat(np.arange(len(items)), [len(c) for *_, c, _ in items])
            bins = (owners, np.concatenate([c for *_, c, _ in items]).astype(np.int64),
                    np.concatenate([w for *_, w in items]))
            bucket = OpenBucket()
            bucket.fold(slots, *stats, bins)
            self._keep(level, start, bucket.close())
        return sum(len(items) for items in groups.values())

    def series_keys(self) -> list[SeriesKey]:
        """Every series kept, in no particular order."""
        return list(self._index)

    def stats(self) -> RollupStats:
        """A snapshot of the counters."""
        return RollupStats(series=len(self._index), **self._counts)

    def _late(self, start: float | np.ndarray, now: float) -> bool | np.ndarray:
        """Whether datapoints of 10-second buckets from `start` come too late to be kept."""
        return start + RESOLUTIONS[0] + self._config.allowed_lateness <= now

    def _future(self, ts: float | np.ndarray, now: float) -> bool | np.ndarray:
        return ts > now + self._config.max_future

    def _fit(self) -> None:
        """Grow the per-slot arrays to the slots the index may hand out."""
        grown = len(self._index.keys) - len(self._changed)
        if grown > 0:
            self._latest = np.concatenate(
                [self._latest, np.full((len(RESOLUTIONS), grown), -np.inf)], axis=1)
            self._open_count = np.concatenate([self._open_count, np.zeros(grown, np.int32)])
            self._changed = np.concatenate([self._changed, np.full(grown, np.inf)])

    def _flush(self) -> None:
        """Fold the samples `add` buffered."""
        slots, starts, values, weights = self._pending
        if slots:
            self._fold(np.array(slots), np.array(starts), np.array(values), np.array(weights))
            for buffered in self._pending:
                buffered.clear()

    def _fold(self, slots: np.ndarray, starts: np.ndarray, values: np.ndarray,
              weights: np.ndarray) -> None:
        """Fold accepted samples into their open 10-second buckets, in order."""
        if not len(slots):
            return
        bin_codes = sketch.codes(values)
        totals = values * weights
        if starts[0] == starts.min() == starts.max():  # the usual batch: one bucket
            chunks = [np.arange(len(starts))]
        else:
            order = np.argsort(starts, kind="stable")
            chunks = np.split(order, np.flatnonzero(np.diff(starts[order])) + 1)
        for chunk in chunks:
            start = int(starts[chunk[0]])
            self._fold_into(0, start, slots[chunk], weights[chunk], totals[chunk], values[chunk],
                            values[chunk], (np.arange(len(chunk)), bin_codes[chunk],
                                            weights[chunk]))

    def _fold_into(self, level: int, start: int, slots: np.ndarray, *columns: object) -> None:
        """`OpenBucket.fold` into the open bucket of `level` and `start`, made if needed."""
        bucket = self._open[level].get(start)
        if bucket is None:
            bucket = self._open[level][start] = OpenBucket()
            bisect.insort(self._open_starts[level], start)
        new = bucket.fold(slots, *columns)  # type: ignore[arg-type]
        self._open_count[new] += 1
        self._latest[level, new] = np.maximum(self._latest[level, new], start)

    def _close(self, level: int, start: int, bucket: OpenBucket) -> None:
        tables = bucket.close()
        self._open_count[bucket.slots] -= 1
        if level + 1 < len(RESOLUTIONS):
            parent = start - start % RESOLUTIONS[level + 1]
            for table in tables:
                self._fold_into(level + 1, parent, table.slot_ids().astype(np.int64),
                                *table.columns(), table.bins())
        self._keep(level, start, tables)
        for table in tables:
            self._export(level, start, table)

    def _keep(self, level: int, start: int, tables: list[BucketTable]) -> None:
        """Keep closed tables, merged with those already kept for the bucket if any."""
        kept = self._closed[level].get(start)
        if kept is None:
            bisect.insort(self._closed_starts[level], start)
        else:  # re-closed after the clock went back, or imported
            both = OpenBucket()
            for table in (*kept, *tables):
                both.fold(table.slot_ids().astype(np.int64), *table.columns(), table.bins())
            tables = both.close()
        self._closed[level][start] = tables

    def _export(self, level: int, start: int, table: BucketTable) -> None:
        self._exports.append([level, start, table, self._index.keys[table.slot_ids()], 0])
        self._export_rows += len(table)
        excess = self._export_rows - self._config.export_backlog
        while excess > 0:  # drop the oldest rows
            oldest = self._exports[0]
            dropped = min(excess, len(oldest[2]) - oldest[4])
            oldest[4] += dropped
            excess -= dropped
            self._export_rows -= dropped
            self._counts["export_dropped"] += dropped
            if oldest[4] == len(oldest[2]):
                self._exports.popleft()

    def _evict(self, now: float) -> None:
        """Drop closed tables past retention, and forget the series left without buckets."""
        touched = []
        for level, res in enumerate(RESOLUTIONS):
            starts = self._closed_starts[level]
            expired = bisect.bisect_right(starts, now - self._config.retention[level] - res)
            for start in starts[:expired]:
                touched.extend(table.slot_ids() for table in self._closed[level].pop(start))
            del starts[:expired]
        if not touched:
            return
        slots = np.unique(np.concatenate(touched)).astype(np.int64)
        horizons = now - np.array(self._config.retention) - np.array(RESOLUTIONS)
        empty = (self._latest[:, slots] <= horizons[:, None]).all(axis=0)
        gone = slots[empty & (self._open_count[slots] == 0)]
        if len(gone):
            for slot in gone[self._changed[gone] < np.inf].tolist():
                self._changed_gone[self._index.keys[slot]] = float(self._changed[slot])
            self._index.release(gone)
            self._latest[:, gone] = -np.inf
            self._changed[gone] = np.inf

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

    def _bucket_parts(self, slot: int, level: int, t: int, quantiles: bool) -> list[Part]:
        """What holds the samples of bucket `t`: the closed bucket, or the open one
        plus the still-open finer buckets inside it (finest first, then by start)."""
        for table in self._closed[level].get(t, ()):
            row = table.find(slot)
            if row >= 0:
                return [table.part(row, quantiles)]
        parts = []
        own = self._open[level].get(t)
        if own is not None and (row := own.find(slot)) >= 0:
            parts.append(own.part(row, quantiles))
        end = t + RESOLUTIONS[level]
        for finer in range(level):
            starts, buckets = self._open_starts[finer], self._open[finer]
            for start in starts[bisect.bisect_left(starts, t):bisect.bisect_left(starts, end)]:
                if (row := buckets[start].find(slot)) >= 0:
                    parts.append(buckets[start].part(row, quantiles))
        return parts


def _start(ts: float | np.ndarray) -> float | np.ndarray:
    """The start of the 10-second bucket of a timestamp (or of each)."""
    return ts // RESOLUTIONS[0] * RESOLUTIONS[0]


def _well_formed(key: SeriesKey) -> bool:
    try:
        check_key(key)
    except MetricValidationError:
        return False
    return True


def _key_of(point: Datapoint | Distribution) -> SeriesKey:
    try:
        return series_key(point.namespace, point.name, point.dimensions)
    except (AttributeError, TypeError):  # not a dict, or keys that do not sort
        check_series(point.namespace, point.name, point.dimensions)
        raise
