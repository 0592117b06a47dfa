"""Metric alarms end to end: rollups in, EventBridge-shaped state changes out."""

from __future__ import annotations

import json

import pytest

from vigila.alarms import AlarmEvaluator, AlarmValidationError, MetricSource
from vigila.metrics import Distribution

from .conftest import NS, T0

ROWS = [
    # (M, row oldest first, expected with missing/ignore/breaching/notBreaching)
    (3, "0 - X - X", ("OK", "OK", "OK", "OK")),
    (3, "0 - - - -", ("OK", "OK", "OK", "OK")),
    (3, "- - - - -", ("INSUFFICIENT_DATA", "keep", "ALARM", "OK")),
    (3, "0 X X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (3, "- - X - -", ("ALARM", "keep", "ALARM", "OK")),
    (2, "0 - X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (2, "0 0 X 0 X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (2, "0 - X - -", ("OK", "OK", "ALARM", "OK")),
    (2, "- - - - 0", ("OK", "OK", "ALARM", "OK")),
    (2, "- - - X -", ("ALARM", "keep", "ALARM", "OK")),
]
TREATS = ("missing", "ignore", "breaching", "notBreaching")


@pytest.mark.parametrize(
    ("m", "row", "treat", "expected"),
    [(m, row, t, e) for m, row, exp in ROWS for t, e in zip(TREATS, exp, strict=True)],
)
@pytest.mark.parametrize("before", ["INSUFFICIENT_DATA", "OK", "ALARM"])
def test_documented_rows_through_rollups_and_evaluator(world, m, row, treat, expected, before):
    world.metric_alarm(
        "m",
        statistic="Average",
        comparison_operator="GreaterThanThreshold",
        threshold=5.0,
        evaluation_periods=3,
        datapoints_to_alarm=m,
        treat_missing_data=treat,
    )
    for minute, mark in enumerate(row.split()):
        if mark != "-":
            world.publish("m", 10.0 if mark == "X" else 1.0, at=T0 + 60 * minute + 30)
    if before != "INSUFFICIENT_DATA":
        world.alarms.set_state("m", before, "set for the test")
    world.step(300)
    assert world.state("m") == (before if expected == "keep" else expected)


def test_alarm_event_has_cloudwatchs_shape(world):
    world.metric_alarm(
        "cpu",
        statistic="Average",
        comparison_operator="GreaterThanThreshold",
        threshold=50.0,
        alarm_actions=["oncall"],
        description="CPU too high",
        dimensions={"host": "a"},
    )
    world.publish("cpu", 99.5, host="a")
    [event] = world.step()
    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
        "actions",
    }
    assert event["source"] == "vigila.alarms"
    assert event["detail-type"] == "Alarm State Change"
    assert event["resources"] == ["arn:vigila:alarms:local:000000000000:alarm:cpu"]
    assert event["time"] == "2026-09-21T14:15:00Z"
    assert event["actions"] == ["oncall"]
    detail = event["detail"]
    assert set(detail) == {"alarmName", "state", "previousState", "configuration"}
    assert detail["previousState"]["reason"] == "Unchecked: Initial alarm creation"
    assert detail["previousState"]["value"] == "INSUFFICIENT_DATA"
    state = detail["state"]
    assert state["value"] == "ALARM"
    assert state["timestamp"] == "2026-09-21T14:15:00.000+0000"
    assert state["reason"] == (
        "Threshold Crossed: 1 out of the last 1 datapoints [99.5 (21/09/26 14:14:00)] was greater "
        "than the threshold (50.0) (minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition)."
    )
    data = json.loads(state["reasonData"])
    assert data == {
        "version": "1.0",
        "queryDate": "2026-09-21T14:15:00.000+0000",
        "startDate": "2026-09-21T14:14:00.000+0000",
        "statistic": "Average",
        "period": 60,
        "recentDatapoints": [99.5],
        "threshold": 50.0,
        "evaluatedDatapoints": [
            {"timestamp": "2026-09-21T14:14:00.000+0000", "sampleCount": 1.0, "value": 99.5}
        ],
    }
    assert detail["configuration"] == {
        "description": "CPU too high",
        "metrics": [
            {
                "id": "m1",
                "metricStat": {
                    "metric": {"namespace": NS, "name": "cpu", "dimensions": {"host": "a"}},
                    "period": 60,
                    "stat": "Average",
                },
                "returnData": True,
            }
        ],
    }


def test_m_of_n_reasons_and_ok_transition(world):
    world.metric_alarm(
        "lat", evaluation_periods=5, datapoints_to_alarm=3, threshold=3.0, ok_actions=["resolved"]
    )
    for value in (5.0, 1.0, 4.0):
        world.step(lat=value)
    [event] = world.step(lat=6.0)
    assert event["detail"]["state"]["reason"] == (
        "Threshold Crossed: 3 out of the last 4 datapoints [6.0 (21/09/26 14:17:00), "
        "4.0 (21/09/26 14:16:00), 5.0 (21/09/26 14:14:00)] were greater than or equal to the "
        "threshold (3.0) (minimum 3 datapoints for OK -> ALARM transition)."
    )
    assert json.loads(event["detail"]["state"]["reasonData"])["recentDatapoints"] == [
        5.0,
        1.0,
        4.0,
        6.0,
    ]
    events = []
    for value in (1.0, 1.0, 1.0):
        events += world.step(lat=value)
    [ok] = events
    assert ok["actions"] == ["resolved"]
    assert ok["detail"]["state"]["reason"].startswith(
        "Threshold Crossed: 3 out of the last 5 datapoints"
    )
    assert (
        "were not greater than or equal to the threshold (3.0)" in ok["detail"]["state"]["reason"]
    )
    assert ok["detail"]["state"]["reason"].endswith(
        "(minimum 3 datapoints for ALARM -> OK transition)."
    )


def test_missing_data_reasons(world):
    world.metric_alarm(
        "gone",
        evaluation_periods=3,
        treat_missing_data="breaching",
        insufficient_data_actions=["x"],
    )
    [event] = world.step()
    assert event["detail"]["state"]["reason"] == (
        "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints "
        "were treated as [Breaching]."
    )
    world.metric_alarm("unknown", evaluation_periods=3)
    world.alarms.set_state("unknown", "OK", "test")
    [event] = world.step()
    assert event["detail"]["state"]["reason"] == "Insufficient Data: 3 datapoints were unknown."
    assert event["actions"] == []
    world.metric_alarm("mixed", evaluation_periods=3, treat_missing_data="breaching")
    [event] = world.step(mixed=5.0)
    assert event["detail"]["state"]["reason"] == (
        "Threshold Crossed: 1 out of the last 1 datapoints [5.0 (21/09/26 14:16:00)] was greater "
        "than or equal to the threshold (1.0) and 2 missing datapoints were treated as [Breaching] "
        "(minimum 3 datapoints for INSUFFICIENT_DATA -> ALARM transition)."
    )


def test_percentile_alarms_and_low_sample_counts(world):
    world.metric_alarm("p99-evaluate", statistic="p99", threshold=100.0)
    world.metric_alarm(
        "p99-ignore",
        statistic="p99",
        threshold=100.0,
        evaluate_low_sample_count_percentile="ignore",
    )
    for name in ("p99-evaluate", "p99-ignore"):
        world.metrics.add(Distribution(NS, name, {}, world.clock.now(), [10.0, 500.0], [98.0, 2.0]))
    world.step()
    assert world.state("p99-evaluate") == "ALARM"
    assert world.state("p99-ignore") == "INSUFFICIENT_DATA"  # 100 samples < 1000 for p99
    world.metrics.add(
        Distribution(NS, "p99-ignore", {}, world.clock.now(), [10.0, 500.0], [980.0, 20.0])
    )
    world.step()
    assert world.state("p99-ignore") == "ALARM"


def test_anomaly_band_alarms(make_world):
    world = make_world(baseline=lambda alarm, start: None if alarm.name == "cold" else (100.0, 5.0))
    world.metric_alarm(
        "band",
        comparison_operator="LessThanLowerOrGreaterThanUpperThreshold",
        threshold=None,
        statistic="Average",
    )
    world.metric_alarm(
        "low", comparison_operator="LessThanLowerThreshold", threshold=None, band_width=1.0
    )
    world.metric_alarm("high", comparison_operator="GreaterThanUpperThreshold", threshold=None)
    world.metric_alarm("cold", comparison_operator="GreaterThanUpperThreshold", threshold=None)
    events = {
        e["detail"]["alarmName"]: e for e in world.step(band=120.0, low=94.0, high=105.0, cold=1e9)
    }
    assert set(events) == {"band", "low", "high"}
    assert (
        world.state("band") == "ALARM"
        and world.state("low") == "ALARM"
        and world.state("high") == "OK"
    )
    assert (
        world.state("cold") == "INSUFFICIENT_DATA"
    )  # no model yet: the datapoint counts as missing
    band = events["band"]["detail"]
    assert band["state"]["reason"] == (
        "Thresholds Crossed: 1 out of the last 1 datapoints [120.0 (21/09/26 14:14:00)] was less "
        "than the lower thresholds [90.0] or greater than the upper thresholds [110.0] "
        "(minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition)."
    )
    data = json.loads(band["state"]["reasonData"])
    assert (data["recentLowerThresholds"], data["recentUpperThresholds"]) == ([90.0], [110.0])
    assert "threshold" not in data
    assert band["configuration"]["metrics"][1] == {
        "id": "ad1",
        "expression": "ANOMALY_DETECTION_BAND(m1, 2)",
        "label": "band (expected)",
        "returnData": True,
    }
    assert (
        "was not greater than the upper thresholds [110.0]"
        in events["high"]["detail"]["state"]["reason"]
    )


def test_band_operators_need_a_baseline_provider(world):
    with pytest.raises(AlarmValidationError) as err:
        world.metric_alarm("band", comparison_operator="GreaterThanUpperThreshold", threshold=None)
    assert err.value.field == "comparison_operator"


def test_actions_per_state_and_disabled_actions(world):
    world.metric_alarm(
        "a",
        alarm_actions=["page"],
        ok_actions=["ok"],
        insufficient_data_actions=["idata"],
        treat_missing_data="missing",
    )
    world.metric_alarm("quiet", alarm_actions=["page"], actions_enabled=False)
    events = {e["detail"]["alarmName"]: e["actions"] for e in world.step(a=2.0, quiet=2.0)}
    assert events == {"a": ["page"], "quiet": []}
    assert [e["actions"] for e in world.step(a=0.0)] == [["ok"]]
    # the evaluation range still holds the last real datapoints for two more minutes
    later = [
        (e["detail"]["alarmName"], e["actions"]) for e in world.step() + world.step() + world.step()
    ]
    assert later == [("quiet", []), ("a", ["idata"])]


def test_set_state_fires_actions_and_lasts_until_the_next_evaluation(world):
    world.metric_alarm("a", alarm_actions=["page"], treat_missing_data="notBreaching")
    world.step()
    assert world.state("a") == "OK"
    [event] = world.alarms.set_state("a", "ALARM", "testing the pager", '{"by": "test"}')
    assert event["actions"] == ["page"]
    assert event["detail"]["state"]["reason"] == "testing the pager"
    assert event["detail"]["state"]["reasonData"] == '{"by": "test"}'
    assert world.alarms.set_state("a", "ALARM", "again") == []
    [back] = world.alarms.tick()
    assert back["detail"]["state"]["value"] == "OK"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("a", "BROKEN", "r"), "value"),
        (("a", "OK", "r" * 1024), "reason"),
        (("a", "OK", "r", "{not json"), "reason_data"),
        (("a", "OK", "r", json.dumps({"x": "y" * 4000})), "reason_data"),
        (("nope", "OK", "r"), "name"),
    ],
)
def test_set_state_is_validated(world, args, field):
    world.metric_alarm("a")
    with pytest.raises(AlarmValidationError) as err:
        world.alarms.set_state(*args)
    assert err.value.field == field


def test_history_records_configuration_and_state_updates(world):
    world.metric_alarm("a")
    world.step(a=5.0)
    world.metric_alarm("a", threshold=10.0)
    world.step(a=5.0)
    items = world.alarms.history("a")
    assert [i.summary for i in items] == [
        'Alarm "a" created',
        "Alarm updated from INSUFFICIENT_DATA to ALARM",
        'Alarm "a" updated',
        "Alarm updated from ALARM to OK",
    ]
    data = json.loads(items[1].data)
    assert data["oldState"]["stateValue"] == "INSUFFICIENT_DATA"
    assert data["newState"]["stateReasonData"]["recentDatapoints"] == [5.0]
    assert json.loads(items[2].data)["alarm"]["threshold"] == 10.0


class CountingSource:
    """The rollups, noting which series each evaluation reads."""

    def __init__(self, inner: MetricSource) -> None:
        self.inner = inner
        self.read: list[str] = []
        self.windows: list[tuple] = []

    def window(self, key, start, period, count, quantiles):
        self.read.append(key[1])
        self.windows.append((key[1], (start - T0) // period, count))
        return self.inner.window(key, start, period, count, quantiles)

    def take_changed(self):
        return self.inner.take_changed()


def test_only_alarms_whose_inputs_changed_are_evaluated(world):
    source = CountingSource(world.metrics)
    world.alarms = AlarmEvaluator(world.clock, source)
    for i in range(5):
        world.metric_alarm(f"a{i}", evaluation_periods=3)
    world.step(30)
    assert sorted(source.read) == [f"a{i}" for i in range(5)]  # created: all evaluated
    source.read.clear()
    world.step(10, a1=1.0)
    assert source.read == []  # same window; a1's new datapoint is in a period not yet evaluated
    world.publish("a3", 1.0, at=T0 - 30)
    world.step(10)
    assert source.read == ["a3"]  # a late datapoint in an evaluated period
    source.read.clear()
    world.step(10)
    assert sorted(source.read) == [f"a{i}" for i in range(5)]  # the window slid


def test_a_sliding_window_reads_only_the_new_period(world):
    source = CountingSource(world.metrics)
    world.alarms = AlarmEvaluator(world.clock, source)
    world.metric_alarm("a", evaluation_periods=5)
    reads = []
    for _ in range(3):
        world.publish("a", 1.0)
        world.step()
        reads.append(source.windows[-1][1:])
    # (first period read, in minutes from T0; periods read): all 5 + 2, then only the newest
    assert reads == [(-6, 7), (1, 1), (2, 1)]


def test_late_data_delay_postpones_evaluation(make_world):
    world = make_world(delay=30.0)
    world.metric_alarm("a")
    world.publish("a", 5.0)
    assert world.step(60 + 29) == []
    assert [e["detail"]["state"]["value"] for e in world.step(1)] == ["ALARM"]


def test_late_datapoints_reevaluate_a_closed_period(world):
    world.metric_alarm("a", treat_missing_data="notBreaching")
    world.step()
    assert world.state("a") == "OK"
    world.publish("a", 5.0, at=world.clock.now() - 30)
    [event] = world.alarms.tick()
    assert event["detail"]["state"]["value"] == "ALARM"


def test_high_resolution_alarms_slide_every_ten_seconds(world):
    world.metric_alarm("fast", period=10, evaluation_periods=2)
    world.step(10, fast=5.0)
    assert (
        world.state("fast") == "INSUFFICIENT_DATA"
    )  # one breaching point, not yet two periods old
    world.step(10, fast=5.0)
    assert world.state("fast") == "ALARM"


def test_update_keeps_state_and_delete_removes(world):
    world.metric_alarm("a")
    world.step(a=5.0)
    world.metric_alarm("a", threshold=2.0)
    assert world.state("a") == "ALARM"
    world.alarms.delete_alarm("a")
    with pytest.raises(AlarmValidationError):
        world.alarms.status("a")
    with pytest.raises(AlarmValidationError):
        world.alarms.delete_alarm("a")
    assert world.step(a=5.0) == []


def test_event_ids_are_deterministic(make_world):
    ids = []
    for _ in range(2):
        world = make_world()
        world.metric_alarm("a")
        ids.append([e["id"] for e in world.step(a=5.0)])
    assert ids[0] == ids[1] and len(ids[0][0]) == 36


def test_five_minute_periods_slide_by_the_minute(world):
    """Periods end at each evaluation minute, as CloudWatch's sliding windows do."""
    world.metric_alarm("a", period=300, statistic="Sum", threshold=10.0)
    world.publish("a", 6.0, at=T0 + 30)
    world.publish("a", 6.0, at=T0 + 200)
    states = [[e["detail"]["state"]["value"] for e in world.step(60)] for _ in range(6)]
    # windows ending at T0+60 ... T0+360: both datapoints are in those ending T0+240 and T0+300
    assert states == [["OK"], [], [], ["ALARM"], [], ["OK"]]
