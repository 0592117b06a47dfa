"""CloudWatch statistics over aggregates: SampleCount, Average, Sum, Minimum, Maximum, pNN.

>>> from vigila.metrics.aggregate import Aggregate
>>> agg = Aggregate()
>>> for v in range(1, 1001):
...     agg.add(float(v))
>>> [parse_statistic(name).of(agg) for name in ("SampleCount", "Average", "Maximum")]
[1000.0, 500.5, 1000.0]
>>> p99 = parse_statistic("p99")
>>> p99.percentile, abs(p99.of(agg) - 990) / 990 < 0.01
(99.0, True)
>>> try:
...     parse_statistic("p101")
... except MetricValidationError as exc:
...     print(exc.field, "-", exc.allowed)
statistic - SampleCount, Average, Sum, Minimum, Maximum, or a percentile p0.0-p100
"""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec

from vigila.metrics.aggregate import Aggregate
from vigila.metrics.errors import MetricValidationError

_STANDARD: dict[str, Callable[[Aggregate], float]] = {
    "SampleCount": lambda a: a.count,
    "Average": lambda a: a.sum / a.count,
    "Sum": lambda a: a.sum,
    "Minimum": lambda a: a.min,
    "Maximum": lambda a: a.max,
}
_PERCENTILE = re.compile(r"p(\d{1,3}(?:\.\d{1,10})?)")
ALLOWED = "SampleCount, Average, Sum, Minimum, Maximum, or a percentile p0.0-p100"


class Statistic(msgspec.Struct, frozen=True):
    """A parsed statistic name; `percentile` is set for pNN (e.g. 99.9 for p99.9)."""

    name: str
    percentile: float | None = None

    @property
    def needs_sketch(self) -> bool:
        """Whether computing it needs the buckets' sketches merged."""
        return self.percentile is not None

    def of(self, agg: Aggregate) -> float:
        """The statistic's value over the samples of `agg` (which must hold some)."""
        if self.percentile is None:
            return _STANDARD[self.name](agg)
        return agg.quantile(self.percentile / 100.0)

    def low_sample(self, count: float) -> bool:
        """CloudWatch's "too few samples" test for percentile alarms.

        For p50 up to (not including) p100 it is fewer than 10/(1-p) samples, for
        percentiles below p50 fewer than 10/p; other statistics never are.
        """
        if self.percentile is None or not 0.0 < self.percentile < 100.0:
            return False
        p = self.percentile / 100.0
        needed = 10.0 / (1.0 - p) if p >= 0.5 else 10.0 / p
        return count < needed


def parse_statistic(name: str) -> Statistic:
    """The statistic `name` denotes, or a `MetricValidationError` naming what is allowed."""
    if name in _STANDARD:
        return Statistic(name)
    match = _PERCENTILE.fullmatch(name) if isinstance(name, str) else None
    if match is None or float(match.group(1)) > 100.0:
        raise MetricValidationError("statistic", name, ALLOWED)
    return Statistic(name, float(match.group(1)))
