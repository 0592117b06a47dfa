"""Statistic names, values and CloudWatch's low-sample rule for percentiles."""

from __future__ import annotations

import numpy as np
import pytest

from vigila.metrics import Aggregate, MetricValidationError, parse_statistic


@pytest.mark.parametrize(
    ("name", "percentile"),
    [
        ("Sum", None),
        ("SampleCount", None),
        ("p99", 99.0),
        ("p99.9", 99.9),
        ("p0", 0.0),
        ("p100", 100.0),
    ],
)
def test_valid_statistics(name, percentile):
    assert parse_statistic(name).percentile == percentile


@pytest.mark.parametrize(
    "name", ["sum", "avg", "p", "p100.1", "p-1", "P99", "p99.", "tm99", "", None]
)
def test_invalid_statistics_name_what_is_allowed(name):
    with pytest.raises(MetricValidationError) as err:
        parse_statistic(name)
    assert err.value.field == "statistic"
    assert "p0.0-p100" in err.value.allowed


def test_values_match_numpy():
    values = np.random.default_rng(3).lognormal(3, 1, 20_000)
    agg = Aggregate()
    for v in values:
        agg.add(float(v))
    assert parse_statistic("Sum").of(agg) == pytest.approx(values.sum())
    assert parse_statistic("Average").of(agg) == pytest.approx(values.mean())
    assert parse_statistic("Minimum").of(agg) == values.min()
    assert parse_statistic("Maximum").of(agg) == values.max()
    assert parse_statistic("SampleCount").of(agg) == len(values)
    assert parse_statistic("p0").of(agg) == values.min()
    assert parse_statistic("p100").of(agg) == values.max()
    for q in (50, 95, 99, 99.9):
        lower = np.percentile(values, q, method="lower")
        upper = np.percentile(values, q, method="higher")
        got = parse_statistic(f"p{q}").of(agg)
        assert lower * 0.99 <= got <= upper * 1.01


@pytest.mark.parametrize(
    ("name", "count", "low"),
    [
        ("p99", 999, True),
        ("p99", 1000, False),
        ("p50", 19, True),
        ("p50", 20, False),
        ("p10", 99, True),
        ("p10", 100, False),
        ("p100", 1, False),
        ("Average", 1, False),
    ],
)
def test_low_sample_count_follows_cloudwatch(name, count, low):
    assert parse_statistic(name).low_sample(count) is low


def test_quantiles_need_the_sketch():
    with pytest.raises(ValueError, match="keeps no sketch"):
        Aggregate(quantiles=False).quantile(0.5)
