"""Alarm definitions: CloudWatch's metric and composite alarms as validated msgspec Structs.

Field names are CloudWatch's in snake case (`EvaluationPeriods` is
`evaluation_periods`). Construction and decoding both validate; an error names
the field, the value and what is allowed.

>>> alarm = MetricAlarm(
...     name="high-error-rate", namespace="Vigila/dev", metric_name="IngestRejected",
...     statistic="Sum", period=60, evaluation_periods=5, datapoints_to_alarm=3,
...     comparison_operator="GreaterThanOrEqualToThreshold", threshold=100.0,
... )
>>> alarm.m, alarm.treat_missing_data
(3, 'missing')
>>> try:
...     msgspec.convert({**msgspec.to_builtins(alarm), "period": 45}, MetricAlarm)
... except msgspec.ValidationError as exc:
...     print(exc)
alarm field 'period': 45 is not allowed (allowed: 10, 20, 30 or a multiple of 60 seconds)
"""

from __future__ import annotations

import math
from typing import Literal, get_args

import msgspec

from vigila.alarms.errors import AlarmValidationError
from vigila.alarms.rule import is_alarm_name, parse_rule
from vigila.metrics.datapoint import check_series
from vigila.metrics.errors import MetricValidationError
from vigila.metrics.statistics import ALLOWED as STATISTICS_ALLOWED
from vigila.metrics.statistics import parse_statistic

AlarmState = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
ComparisonOperator = Literal[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
]
TreatMissingData = Literal["missing", "ignore", "breaching", "notBreaching"]
LowSampleCount = Literal["evaluate", "ignore"]

STATES: tuple[AlarmState, ...] = get_args(AlarmState)
OPERATORS: tuple[str, ...] = get_args(ComparisonOperator)
STATIC_OPERATORS = OPERATORS[:4]
BAND_OPERATORS = OPERATORS[4:]
TREAT_MISSING: tuple[str, ...] = get_args(TreatMissingData)
MAX_ACTIONS = 5
MAX_EVALUATION_SECONDS = 86400


class MetricAlarm(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An alarm on one series: M of the last N periods breaching goes to ALARM.

    `threshold` is for the static operators; the band operators compare with
    baseline ± `band_width` standard deviations from a baseline provider
    (CloudWatch's `ANOMALY_DETECTION_BAND(m1, band_width)`).
    `datapoints_to_alarm` (M) defaults to `evaluation_periods` (N).
    """

    name: str
    namespace: str
    metric_name: str
    dimensions: dict[str, str] = {}
    statistic: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int | None = None
    comparison_operator: ComparisonOperator
    threshold: float | None = None
    band_width: float = 2.0
    treat_missing_data: TreatMissingData = "missing"
    evaluate_low_sample_count_percentile: LowSampleCount = "evaluate"
    description: str = ""
    actions_enabled: bool = True
    alarm_actions: list[str] = []
    ok_actions: list[str] = []
    insufficient_data_actions: list[str] = []

    def __post_init__(self) -> None:
        _check_name(self.name)
        try:
            check_series(self.namespace, self.metric_name, self.dimensions)
        except MetricValidationError as exc:
            field = "metric_name" if exc.field == "name" else exc.field
            raise AlarmValidationError(field, exc.value, exc.allowed) from None
        try:
            parse_statistic(self.statistic)
        except MetricValidationError:
            raise AlarmValidationError("statistic", self.statistic, STATISTICS_ALLOWED) from None
        period = self.period
        if not _is_int(period) or not (period in (10, 20, 30) or (period > 0 and period % 60 == 0)):
            raise AlarmValidationError("period", period, "10, 20, 30 or a multiple of 60 seconds")
        n = self.evaluation_periods
        if not _is_int(n) or n < 1 or n * period > MAX_EVALUATION_SECONDS:
            raise AlarmValidationError(
                "evaluation_periods",
                n,
                f"1 or more, with period x evaluation_periods <= {MAX_EVALUATION_SECONDS}",
            )
        m = self.datapoints_to_alarm
        if m is not None and (not _is_int(m) or not 1 <= m <= n):
            raise AlarmValidationError("datapoints_to_alarm", m, f"1 to evaluation_periods ({n})")
        self._check_comparison()
        _one_of("treat_missing_data", self.treat_missing_data, TREAT_MISSING)
        _one_of(
            "evaluate_low_sample_count_percentile",
            self.evaluate_low_sample_count_percentile,
            get_args(LowSampleCount),
        )
        _check_common(self)

    @property
    def m(self) -> int:
        """Datapoints to alarm."""
        return (
            self.evaluation_periods
            if self.datapoints_to_alarm is None
            else self.datapoints_to_alarm
        )

    @property
    def uses_band(self) -> bool:
        """Whether the alarm compares with an anomaly detection band."""
        return self.comparison_operator in BAND_OPERATORS

    def _check_comparison(self) -> None:
        op = self.comparison_operator
        _one_of("comparison_operator", op, OPERATORS)
        if op in BAND_OPERATORS:
            if self.threshold is not None:
                raise AlarmValidationError("threshold", self.threshold, "none with a band operator")
            if not 0 < self.band_width < math.inf:
                raise AlarmValidationError("band_width", self.band_width, "a finite number > 0")
        elif not isinstance(self.threshold, int | float) or not math.isfinite(self.threshold):
            raise AlarmValidationError("threshold", self.threshold, "a finite number")


class CompositeAlarm(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An alarm whose state is its rule over other alarms' states: ALARM when it holds.

    With an `actions_suppressor`, both periods are required (as in
    PutCompositeAlarm): actions wait `actions_suppressor_wait_period` seconds
    for the suppressor to go into ALARM, and `actions_suppressor_extension_period`
    seconds after it leaves ALARM.
    """

    name: str
    rule: str
    description: str = ""
    actions_enabled: bool = True
    alarm_actions: list[str] = []
    ok_actions: list[str] = []
    insufficient_data_actions: list[str] = []
    actions_suppressor: str | None = None
    actions_suppressor_wait_period: int | None = None
    actions_suppressor_extension_period: int | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        parse_rule(self.rule)
        periods = ("actions_suppressor_wait_period", "actions_suppressor_extension_period")
        if self.actions_suppressor is None:
            for field in periods:
                if getattr(self, field) is not None:
                    raise AlarmValidationError(
                        field, getattr(self, field), "none without actions_suppressor"
                    )
        else:
            if (
                not isinstance(self.actions_suppressor, str)
                or not 1 <= len(self.actions_suppressor) <= 1600
            ):
                raise AlarmValidationError(
                    "actions_suppressor", self.actions_suppressor, "an alarm name or ARN"
                )
            for field in periods:
                value = getattr(self, field)
                if not _is_int(value) or value < 0:
                    raise AlarmValidationError(
                        field, value, "whole seconds >= 0 (required with actions_suppressor)"
                    )
        _check_common(self)


def _check_name(name: object) -> None:
    """Alarm names: 1-255 characters, no control characters."""
    if not is_alarm_name(name):
        raise AlarmValidationError("name", name, "1-255 characters, no control characters")


def _check_common(alarm: MetricAlarm | CompositeAlarm) -> None:
    """The description and the action lists, shared by both kinds of alarm."""
    if not isinstance(alarm.description, str) or len(alarm.description) > 1024:
        raise AlarmValidationError("description", alarm.description, "at most 1024 characters")
    for field in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
        targets = getattr(alarm, field)
        if (
            not isinstance(targets, list)
            or len(targets) > MAX_ACTIONS
            or not all(isinstance(t, str) and 1 <= len(t) <= 1024 for t in targets)
        ):
            raise AlarmValidationError(
                field, targets, f"at most {MAX_ACTIONS} target names of 1-1024 characters"
            )


def _one_of(field: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise AlarmValidationError(field, value, ", ".join(allowed))


def _is_int(value: object) -> bool:
    return value.__class__ is int
