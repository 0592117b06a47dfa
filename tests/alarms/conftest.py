"""A small world for alarm tests: a manual clock, real rollups and an evaluator."""

from __future__ import annotations

from typing import Any

import pytest

from vigila.alarms import AlarmEvaluator, BaselineProvider, CompositeAlarm, MetricAlarm
from vigila.clock import ManualClock
from vigila.metrics import Datapoint, RollupAggregator, RollupConfig

T0 = 1_790_000_040  # a minute boundary
NS = "Vigila/test"


class World:
    """Alarms over real rollups; `step` moves the clock and ticks as a runtime would."""

    def __init__(self, baseline: BaselineProvider | None = None, delay: float = 0.0) -> None:
        self.clock = ManualClock(T0)
        self.metrics = RollupAggregator(self.clock, RollupConfig(allowed_lateness=3600))
        self.alarms = AlarmEvaluator(
            self.clock, self.metrics, baseline=baseline, late_data_delay=delay
        )

    def metric_alarm(self, name: str, **fields: Any) -> MetricAlarm:
        """A metric alarm on the metric `name`: by default Maximum >= 1 over one minute."""
        defaults: dict[str, Any] = {
            "namespace": NS,
            "metric_name": name,
            "statistic": "Maximum",
            "period": 60,
            "evaluation_periods": 1,
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "threshold": 1.0,
        }
        alarm = MetricAlarm(name=name, **{**defaults, **fields})
        self.alarms.put_metric_alarm(alarm)
        return alarm

    def composite(self, name: str, rule: str, **fields: Any) -> CompositeAlarm:
        alarm = CompositeAlarm(name=name, rule=rule, **fields)
        self.alarms.put_composite_alarm(alarm)
        return alarm

    def publish(self, metric: str, value: float, at: float | None = None, **dims: str) -> None:
        ts = self.clock.now() if at is None else at
        assert self.metrics.add(Datapoint(NS, metric, dims, ts, value))

    def step(self, seconds: float = 60, **levels: float) -> list[dict]:
        """Publish `levels` (metric=value) now, then move on `seconds` and tick."""
        for metric, value in levels.items():
            self.publish(metric, value)
        self.clock.advance(seconds)
        self.metrics.tick()
        return self.alarms.tick()

    def state(self, name: str) -> str:
        return self.alarms.status(name).value


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def make_world() -> type[World]:
    """For a world with a baseline provider or a late-data delay."""
    return World
