"""Series chosen by a pattern and ranked: the top-N query (e.g. the most anomalous ports).

A pattern names every dimension of the series it selects; the value `*` matches
any value. Each series' datapoints over a range are pooled per value of one
dimension (`by`) and reduced to one number; the largest come first.

>>> reduce_points([(0.0, 2.0), (60.0, 5.0), (60.0, 3.0)], "last")
5.0
>>> reduce_points([(0.0, 2.0), (60.0, 5.0)], "mean")
3.5
>>> reduce_points([], "sum"), reduce_points([], "max")
(0.0, None)
>>> reduce_points([(0.0, 30.0), (60.0, 30.0)], "rate", seconds=600)  # 8 periods had none
0.1
>>> matches((("Cluster", "a"), ("StreamId", "a/n1")), {"Cluster": "*", "StreamId": "*"})
True
>>> matches((("Cluster", "a"),), {"Cluster": "*", "StreamId": "*"})
False
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal, Protocol, get_args

from vigila.metrics.errors import MetricValidationError
from vigila.metrics.statistics import parse_statistic

WILDCARD = "*"
Reduce = Literal["sum", "max", "min", "mean", "last", "rate"]
"""How a range of datapoints becomes one number. `last` is the newest period (the
highest of the matched series in it when a wildcard matches several); `rate` is the
sum per second of the whole range, so periods without a datapoint count as zero."""
REDUCERS: tuple[str, ...] = get_args(Reduce)
Points = list[tuple[float, float]]


class SeriesSource(Protocol):
    """What ranking reads: the series kept and their statistics (a `MetricsEngine`)."""

    def series_of(self, namespace: str, name: str) -> list[tuple[tuple[str, str], ...]]: ...

    def query(self, namespace: str, name: str, dimensions: dict[str, str], start: float,
              end: float, period: int, statistic: str) -> Points: ...


def matches(dimensions: tuple[tuple[str, str], ...], pattern: dict[str, str]) -> bool:
    """Whether a series' dimensions are exactly the pattern's, each equal or matched by `*`."""
    if len(dimensions) != len(pattern):
        return False
    return all(pattern.get(k) in (v, WILDCARD) for k, v in dimensions)


def select(source: SeriesSource, namespace: str, name: str,
           pattern: dict[str, str]) -> list[dict[str, str]]:
    """The dimensions of every series of the metric that `pattern` matches, sorted."""
    return [dict(dims) for dims in source.series_of(namespace, name) if matches(dims, pattern)]


def reduce_points(points: Points, how: str, *, seconds: float = 0.0) -> float | None:
    """One number for `(timestamp, value)` points pooled from one or more series over a
    range of `seconds`; `last` is the highest value at the newest timestamp. Without
    points a sum or a rate is 0.0 and the others are None."""
    values = [v for _, v in points]
    if how == "sum":
        return float(sum(values))
    if how == "rate":
        if seconds <= 0:
            raise MetricValidationError("seconds", seconds, "a range longer than 0 s")
        return float(sum(values)) / seconds
    if not points:
        return None
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    if how == "mean":
        return sum(values) / len(values)
    if how == "last":
        newest = max(t for t, _ in points)
        return max(v for t, v in points if t == newest)
    raise MetricValidationError("reduce", how, ", ".join(REDUCERS))


def top(source: SeriesSource, namespace: str, name: str, pattern: dict[str, str], by: str,
        statistic: str, start: float, end: float, period: int, reduce: str,
        limit: int) -> list[tuple[str, float]]:
    """`(value of by, reduced value)` for the `limit` largest, largest first.

    Raises `MetricValidationError` when `by` is not a `*` dimension of `pattern`, or
    for a bad statistic, period or reducer.
    """
    if pattern.get(by) != WILDCARD:
        raise MetricValidationError("by", by, "a dimension of the pattern whose value is '*'")
    if reduce not in REDUCERS:
        raise MetricValidationError("reduce", reduce, ", ".join(REDUCERS))
    parse_statistic(statistic)
    pooled: dict[str, Points] = defaultdict(list)
    for dims in select(source, namespace, name, pattern):
        pooled[dims[by]] += source.query(namespace, name, dims, start, end, period, statistic)
    ranked = [(key, value) for key, points in pooled.items()
              if (value := reduce_points(points, reduce, seconds=end - start)) is not None]
    ranked.sort(key=lambda item: (-item[1], item[0]))
    return ranked[:limit]
