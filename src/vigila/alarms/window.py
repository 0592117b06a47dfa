"""The M-of-N verdict over an alarm's evaluation range, with CloudWatch's missing-data rules.

CloudWatch looks at more periods than N, the *evaluation range*, in case the
newest are missing (its documented tables use a range of N + 2 for N = 3, which
`EXTRA_PERIODS` follows). Then, as its documentation states:

* With at least N real datapoints in the range, the newest N decide and
  `treat_missing_data` is not used.
* With fewer, every real datapoint counts and the missing ones are filled:
  `breaching` fills them as breaching, `notBreaching` as not breaching.
* `missing` and `ignore` fill nothing: M breaching real points give ALARM; no
  real point gives INSUFFICIENT_DATA (`missing`) or keeps the state (`ignore`).
  When every real point breaches but there are fewer than M, the alarm goes to
  ALARM once the oldest of them is at least M periods old ("avoiding premature
  transitions"); until then it is INSUFFICIENT_DATA. `ignore` keeps the state
  in both cases.
* Otherwise fewer than M breach: OK.

>>> x = Point(start=120, value=9.0, breaching=True)
>>> evaluate([None, None, x, None, None], m=3, n=3, treat="missing").state  # - - X - -
'ALARM'
>>> evaluate([None, None, x, None, None], m=3, n=3, treat="ignore").state is None
True
"""

from __future__ import annotations

from typing import NamedTuple

from vigila.alarms.model import AlarmState

EXTRA_PERIODS = 2
"""Periods looked at beyond N, in case the newest datapoints are missing."""


class Point(NamedTuple):
    """A real datapoint of the evaluation range: its period's start and statistic."""

    start: int
    value: float
    breaching: bool
    sample_count: float = 1.0
    lower: float | None = None
    upper: float | None = None


class Verdict(NamedTuple):
    """The state to set (None: keep the current one) and what led to it."""

    state: AlarmState | None
    points: list[Point]
    """The real datapoints evaluated, newest first."""
    breaching: int
    """Breaching datapoints counted, filled ones included."""
    filled: int
    """Missing datapoints filled in by `treat_missing_data`."""
    fill_breaching: bool


def evaluate(range_points: list[Point | None], m: int, n: int, treat: str) -> Verdict:
    """The verdict over `range_points`, newest period first (None where it has no datapoint)."""
    real = [p for p in range_points if p is not None]
    if len(real) >= n:
        used = real[:n]
        breaching = sum(p.breaching for p in used)
        return Verdict(_threshold(breaching, m), used, breaching, 0, False)
    breaching = sum(p.breaching for p in real)
    fill = n - len(real)
    if treat == "breaching":
        return Verdict(_threshold(breaching + fill, m), real, breaching + fill, fill, True)
    if treat == "notBreaching":
        return Verdict(_threshold(breaching, m), real, breaching, fill, False)
    # "missing" and "ignore": only the real datapoints count.
    if breaching >= m:
        return Verdict("ALARM", real, breaching, 0, False)
    if breaching < len(real):
        return Verdict("OK", real, breaching, 0, False)
    if treat == "ignore":
        return Verdict(None, real, breaching, 0, False)
    if not real:
        return Verdict("INSUFFICIENT_DATA", real, 0, 0, False)
    oldest_age = max(age for age, p in enumerate(range_points) if p is not None)
    old_enough = oldest_age + 1 >= m
    return Verdict("ALARM" if old_enough else "INSUFFICIENT_DATA", real, breaching, 0, False)


def _threshold(breaching: int, m: int) -> AlarmState:
    return "ALARM" if breaching >= m else "OK"
