"""Export of closed buckets as rows and import back: persistence and cross-partition merges."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec
import numpy as np
import pytest

from vigila.clock import ManualClock
from vigila.metrics import (
    Datapoint,
    MetricValidationError,
    RollupAggregator,
    RollupConfig,
    RollupRow,
    RollupStore,
    SeriesKey,
)
from vigila.metrics.aggregate import Aggregate
from vigila.metrics.export import to_row

HOUR = 1_789_999_200
NS, NAME = "Vigila/test", "Latency"


class ListStore:
    """The smallest `RollupStore`: rows in a list."""

    def __init__(self) -> None:
        self.rows: list[RollupRow] = []

    def write(self, rows: Sequence[RollupRow]) -> None:
        self.rows.extend(rows)

    def read(self, start: float, end: float) -> Iterable[RollupRow]:
        return [r for r in self.rows if start <= r.start < end]


def partition(seed: int, clock: ManualClock) -> tuple[RollupAggregator, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = rng.lognormal(1, 1, 3000)
    rollups = RollupAggregator(clock, RollupConfig(allowed_lateness=0))
    for i, v in enumerate(values):
        rollups.add(Datapoint(NS, NAME, {"pack": "gpu"}, HOUR + (i % 600), float(v)))
    return rollups, values


def test_rows_persist_through_a_store_and_answer_the_same_queries():
    clock = ManualClock(HOUR)
    rollups, _ = partition(1, clock)
    clock.set(HOUR + 2 * 3600)
    rollups.tick()
    store: RollupStore = ListStore()
    store.write(rollups.drain_closed())
    restored = RollupAggregator(clock)
    assert restored.import_rows(store.read(HOUR, HOUR + 3600)) == len(store.rows)
    for period, stat in ((60, "Sum"), (600, "p99"), (3600, "Maximum"), (10, "SampleCount")):
        want = rollups.query(NS, NAME, {"pack": "gpu"}, HOUR, HOUR + 3600, period, stat)
        assert restored.query(NS, NAME, {"pack": "gpu"}, HOUR, HOUR + 3600, period, stat) == want


def test_rows_are_plain_msgpack_and_json():
    row = _row((NS, NAME, (("pack", "gpu"),)), 60, HOUR, 2.0)
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(row), type=RollupRow) == row
    assert msgspec.json.decode(msgspec.json.encode(row), type=RollupRow) == row


@pytest.mark.parametrize("q", [50, 99])
def test_partitions_merge_into_one_distribution(q):
    clock = ManualClock(HOUR)
    first, a = partition(1, clock)
    second, b = partition(2, clock)
    clock.set(HOUR + 2 * 3600)
    merged = RollupAggregator(clock)
    for part in (first, second):
        part.tick()
        merged.import_rows(part.drain_closed())
    [(_, got)] = merged.query(NS, NAME, {"pack": "gpu"}, HOUR, HOUR + 3600, 3600, f"p{q}")
    both = np.concatenate([a, b])
    assert np.percentile(both, q, method="lower") * 0.99 <= got
    assert got <= np.percentile(both, q, method="higher") * 1.01
    [(_, count)] = merged.query(NS, NAME, {"pack": "gpu"}, HOUR, HOUR + 3600, 3600, "SampleCount")
    assert count == len(both)


def test_a_bucket_closed_twice_exports_only_what_is_new():
    clock = ManualClock(HOUR)
    rollups = RollupAggregator(clock, RollupConfig(allowed_lateness=0))
    rollups.add(Datapoint(NS, NAME, {}, HOUR, 1.0))
    clock.set(HOUR + 10)
    rollups.tick()
    rollups.import_rows([_row((NS, NAME, ()), 10, HOUR, 5.0)])  # merges into the closed bucket
    [row] = [r for r in rollups.drain_closed() if r.resolution == 10]
    assert row.sum == 1.0
    assert rollups.query(NS, NAME, {}, HOUR, HOUR + 10, 10, "Sum") == [(float(HOUR), 6.0)]


def test_rows_past_retention_are_skipped():
    clock = ManualClock(HOUR + 4 * 3600)
    rollups = RollupAggregator(clock)
    old = _row((NS, NAME, ()), 10, HOUR, 1.0)
    assert rollups.import_rows([old]) == 0
    assert rollups.import_rows([msgspec.structs.replace(old, resolution=60)]) == 1


def test_export_backlog_is_bounded():
    clock = ManualClock(HOUR)
    rollups = RollupAggregator(clock, RollupConfig(allowed_lateness=0, export_backlog=5))
    for i in range(20):
        rollups.add(Datapoint(NS, NAME, {}, HOUR + 10 * i, 1.0))
    clock.set(HOUR + 200)
    rollups.tick()
    assert len(rollups.drain_closed()) == 5
    assert rollups.stats().export_dropped > 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"resolution": 30}, "resolution"),
        ({"start": HOUR + 5}, "start"),
        ({"start": float(HOUR)}, "start"),
        ({"count": 0.0}, "count/min/max"),
        ({"min": 9.0, "max": 1.0}, "count/min/max"),
        ({"sum": float("nan")}, "sum"),
        ({"max": float("inf")}, "max"),
        ({"sketch": b"not a sketch"}, "sketch"),
        ({"count": 2.0}, "sketch"),  # the sketch holds one sample
        ({"namespace": "bad!ns"}, "namespace"),
        ({"dimensions": {f"k{i}": "v" for i in range(40)}}, "dimensions"),
    ],
)
def test_malformed_rows_are_refused(change, field):
    clock = ManualClock(HOUR)
    row = msgspec.structs.replace(_row((NS, NAME, ()), 10, HOUR, 1.0), **change)
    with pytest.raises(MetricValidationError) as err:
        RollupAggregator(clock).import_rows([row])
    assert err.value.field == field


def _row(key: SeriesKey, resolution: int, start: int, value: float) -> RollupRow:
    agg = Aggregate()
    agg.add(value)
    return to_row(key, resolution, start, (agg.count, agg.sum, agg.min, agg.max),
                  agg.encoded_sketch())
