"""Datapoint validation with CloudWatch's limits, and hostile input."""

from __future__ import annotations

import math

import msgspec
import pytest

from vigila.clock import ManualClock
from vigila.metrics import Datapoint, Distribution, MetricValidationError, RollupAggregator
from vigila.metrics.datapoint import check_series, check_value, distribution_samples, series_key

T0 = 1_790_000_040.0


@pytest.fixture
def rollups() -> RollupAggregator:
    return RollupAggregator(ManualClock(T0))


def dp(
    value: object = 1.0, dims: object = None, name: object = "Latency", timestamp: object = T0
) -> Datapoint:
    return Datapoint("Vigila/dev", name, {} if dims is None else dims, timestamp, value)


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, 2.0**361, -(2.0**361), "5", None, True]
)
def test_values_that_are_not_finite_numbers_are_refused_with_the_field(rollups, value):
    with pytest.raises(MetricValidationError) as err:
        rollups.add(dp(value))
    assert err.value.field == "value"
    assert rollups.stats().accepted == 0


@pytest.mark.parametrize("ts", [math.nan, math.inf, "2026-01-01"])
def test_timestamps_must_be_finite_numbers(rollups, ts):
    with pytest.raises(MetricValidationError) as err:
        rollups.add(dp(timestamp=ts))
    assert err.value.field == "timestamp"


def test_the_largest_allowed_magnitude_is_accepted():
    assert check_value("value", 2.0**360) == 2.0**360
    assert check_value("value", 3) == 3.0


@pytest.mark.parametrize(
    ("namespace", "name", "dims", "field"),
    [
        ("", "m", {}, "namespace"),
        ("Vigila/dev!", "m", {}, "namespace"),
        ("N" * 256, "m", {}, "namespace"),
        ("Vigila", "", {}, "name"),
        ("Vigila", "   ", {}, "name"),
        ("Vigila", "x" * 256, {}, "name"),
        ("Vigila", "bad\nname", {}, "name"),
        ("Vigila", "m", {"": "v"}, "dimensions.name"),
        ("Vigila", "m", {":host": "v"}, "dimensions.name"),
        ("Vigila", "m", {"host": ""}, "dimensions['host']"),
        ("Vigila", "m", {"host": "v" * 1025}, "dimensions['host']"),
        ("Vigila", "m", {"host": 5}, "dimensions['host']"),
        ("Vigila", "m", ["host"], "dimensions"),
        ("Vigila", "m", {f"d{i}": "v" for i in range(31)}, "dimensions"),
    ],
)
def test_series_names_outside_cloudwatch_limits_are_refused(namespace, name, dims, field):
    with pytest.raises(MetricValidationError) as err:
        check_series(namespace, name, dims)
    assert err.value.field == field


def test_thirty_dimensions_and_limit_lengths_are_accepted():
    dims = {f"d{i:02d}" + "k" * 250: "v" * 1024 for i in range(30)}
    check_series("N" * 255, "m" * 255, dims)


def test_a_giant_dimension_map_is_refused_and_the_message_stays_short(rollups):
    huge = {f"k{i}": "v" for i in range(100_000)}
    with pytest.raises(MetricValidationError) as err:
        rollups.add(dp(dims=huge))
    assert err.value.field == "dimensions"
    assert len(str(err.value)) < 200
    assert rollups.stats().series == 0


def test_a_megabyte_name_is_refused_with_a_short_message(rollups):
    with pytest.raises(MetricValidationError) as err:
        rollups.add(dp(name="x" * 1_000_000))
    assert err.value.field == "name"
    assert len(str(err.value)) < 200


def test_dimension_keys_of_mixed_types_are_refused(rollups):
    with pytest.raises(MetricValidationError):
        rollups.add(dp(dims={"a": "1", 2: "b"}))


def test_dimension_order_does_not_make_a_new_series():
    assert series_key("N", "m", {"a": "1", "b": "2"}) == series_key("N", "m", {"b": "2", "a": "1"})


def test_decoding_json_gives_typed_datapoints():
    raw = (
        b'{"namespace": "Vigila/dev", "name": "Latency", "dimensions": {"Pack": "gpu"},'
        b' "timestamp": 1.5, "value": 3}'
    )
    point = msgspec.json.decode(raw, type=Datapoint)
    assert point.value == 3.0 and point.dimensions == {"Pack": "gpu"}
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(raw.replace(b"3}", b'"3"}'), type=Datapoint)


def test_distributions_weigh_values_by_counts():
    dist = Distribution("N", "m", {}, T0, [1.0, 2.0], [3.0, 1.0])
    assert distribution_samples(dist) == [(1.0, 3.0), (2.0, 1.0)]
    assert distribution_samples(Distribution("N", "m", {}, T0, [4.0])) == [(4.0, 1.0)]


@pytest.mark.parametrize(
    ("values", "counts", "field"),
    [
        ([], None, "values"),
        ([1.0] * 151, None, "values"),
        ([math.nan], None, "values"),
        ([1.0, 2.0], [1.0], "counts"),
        ([1.0], [0.0], "counts"),
        ([1.0], [-1.0], "counts"),
        ([1.0], [math.inf], "counts"),
    ],
)
def test_malformed_distributions_are_refused(values, counts, field):
    with pytest.raises(MetricValidationError) as err:
        distribution_samples(Distribution("N", "m", {}, T0, values, counts))
    assert err.value.field == field
