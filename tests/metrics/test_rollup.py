"""Rollups: correctness against numpy, resolutions, lateness, retention, cardinality, queries."""

from __future__ import annotations

import numpy as np
import pytest

from vigila.clock import ManualClock
from vigila.metrics import (
    Datapoint,
    Distribution,
    MetricValidationError,
    RollupAggregator,
    RollupConfig,
    series_key,
)

HOUR = 1_789_999_200  # an hour boundary
NS, NAME = "Vigila/test", "Latency"


def point(
    ts: float, value: float, dims: dict[str, str] | None = None, name: str = NAME
) -> Datapoint:
    return Datapoint(NS, name, dims or {}, ts, value)


def feed(
    rollups: RollupAggregator, clock: ManualClock, times: np.ndarray, values: np.ndarray
) -> None:
    """Add datapoints in time order, moving the clock along and ticking as a runtime would."""
    for ts, value in zip(times, values, strict=True):
        if ts > clock.now():
            clock.set(float(ts))
            rollups.tick()
        assert rollups.add(point(float(ts), float(value)))


def check_against_numpy(result, times, values, start, period):
    got = dict(result)
    for bucket_start in range(start, start + period * len(got), period):
        mask = (times >= bucket_start) & (times < bucket_start + period)
        chunk = values[mask]
        if not len(chunk):
            assert bucket_start not in got
            continue
        yield bucket_start, chunk, got[float(bucket_start)]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(HOUR)


def test_rollups_match_numpy_at_every_resolution(clock):
    rng = np.random.default_rng(11)
    times = np.sort(HOUR + rng.uniform(0, 2 * 3600, 6000))
    values = rng.lognormal(2, 0.8, len(times))
    rollups = RollupAggregator(clock, RollupConfig(allowed_lateness=5))
    feed(rollups, clock, times, values)
    clock.set(HOUR + 3 * 3600)
    rollups.tick()
    for period in (10, 60, 300, 3600):
        for stat, fn in (
            ("Sum", np.sum),
            ("SampleCount", len),
            ("Minimum", np.min),
            ("Maximum", np.max),
        ):
            result = rollups.query(NS, NAME, {}, HOUR, HOUR + 2 * 3600, period, stat)
            for _, chunk, got in check_against_numpy(result, times, values, HOUR, period):
                assert got == pytest.approx(fn(chunk))
        result = rollups.query(NS, NAME, {}, HOUR, HOUR + 2 * 3600, period, "Average")
        for _, chunk, got in check_against_numpy(result, times, values, HOUR, period):
            assert got == pytest.approx(chunk.mean())


@pytest.mark.parametrize("q", [50, 95, 99, 99.9])
def test_percentiles_merge_across_periods_within_sketch_accuracy(clock, q):
    rng = np.random.default_rng(5)
    times = np.sort(HOUR + rng.uniform(0, 3600, 20_000))
    values = rng.exponential(20, len(times)) + 1
    rollups = RollupAggregator(clock, RollupConfig(allowed_lateness=5))
    feed(rollups, clock, times, values)
    clock.set(HOUR + 2 * 3600)
    rollups.tick()
    # one hour from 10 s, 1 min and 1 h buckets: merging never loses accuracy
    for period in (3600, 600):
        result = rollups.query(NS, NAME, {}, HOUR, HOUR + 3600, period, f"p{q}")
        for _, chunk, got in check_against_numpy(result, times, values, HOUR, period):
            lower = np.percentile(chunk, q, method="lower")
            upper = np.percentile(chunk, q, method="higher")
            assert lower * 0.99 <= got <= upper * 1.01


def test_distributions_feed_the_same_sketches(clock):
    rollups = RollupAggregator(clock)
    rollups.add(Distribution(NS, NAME, {}, HOUR, [1.0, 100.0], [99.0, 1.0]))
    [(_, p50)] = rollups.query(NS, NAME, {}, HOUR, HOUR + 60, 60, "p50")
    [(_, count)] = rollups.query(NS, NAME, {}, HOUR, HOUR + 60, 60, "SampleCount")
    assert p50 == pytest.approx(1.0, rel=0.01) and count == 100


def test_open_buckets_are_visible_before_they_close(clock):
    rollups = RollupAggregator(clock, RollupConfig(allowed_lateness=600))
    rollups.add(point(HOUR + 5, 1.0))
    rollups.add(point(HOUR + 65, 2.0))
    clock.advance(200)
    rollups.tick()  # closes nothing: lateness is 10 minutes
    assert rollups.query(NS, NAME, {}, HOUR, HOUR + 120, 60, "Sum") == [
        (float(HOUR), 1.0),
        (float(HOUR + 60), 2.0),
    ]
    assert rollups.query(NS, NAME, {}, HOUR, HOUR + 3600, 3600, "Sum") == [(float(HOUR), 3.0)]
    assert rollups.drain_closed() == []


def test_lateness_counts_late_datapoints_and_drops_later_ones(clock):
    rollups = RollupAggregator(clock, RollupConfig(allowed_lateness=30))
    clock.set(HOUR + 25)
    assert rollups.add(point(HOUR + 1, 1.0))  # bucket [0, 10) ended 15 s ago: late, kept
    assert rollups.add(point(HOUR + 24, 1.0))  # on time
    clock.set(HOUR + 40)
    assert not rollups.add(point(HOUR + 9.9, 1.0))  # bucket end 10 + lateness 30 <= 40
    assert rollups.add(point(HOUR + 10, 1.0))  # next bucket, still open until 50
    stats = rollups.stats()
    assert (stats.accepted, stats.late_accepted, stats.dropped_late) == (3, 2, 1)


def test_future_datapoints_beyond_two_hours_are_dropped(clock):
    rollups = RollupAggregator(clock)
    assert rollups.add(point(HOUR + 7200, 1.0))
    assert not rollups.add(point(HOUR + 7201, 1.0))
    assert rollups.stats().dropped_future == 1


def test_buckets_close_after_end_plus_lateness_and_fold_upwards(clock):
    rollups = RollupAggregator(clock, RollupConfig(allowed_lateness=20))
    rollups.add(point(HOUR + 3, 4.0))
    clock.set(HOUR + 29.9)
    rollups.tick()
    assert rollups.drain_closed() == []
    clock.set(HOUR + 30)
    rollups.tick()
    [row] = rollups.drain_closed()
    assert (row.resolution, row.start, row.sum) == (10, HOUR, 4.0)
    clock.set(HOUR + 80)
    rollups.tick()
    assert [(r.resolution, r.start) for r in rollups.drain_closed()] == [(60, HOUR)]
    clock.set(HOUR + 3620)
    rollups.tick()
    assert [(r.resolution, r.start, r.count) for r in rollups.drain_closed()] == [(3600, HOUR, 1.0)]


def test_retention_evicts_buckets_and_forgets_empty_series(clock):
    config = RollupConfig(retention_10s=60, retention_1m=600, retention_1h=7200, allowed_lateness=0)
    rollups = RollupAggregator(clock, config)
    rollups.add(point(HOUR, 1.0))
    clock.set(HOUR + 100)
    rollups.tick()
    # 10 s data is gone; the 1 min bucket still answers a 10 s-aligned minute query
    assert rollups.query(NS, NAME, {}, HOUR, HOUR + 60, 60, "Sum") == [(float(HOUR), 1.0)]
    clock.set(HOUR + 3 * 3600)
    rollups.tick()
    assert rollups.query(NS, NAME, {}, HOUR, HOUR + 3600, 3600, "Sum") == []
    assert rollups.stats().series == 0


def test_series_cap_per_metric_drops_and_counts(clock):
    rollups = RollupAggregator(clock, RollupConfig(max_series_per_metric=3, max_series=4))
    kept = [rollups.add(point(HOUR, 1.0, {"host": f"h{i}"})) for i in range(10)]
    assert kept == [True] * 3 + [False] * 7
    assert rollups.add(point(HOUR, 1.0, {"host": "h1"}))  # a known series still counts
    assert rollups.add(point(HOUR, 1.0, name="Other"))
    assert not rollups.add(point(HOUR, 1.0, name="Third"))  # over the total cap
    stats = rollups.stats()
    assert (stats.series, stats.dropped_series) == (4, 8)


def test_memory_stays_bounded_under_a_cardinality_flood(clock):
    rollups = RollupAggregator(clock, RollupConfig(max_series_per_metric=100, max_series=1000))
    for i in range(5000):
        rollups.add(point(HOUR, 1.0, {"request_id": str(i)}, name=f"m{i % 50}"))
    assert rollups.stats().series == 1000
    assert rollups.stats().dropped_series == 4000


def test_a_freed_series_slot_can_be_reused(clock):
    config = RollupConfig(
        retention_10s=10,
        retention_1m=60,
        retention_1h=3600,
        allowed_lateness=0,
        max_series_per_metric=1,
    )
    rollups = RollupAggregator(clock, config)
    assert rollups.add(point(HOUR, 1.0, {"host": "a"}))
    assert not rollups.add(point(HOUR, 1.0, {"host": "b"}))
    clock.set(HOUR + 3 * 3600)
    rollups.tick()
    assert rollups.add(point(HOUR + 3 * 3600, 1.0, {"host": "b"}))


def test_query_omits_empty_periods_and_rounds_start_down(clock):
    rollups = RollupAggregator(clock)
    rollups.add(point(HOUR + 65, 2.0))
    rollups.add(point(HOUR + 185, 3.0))
    result = rollups.query(NS, NAME, {}, HOUR + 7, HOUR + 240, 60, "Sum")
    assert result == [(float(HOUR + 60), 2.0), (float(HOUR + 180), 3.0)]
    assert rollups.query(NS, NAME, {"other": "x"}, HOUR, HOUR + 240, 60, "Sum") == []
    assert rollups.query(NS, NAME, {}, HOUR + 240, HOUR, 60, "Sum") == []


@pytest.mark.parametrize("period", [0, 5, 15, 61.0, -60, "60"])
def test_query_periods_must_be_multiples_of_ten_seconds(clock, period):
    with pytest.raises(MetricValidationError) as err:
        RollupAggregator(clock).query(NS, NAME, {}, HOUR, HOUR + 60, period, "Sum")
    assert err.value.field == "period"


def test_query_refuses_more_than_1440_datapoints(clock):
    with pytest.raises(MetricValidationError) as err:
        RollupAggregator(clock).query(NS, NAME, {}, HOUR, HOUR + 1441 * 10, 10, "Sum")
    assert err.value.field == "end"


def test_window_reads_periods_oldest_first_without_sketches_when_not_needed(clock):
    rollups = RollupAggregator(clock)
    rollups.add(point(HOUR + 70, 5.0))
    key = series_key(NS, NAME, {})
    first, second = rollups.window(key, HOUR, 60, 2, quantiles=False)
    assert first is None and second.sum == 5.0 and not second.quantiles
    assert rollups.window(series_key(NS, "none", {}), HOUR, 60, 3, True) == [None, None, None]


def test_take_changed_reports_each_series_with_its_earliest_new_timestamp(clock):
    rollups = RollupAggregator(clock)
    rollups.add(point(HOUR + 30, 1.0, {"a": "1"}))
    rollups.add(point(HOUR + 5, 1.0, {"a": "1"}))
    rollups.add(point(HOUR + 50, 1.0, {"a": "2"}))
    assert rollups.take_changed() == {
        series_key(NS, NAME, {"a": "1"}): HOUR + 5,
        series_key(NS, NAME, {"a": "2"}): HOUR + 50,
    }
    assert rollups.take_changed() == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("retention_10s", 5),
        ("retention_1m", float("inf")),
        ("allowed_lateness", -1),
        ("max_future", float("nan")),
        ("max_series_per_metric", 0),
        ("max_series", -1),
        ("export_backlog", 1.5),
    ],
)
def test_config_is_validated(field, value):
    with pytest.raises(MetricValidationError) as err:
        RollupConfig(**{field: value})
    assert err.value.field == field


def test_a_query_from_long_before_retention_still_finds_what_is_kept():
    from vigila.clock import ManualClock
    from vigila.metrics.datapoint import Datapoint
    from vigila.metrics.rollup import RollupAggregator

    clock = ManualClock(1_790_000_000.0)
    agg = RollupAggregator(clock)
    agg.add(Datapoint("N", "m", {}, clock.now() - 5, 1.0))
    clock.advance(400)
    agg.tick()
    # From 1653 (year 1970) in 95-day periods: only the periods within retention are read.
    points = agg.query("N", "m", {}, 1653.0, clock.now(), 8_190_000, "Sum")
    assert [v for _, v in points] == [1.0]
