"""Alarm definitions: validation with the field, the value and what is allowed."""

from __future__ import annotations

import msgspec
import pytest

from vigila.alarms import (
    AlarmValidationError,
    CompositeAlarm,
    MetricAlarm,
    RuleLimitError,
    RuleSyntaxError,
)

BASE = {
    "name": "errors",
    "namespace": "Vigila/dev",
    "metric_name": "IngestRejected",
    "statistic": "Sum",
    "period": 60,
    "evaluation_periods": 5,
    "datapoints_to_alarm": 3,
    "comparison_operator": "GreaterThanOrEqualToThreshold",
    "threshold": 100.0,
}


def test_defaults_are_cloudwatchs():
    alarm = MetricAlarm(**{**BASE, "datapoints_to_alarm": None})
    assert alarm.m == 5
    assert alarm.treat_missing_data == "missing"
    assert alarm.evaluate_low_sample_count_percentile == "evaluate"
    assert alarm.actions_enabled is True


@pytest.mark.parametrize(
    ("change", "field", "allowed"),
    [
        ({"name": ""}, "name", "1-255"),
        ({"name": "x" * 256}, "name", "1-255"),
        ({"name": "bad\tname"}, "name", "control"),
        ({"namespace": "bad ns!"}, "namespace", "A-Z"),
        ({"metric_name": ""}, "metric_name", "1-255"),
        ({"dimensions": {f"d{i}": "v" for i in range(31)}}, "dimensions", "30"),
        ({"statistic": "Median"}, "statistic", "p0.0-p100"),
        ({"period": 45}, "period", "10, 20, 30 or a multiple of 60"),
        ({"period": 0}, "period", "10, 20, 30"),
        ({"period": 60.0}, "period", "10, 20, 30"),
        ({"evaluation_periods": 0}, "evaluation_periods", "1 or more"),
        ({"period": 3600, "evaluation_periods": 25}, "evaluation_periods", "86400"),
        ({"datapoints_to_alarm": 6}, "datapoints_to_alarm", "1 to evaluation_periods (5)"),
        ({"datapoints_to_alarm": 0}, "datapoints_to_alarm", "1 to"),
        ({"comparison_operator": "GreaterThan"}, "comparison_operator", "GreaterThanThreshold"),
        ({"threshold": None}, "threshold", "finite"),
        ({"threshold": float("nan")}, "threshold", "finite"),
        ({"comparison_operator": "GreaterThanUpperThreshold"}, "threshold", "none with a band"),
        (
            {"comparison_operator": "LessThanLowerThreshold", "threshold": None, "band_width": 0.0},
            "band_width",
            "> 0",
        ),
        ({"treat_missing_data": "zero"}, "treat_missing_data", "notBreaching"),
        (
            {"evaluate_low_sample_count_percentile": "skip"},
            "evaluate_low_sample_count_percentile",
            "ignore",
        ),
        ({"description": "d" * 1025}, "description", "1024"),
        ({"alarm_actions": [f"t{i}" for i in range(6)]}, "alarm_actions", "at most 5"),
        ({"ok_actions": [""]}, "ok_actions", "1-1024"),
    ],
)
def test_metric_alarm_fields_are_validated(change, field, allowed):
    with pytest.raises(AlarmValidationError) as err:
        MetricAlarm(**{**BASE, **change})
    assert err.value.field == field
    assert allowed in err.value.allowed
    assert f"alarm field {field!r}" in str(err.value)


def test_decoding_reports_the_same_errors_and_unknown_fields():
    with pytest.raises(msgspec.ValidationError, match="alarm field 'period': 45"):
        msgspec.convert({**BASE, "period": 45}, MetricAlarm)
    with pytest.raises(msgspec.ValidationError, match="unknown field `Threshold`"):
        msgspec.convert({**BASE, "Threshold": 1}, MetricAlarm)
    with pytest.raises(msgspec.ValidationError, match="treat_missing_data"):
        msgspec.convert({**BASE, "treat_missing_data": "zero"}, MetricAlarm)


def test_high_resolution_and_long_periods():
    assert MetricAlarm(**{**BASE, "period": 10}).period == 10
    assert MetricAlarm(**{**BASE, "period": 20}).period == 20
    assert MetricAlarm(**{**BASE, "period": 30}).period == 30
    assert (
        MetricAlarm(**{**BASE, "period": 3600, "evaluation_periods": 24}).evaluation_periods == 24
    )


def test_percentile_alarms():
    alarm = MetricAlarm(
        **{**BASE, "statistic": "p99.9", "evaluate_low_sample_count_percentile": "ignore"}
    )
    assert alarm.statistic == "p99.9"


def test_composite_alarm_rules_are_parsed_on_construction():
    assert CompositeAlarm(name="c", rule="ALARM(a) OR ALARM(b)").rule == "ALARM(a) OR ALARM(b)"
    with pytest.raises(RuleSyntaxError) as err:
        CompositeAlarm(name="c", rule="ALARM(a) OR")
    assert err.value.column == 12
    with pytest.raises(RuleLimitError):
        CompositeAlarm(name="c", rule=" OR ".join(f"OK(x{i})" for i in range(101)))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"actions_suppressor": "s"}, "actions_suppressor_wait_period"),
        (
            {"actions_suppressor": "s", "actions_suppressor_wait_period": 60},
            "actions_suppressor_extension_period",
        ),
        (
            {
                "actions_suppressor": "s",
                "actions_suppressor_wait_period": -1,
                "actions_suppressor_extension_period": 60,
            },
            "actions_suppressor_wait_period",
        ),
        ({"actions_suppressor_wait_period": 60}, "actions_suppressor_wait_period"),
        ({"actions_suppressor": ""}, "actions_suppressor"),
        ({"name": ""}, "name"),
    ],
)
def test_composite_suppressor_fields_come_together(change, field):
    with pytest.raises(AlarmValidationError) as err:
        CompositeAlarm(**{"name": "c", "rule": "TRUE", **change})
    assert err.value.field == field
