"""What the alarm evaluator needs from the outside: metric windows and baselines.

`vigila.metrics.RollupAggregator` is a `MetricSource`; any callable returning
(baseline, standard deviation) for a period is a `BaselineProvider`.

>>> def flat(alarm, period_start):
...     return (100.0, 5.0)
>>> provider: BaselineProvider = flat
>>> provider(None, 0)
(100.0, 5.0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from vigila.metrics.aggregate import Aggregate
from vigila.metrics.datapoint import SeriesKey

if TYPE_CHECKING:
    from vigila.alarms.model import MetricAlarm


class MetricSource(Protocol):
    """Rolled-up metric data, read a window at a time."""

    def window(
        self, key: SeriesKey, start: int, period: int, count: int, quantiles: bool
    ) -> list[Aggregate | None]:
        """Aggregates of `count` periods from `start`, oldest first; None where empty."""
        ...

    def take_changed(self) -> dict[SeriesKey, float]:
        """Series that received data since the last call, with the earliest timestamp each got."""
        ...


class BaselineProvider(Protocol):
    """Expected value of an alarm's statistic, for the anomaly detection band."""

    def __call__(self, alarm: MetricAlarm, period_start: int) -> tuple[float, float] | None:
        """(baseline, standard deviation) for the period, or None when there is no model yet."""
        ...
