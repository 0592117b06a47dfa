"""Top-N: series chosen by a pattern, pooled per dimension value, reduced and ranked."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigila.clock import ManualClock
from vigila.metrics.datapoint import Datapoint
from vigila.metrics.engine import MetricsEngine
from vigila.metrics.errors import MetricValidationError
from vigila.metrics.top import reduce_points, select, top
from vigila.store.sqlite import SqliteStore

T = 1_790_000_000.0  # a minute boundary
NS = "Fabric/test"


@pytest.fixture
def engine(tmp_path: Path) -> MetricsEngine:
    clock = ManualClock(T)
    store = SqliteStore(tmp_path / "store.db")
    engine = MetricsEngine(clock, store)
    ports = {"a/n1": [1.0, 9.0], "a/n2": [5.0, 5.0], "b/n3": [2.0, 3.0]}
    engine.add(Datapoint(NS, "Score", {"Cluster": port[0], "StreamId": port}, T + 60 * i, v)
               for port, values in ports.items() for i, v in enumerate(values))
    engine.add([Datapoint(NS, "Score", {"Cluster": "a"}, T, 7.0)])
    yield engine
    store.close()


def test_select_matches_every_dimension_exactly(engine: MetricsEngine) -> None:
    assert len(select(engine, NS, "Score", {"Cluster": "*", "StreamId": "*"})) == 3
    assert select(engine, NS, "Score", {"Cluster": "a"}) == [{"Cluster": "a"}]
    assert select(engine, NS, "Score", {"Cluster": "b", "StreamId": "*"}) == [
        {"Cluster": "b", "StreamId": "b/n3"}]
    assert select(engine, NS, "Score", {"StreamId": "*"}) == []
    assert select(engine, NS, "Other", {"Cluster": "*"}) == []


@pytest.mark.parametrize(("reduce", "expected"), [
    ("max", [("a/n1", 9.0), ("a/n2", 5.0), ("b/n3", 3.0)]),
    ("sum", [("a/n1", 10.0), ("a/n2", 10.0), ("b/n3", 5.0)]),
    ("min", [("a/n2", 5.0), ("b/n3", 2.0), ("a/n1", 1.0)]),
    ("last", [("a/n1", 9.0), ("a/n2", 5.0), ("b/n3", 3.0)]),
    ("rate", [("a/n1", 10 / 600), ("a/n2", 10 / 600), ("b/n3", 5 / 600)]),  # 8 empty periods
])
def test_top_ranks_largest_first_and_breaks_ties_by_name(engine: MetricsEngine, reduce: str,
                                                         expected: list) -> None:
    ranked = top(engine, NS, "Score", {"Cluster": "*", "StreamId": "*"}, "StreamId", "Maximum",
                 T, T + 600, 60, reduce, 10)
    assert ranked == expected


def test_top_pools_the_series_of_one_value_and_honours_the_limit(engine: MetricsEngine) -> None:
    ranked = top(engine, NS, "Score", {"Cluster": "*", "StreamId": "*"}, "Cluster", "Sum",
                 T, T + 600, 60, "sum", 1)
    assert ranked == [("a", 20.0)]


def test_top_only_counts_the_range(engine: MetricsEngine) -> None:
    ranked = top(engine, NS, "Score", {"Cluster": "*", "StreamId": "*"}, "StreamId", "Maximum",
                 T, T + 60, 60, "max", 10)
    assert ranked == [("a/n2", 5.0), ("b/n3", 2.0), ("a/n1", 1.0)]


@pytest.mark.parametrize(("by", "reduce", "statistic", "field"), [
    ("StreamId", "max", "Maximum", "by"),
    ("Cluster", "median", "Maximum", "reduce"),
    ("Cluster", "max", "p101", "statistic"),
])
def test_bad_arguments_name_the_field(engine: MetricsEngine, by: str, reduce: str,
                                      statistic: str, field: str) -> None:
    with pytest.raises(MetricValidationError) as caught:
        top(engine, NS, "Score", {"Cluster": "*"}, by, statistic, T, T + 600, 60, reduce, 5)
    assert caught.value.field == field


def test_reduce_of_nothing_is_zero_for_a_sum_and_none_otherwise() -> None:
    assert reduce_points([], "sum") == 0.0
    assert [reduce_points([], how) for how in ("max", "min", "mean", "last")] == [None] * 4


def test_a_rate_counts_periods_without_datapoints_as_zero() -> None:
    points = [(0.0, 60.0), (600.0, 60.0)]  # two busy minutes of an hour
    assert reduce_points(points, "rate", seconds=3600) == pytest.approx(120 / 3600)
    assert reduce_points(points, "mean") == 60.0  # the mean of what exists
    assert reduce_points([], "rate", seconds=60) == 0.0
    with pytest.raises(MetricValidationError, match="seconds"):
        reduce_points(points, "rate")
