"""The self-monitoring alarms load, and page through their composites."""

from __future__ import annotations

import pytest

from vigila.alarms import AlarmValidationError, SelfMonitoringThresholds, self_monitoring_alarms
from vigila.metrics import Datapoint


def load(world, environment: str = "prod"):
    metric_alarms, composites = self_monitoring_alarms(environment, actions=["oncall"])
    for alarm in metric_alarms:
        world.alarms.put_metric_alarm(alarm)
    for alarm in composites:
        world.alarms.put_composite_alarm(alarm)
    return metric_alarms, composites


def publish(world, metric: str, value: float) -> None:
    world.metrics.add(Datapoint("Vigila/prod", metric, {}, world.clock.now(), value))


def test_definitions_cover_the_documented_metrics():
    metric_alarms, composites = self_monitoring_alarms("staging")
    assert {a.metric_name for a in metric_alarms} == {
        "IngestRejected",
        "ConsumerLagRecords",
        "IteratorAgeSeconds",
        "DeadLetters",
        "NotificationFailures",
    }
    assert {a.namespace for a in metric_alarms} == {"Vigila/staging"}
    assert not any(a.actions_enabled for a in metric_alarms)
    assert [c.name for c in composites] == [
        "vigila-staging-processing-health",
        "vigila-staging-system-capacity",
    ]


def test_ingest_errors_page_through_processing_health(world):
    load(world)
    alarmed = []
    for minute in range(5):
        publish(world, "IngestAccepted", 1000.0)
        publish(world, "ConsumerLagRecords", 10.0)
        publish(world, "IteratorAgeSeconds", 1.0)
        publish(world, "IngestRejected", 500.0)
        alarmed += [
            (minute, e["detail"]["alarmName"], e["actions"])
            for e in world.step()
            if e["detail"]["state"]["value"] == "ALARM"
        ]
    assert alarmed == [  # the third of five breaching minutes; only the composite pages
        (2, "vigila-prod-ingest-error-rate", []),
        (2, "vigila-prod-processing-health", ["oncall"]),
    ]
    assert world.state("vigila-prod-system-capacity") == "OK"


def test_lag_pages_through_system_capacity(world):
    load(world)
    for _ in range(5):
        publish(world, "ConsumerLagRecords", 50_000.0)
        publish(world, "IteratorAgeSeconds", 1.0)
        world.step()
    assert world.state("vigila-prod-system-capacity") == "ALARM"
    assert world.state("vigila-prod-processing-health") == "OK"


def test_thresholds_are_configurable_and_environments_validated():
    metric_alarms, _ = self_monitoring_alarms(
        "dev", thresholds=SelfMonitoringThresholds(consumer_lag_records=5.0)
    )
    assert {a.metric_name: a.threshold for a in metric_alarms}["ConsumerLagRecords"] == 5.0
    with pytest.raises(AlarmValidationError) as err:
        self_monitoring_alarms("dev!")
    assert err.value.field == "namespace"


def test_dead_letters_are_published_as_growth_not_as_the_count(tmp_path):
    from tests.support import T0, make_config
    from vigila.clock import ManualClock
    from vigila.runtime import Runtime
    from vigila.store.base import DeadLetter

    def new_dead_letters(rt):
        return next(p.value for p in rt.self_datapoints() if p.name == "DeadLetters")

    letter = DeadLetter(stage="ingest", reason="bad", raw=b"x", raw_size=1, at_ms=1)
    rt = Runtime(make_config(tmp_path), clock=ManualClock(T0))
    rt.store.add_dead_letters([letter, letter])
    assert new_dead_letters(rt) == 2
    assert new_dead_letters(rt) == 0, "old dead letters do not keep the alarm up"
    rt.stop()
    rt = Runtime(make_config(tmp_path), clock=ManualClock(T0))
    try:
        assert new_dead_letters(rt) == 0, "nor do those of an earlier run"
        rt.store.add_dead_letters([letter])
        assert new_dead_letters(rt) == 1
    finally:
        rt.stop()
