"""State reasons and state-reason data, worded as CloudWatch words them.

>>> from vigila.alarms.model import MetricAlarm
>>> from vigila.alarms.window import Point, Verdict
>>> alarm = MetricAlarm(
...     name="cpu", namespace="Vigila/dev", metric_name="Cpu", statistic="Average",
...     period=300, evaluation_periods=1, comparison_operator="GreaterThanThreshold",
...     threshold=50.0,
... )
>>> point = Point(start=1570035540, value=99.5, breaching=True)
>>> text, data = metric_reason(alarm, Verdict("ALARM", [point], 1, 0, False), "OK", 1570035880.985)
>>> text
'Threshold Crossed: 1 out of the last 1 datapoints [99.5 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).'
>>> msgspec.json.decode(data)["recentDatapoints"], msgspec.json.decode(data)["startDate"]
([99.5], '2019-10-02T16:59:00.000+0000')
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from vigila.alarms.formats import datapoint_time, iso_ms, java_double, long_time
from vigila.alarms.model import MetricAlarm
from vigila.alarms.window import Point, Verdict

_PHRASE = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to the threshold",
    "GreaterThanThreshold": "greater than the threshold",
    "LessThanThreshold": "less than the threshold",
    "LessThanOrEqualToThreshold": "less than or equal to the threshold",
}
_LOWER = "less than the lower thresholds"
_UPPER = "greater than the upper thresholds"
_BAND_SIDES = {
    "LessThanLowerOrGreaterThanUpperThreshold": (_LOWER, _UPPER),
    "LessThanLowerThreshold": (_LOWER,),
    "GreaterThanUpperThreshold": (_UPPER,),
}

INITIAL_REASON = "Unchecked: Initial alarm creation"


def metric_reason(
    alarm: MetricAlarm, verdict: Verdict, previous: str, now: float
) -> tuple[str, str]:
    """(StateReason, StateReasonData) for a metric alarm that `verdict` moves out of `previous`."""
    data = _reason_data(alarm, verdict.points, now)
    if verdict.state == "INSUFFICIENT_DATA":
        n = alarm.evaluation_periods
        return f"Insufficient Data: {_count(n, 'datapoint')} {_was(n)} unknown.", data
    alarming = verdict.state == "ALARM"
    prefix = "Thresholds Crossed" if alarm.uses_band else "Threshold Crossed"
    filled = ""
    if verdict.filled:
        kind = "Breaching" if verdict.fill_breaching else "NonBreaching"
        missing = _count(verdict.filled, "missing datapoint")
        filled = f"{missing} {_was(verdict.filled)} treated as [{kind}]"
    shown = [p for p in verdict.points if p.breaching == alarming]
    if not verdict.points:
        n = verdict.filled
        return (
            f"{prefix}: no datapoints were received for {_count(n, 'period')} and {filled}.",
            data,
        )
    minimum = alarm.m if alarming else alarm.evaluation_periods - alarm.m + 1
    tail = (
        f" (minimum {_count(minimum, 'datapoint')} for {previous} -> {verdict.state} transition)."
    )
    if not shown:
        return f"{prefix}: {filled}{tail}", data
    listed = ", ".join(f"{java_double(p.value)} ({datapoint_time(p.start)})" for p in shown)
    text = (
        f"{prefix}: {len(shown)} out of the last {len(verdict.points)} datapoints [{listed}] "
        f"{_was(len(shown))} {_comparison(alarm, shown, negated=not alarming)}"
    )
    return text + (f" and {filled}" if filled else "") + tail, data


def composite_reason(
    own_arn: str, state: str, triggering: Sequence[tuple[str, str, float]], created: bool
) -> tuple[str, str]:
    """(StateReason, StateReasonData) for a composite alarm; `triggering` holds
    (arn, state, transitioned-at) of the children that led to `state`."""
    data = _json(
        {
            "triggeringAlarms": [
                {"arn": arn, "state": {"value": value, "timestamp": iso_ms(ts)}}
                for arn, value, ts in triggering
            ]
        }
    )
    if created:
        return f"{own_arn} was created and its alarm rule evaluates to {state}", data
    if not triggering:
        return f"{own_arn} alarm rule evaluates to {state}", data
    arn, value, ts = max(triggering, key=lambda t: t[2])
    return f"{arn} transitioned to {value} at {long_time(ts)}", data


def _comparison(alarm: MetricAlarm, shown: list[Point], negated: bool) -> str:
    neg = "not " if negated else ""
    if not alarm.uses_band:
        return f"{neg}{_PHRASE[alarm.comparison_operator]} ({java_double(alarm.threshold)})"
    edges = {
        _LOWER: ", ".join(java_double(p.lower) for p in shown),
        _UPPER: ", ".join(java_double(p.upper) for p in shown),
    }
    sides = _BAND_SIDES[alarm.comparison_operator]
    return " or ".join(f"{neg}{side} [{edges[side]}]" for side in sides)


def _reason_data(alarm: MetricAlarm, points: list[Point], now: float) -> str:
    oldest_first = points[::-1]
    start = oldest_first[0].start if points else None
    data: dict[str, object] = {"version": "1.0", "queryDate": iso_ms(now)}
    if start is not None:
        data["startDate"] = iso_ms(start)
    data["statistic"] = alarm.statistic
    data["period"] = alarm.period
    data["recentDatapoints"] = [p.value for p in oldest_first]
    if alarm.uses_band:
        data["recentLowerThresholds"] = [p.lower for p in oldest_first]
        data["recentUpperThresholds"] = [p.upper for p in oldest_first]
    else:
        data["threshold"] = alarm.threshold
    data["evaluatedDatapoints"] = [
        {"timestamp": iso_ms(p.start), "sampleCount": p.sample_count, "value": p.value}
        for p in points
    ]
    return _json(data)


def _json(data: dict[str, object]) -> str:
    """Compact JSON, as CloudWatch's reason data."""
    return msgspec.json.encode(data).decode()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"
