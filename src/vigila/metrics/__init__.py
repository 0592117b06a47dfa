"""Metrics: typed datapoints rolled up at 10 s, 1 min and 1 h with mergeable DDSketches.

The model is CloudWatch's: a metric is a namespace, a name and dimensions;
statistics are SampleCount, Average, Sum, Minimum, Maximum and percentiles.
"""

from vigila.metrics.aggregate import Aggregate
from vigila.metrics.datapoint import Datapoint, Distribution, SeriesKey, series_key
from vigila.metrics.errors import InvalidField, MetricValidationError
from vigila.metrics.export import RollupRow, RollupStore
from vigila.metrics.rollup import RESOLUTIONS, RollupAggregator, RollupConfig, RollupStats
from vigila.metrics.statistics import Statistic, parse_statistic

__all__ = [
    "RESOLUTIONS",
    "Aggregate",
    "Datapoint",
    "Distribution",
    "InvalidField",
    "MetricValidationError",
    "RollupAggregator",
    "RollupConfig",
    "RollupRow",
    "RollupStats",
    "RollupStore",
    "SeriesKey",
    "Statistic",
    "parse_statistic",
    "series_key",
]
