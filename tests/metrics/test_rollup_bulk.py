"""add_many against add one point at a time, and add_many's own boundary cases."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigila.clock import ManualClock
from vigila.metrics import (
    Datapoint,
    MetricValidationError,
    RollupAggregator,
    RollupConfig,
    series_key,
)
from vigila.metrics.datapoint import series_keys
from vigila.metrics.engine import MetricsEngine

HOUR = 1_789_999_200
NS = "Vigila/test"
KEYS = [series_key(NS, "Latency", {"host": h}) for h in ("a", "b", "c", "d")] + [
    series_key(NS, "Errors", {}),
    ("bad namespace!", "Latency", ()),  # refused by check_series
]
STATISTICS = ("SampleCount", "Sum", "Minimum", "Maximum", "Average", "p10", "p50", "p99")
CONFIG = RollupConfig(allowed_lateness=20, max_future=300, max_series=4,
                      retention_10s=120, retention_1m=600, retention_1h=7200)

values = st.one_of(
    st.floats(1e-3, 1e6), st.floats(-1e6, -1e-3), st.sampled_from([0.0, -0.0, 1.0, 0.1]),
    st.sampled_from([math.nan, math.inf, -math.inf, 2.0**361]),
)
points = st.tuples(st.integers(0, len(KEYS) - 1),
                   st.one_of(st.integers(-60, 400).map(float), st.floats(-60, 400),
                             st.sampled_from([math.nan, math.inf])),
                   values)
steps = st.lists(st.tuples(st.lists(points, max_size=12), st.integers(0, 90)),
                 min_size=1, max_size=8)


def one_by_one(rollups: RollupAggregator, batch: list[tuple[int, float, float]]) -> None:
    for i, offset, value in batch:
        namespace, name, dims = KEYS[i]
        with contextlib.suppress(MetricValidationError):
            rollups.add(Datapoint(namespace, name, dict(dims), HOUR + offset, value))


def in_bulk(rollups: RollupAggregator, batch: list[tuple[int, float, float]]) -> int:
    series = np.array([i for i, _, _ in batch], dtype=np.int64)
    times = np.array([HOUR + offset for _, offset, _ in batch])
    return rollups.add_many(KEYS, series, times, np.array([v for _, _, v in batch]))


def snapshot(rollups: RollupAggregator) -> tuple:
    """Everything a caller can read: stats, changes, exports and every statistic."""
    rows = sorted((r.namespace, r.name, sorted(r.dimensions.items()), r.resolution, r.start,
                   r.count, r.sum, r.min, r.max, r.sketch) for r in rollups.drain_closed())
    answers = {}
    for namespace, name, dims in KEYS[:5]:
        for period, first, last in ((10, -60, 420), (60, -60, 420), (3600, -3600, 3600)):
            for stat in STATISTICS:
                answers[name, dims, period, stat] = rollups.query(
                    namespace, name, dict(dims), HOUR + first, HOUR + last, period, stat)
    return rollups.stats(), rollups.take_changed(), rows, answers


@settings(max_examples=150, deadline=None)
@given(steps)
def test_add_many_is_add_point_by_point(script):
    clocks = ManualClock(HOUR), ManualClock(HOUR)
    single, bulk = (RollupAggregator(clock, CONFIG) for clock in clocks)
    for batch, advance in script:
        one_by_one(single, batch)
        before = bulk.stats().accepted
        assert in_bulk(bulk, batch) == bulk.stats().accepted - before
        for clock, rollups in zip(clocks, (single, bulk), strict=True):
            clock.advance(advance)
            rollups.tick()
        want, got = snapshot(single), snapshot(bulk)
        assert got[:3] == want[:3]
        for question, answer in want[3].items():
            if question[-1].startswith("p"):
                assert [t for t, _ in got[3][question]] == [t for t, _ in answer]
                assert [v for _, v in got[3][question]] == pytest.approx(
                    [v for _, v in answer], rel=0.01), question
            else:
                assert got[3][question] == answer, question


def test_add_many_returns_the_accepted_and_counts_every_drop():
    clock = ManualClock(HOUR + 100)
    rollups = RollupAggregator(clock, RollupConfig(allowed_lateness=20, max_future=60))
    # on time; late but kept; late (its bucket closed at 100); the future's edge; beyond it
    times = HOUR + np.array([100.0, 85.0, 79.9, 160.0, 160.1, 100.0, 100.0, math.nan])
    values = np.array([1.0, 1.0, 1.0, 1.0, 1.0, math.inf, math.nan, 1.0])
    assert rollups.add_many(KEYS[:1], np.zeros(8, int), times, values) == 3
    stats = rollups.stats()
    assert (stats.accepted, stats.late_accepted, stats.dropped_late, stats.dropped_future,
            stats.rejected) == (3, 1, 1, 1, 3)


def test_timestamps_on_a_bucket_edge_start_the_bucket():
    rollups = RollupAggregator(ManualClock(HOUR))
    edges = HOUR + np.array([0.0, 10.0, 60.0, 59.999999])
    rollups.add_many(KEYS[:1], np.zeros(4, int), edges, np.array([1.0, 2.0, 4.0, 8.0]))
    got = rollups.query(NS, "Latency", {"host": "a"}, HOUR, HOUR + 70, 10, "Sum")
    assert got == [(HOUR, 1.0), (HOUR + 10.0, 2.0), (HOUR + 50.0, 8.0), (HOUR + 60.0, 4.0)]


def test_the_series_cap_reached_mid_batch_admits_in_order_of_first_kept_point():
    clock = ManualClock(HOUR + 100)
    rollups = RollupAggregator(clock, RollupConfig(max_series=2, allowed_lateness=0))
    # host d's first point is late: it does not take a place, so c gets the second one
    series = np.array([3, 0, 2, 3, 1, 0, 1])
    times = HOUR + np.array([10.0, 100, 100, 100, 100, 101, 102])
    assert rollups.add_many(KEYS, series, times, np.ones(7)) == 3
    stats = rollups.stats()
    assert (stats.series, stats.dropped_late, stats.dropped_series) == (2, 1, 3)
    assert sorted(rollups.series_keys()) == sorted([KEYS[0], KEYS[2]])


def test_malformed_keys_are_rejected_not_raised():
    rollups = RollupAggregator(ManualClock(HOUR))
    unsorted = (NS, "Latency", (("z", "1"), ("a", "2")))  # not as series_key sorts them
    bad = [KEYS[5], unsorted, ("only", "two"), (NS, "m", (("a", "1"), ("a", "2")))]
    assert rollups.add_many(bad + KEYS[:1], np.arange(5), np.full(5, float(HOUR)),
                            np.ones(5)) == 1
    assert (rollups.stats().rejected, rollups.stats().series) == (4, 1)


def test_keys_listed_twice_are_one_series():
    rollups = RollupAggregator(ManualClock(HOUR))
    rollups.add_many([KEYS[0], KEYS[0]], np.array([0, 1]), np.full(2, float(HOUR)),
                     np.array([1.0, 2.0]))
    assert rollups.stats().series == 1
    assert rollups.query(NS, "Latency", {"host": "a"}, HOUR, HOUR + 10, 10, "Sum") == [
        (HOUR, 3.0)]


def test_empty_batches_change_nothing():
    rollups = RollupAggregator(ManualClock(HOUR))
    assert rollups.add_many([], np.array([], int), np.array([]), np.array([])) == 0
    assert rollups.add_many(KEYS, [], [], []) == 0
    assert rollups.stats().accepted == rollups.stats().rejected == 0


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((np.zeros(2, int), np.zeros(3), np.zeros(2)), "timestamps"),
        ((np.zeros(2, int), np.zeros(2), np.zeros(1)), "values"),
        ((np.zeros((2, 1), int), np.zeros(2), np.zeros(2)), "series"),
        ((np.zeros(2), np.zeros(2), np.zeros(2)), "series"),  # not integers
        ((np.array([0, len(KEYS)]), np.zeros(2), np.zeros(2)), "series"),
        ((np.array([-1, 0]), np.zeros(2), np.zeros(2)), "series"),
        ((np.zeros(1, int), np.array(["now"]), np.zeros(1)), "timestamps"),
        ((np.zeros(1, int), np.zeros(1), np.array([True])), "values"),
    ],
)
def test_malformed_arguments_name_the_argument(args, field):
    rollups = RollupAggregator(ManualClock(HOUR))
    with pytest.raises(MetricValidationError) as err:
        rollups.add_many(KEYS, *args)
    assert err.value.field == field
    assert rollups.stats().accepted == 0


def test_sums_add_up_in_arrival_order_whatever_the_batches():
    values = [0.1, 0.2, 0.3, 1e16, 1.0, -1e16, 0.7]
    clock = ManualClock(HOUR)
    rollups = RollupAggregator(clock)
    rollups.add(Datapoint(NS, "Latency", {"host": "a"}, HOUR, values[0]))  # buffered
    rollups.add_many(KEYS[:1], np.zeros(3, int), np.full(3, float(HOUR)), np.array(values[1:4]))
    rollups.add_many(KEYS[:1], np.zeros(3, int), np.full(3, float(HOUR)), np.array(values[4:]))
    total = 0.0
    for v in values:
        total += v
    [(_, got)] = rollups.query(NS, "Latency", {"host": "a"}, HOUR, HOUR + 10, 10, "Sum")
    assert got == total


def test_many_series_read_back_from_the_packed_tables():
    """Tables with a row per slot (most series present) and with listed slots (few)."""
    clock = ManualClock(HOUR)
    rollups = RollupAggregator(clock, RollupConfig(allowed_lateness=0))
    keys = series_keys(NS, "Load", ("host",), [(f"h{i}",) for i in range(500)])
    rng = np.random.default_rng(3)
    fed = {}
    for k in range(12):
        present = np.arange(500) if k % 2 else rng.choice(500, 20, replace=False)
        values = rng.lognormal(2, 1, len(present)).round(2)
        times = np.full(len(present), HOUR + 10.0 * k)
        rollups.add_many(keys, present, times, values)
        for i, v in zip(present.tolist(), values.tolist(), strict=True):
            fed.setdefault(i, []).append((10 * k, v))
    clock.advance(200)
    rollups.tick()
    for i in (0, 7, 499, *rng.choice(500, 20).tolist()):
        got = rollups.query(NS, "Load", {"host": f"h{i}"}, HOUR, HOUR + 120, 10, "Maximum")
        assert got == [(HOUR + t, v) for t, v in sorted(fed.get(i, []))]


def test_the_engine_adds_in_bulk_under_its_lock(tmp_path: Path):
    from vigila.store.sqlite import SqliteStore

    clock = ManualClock(HOUR)
    engine = MetricsEngine(clock, SqliteStore(tmp_path / "m.db"))
    assert engine.add_many(KEYS, np.array([0, 5]), np.full(2, float(HOUR)), np.ones(2)) == 1
    engine.add([Datapoint("bad namespace!", "m", {}, HOUR, 1.0)])
    stats = engine.stats()
    assert (stats.accepted, stats.rejected) == (1, 2)
