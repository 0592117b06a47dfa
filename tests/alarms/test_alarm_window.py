"""CloudWatch's documented M-of-N and missing-data tables, row by row.

Rows are drawn as the documentation draws them: the five most recent
datapoints of the evaluation range, oldest on the left; `0` does not breach,
`X` breaches, `-` is missing. "keep" is the table's "Retain current state".
"""

from __future__ import annotations

import pytest

from vigila.alarms.window import Point, evaluate

COLUMNS = ("missing", "ignore", "breaching", "notBreaching")

# "Configuring how CloudWatch alarms treat missing data": Datapoints to Alarm
# and Evaluation Periods both 3, evaluation range 5.
THREE_OF_THREE = [
    ("0 - X - X", ("OK", "OK", "OK", "OK")),
    ("0 - - - -", ("OK", "OK", "OK", "OK")),
    ("- - - - -", ("INSUFFICIENT_DATA", "keep", "ALARM", "OK")),
    ("0 X X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("- - X - -", ("ALARM", "keep", "ALARM", "OK")),
]
# The same page, 2 out of 3.
TWO_OF_THREE = [
    ("0 - X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("0 0 X 0 X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    ("0 - X - -", ("OK", "OK", "ALARM", "OK")),
    ("- - - - 0", ("OK", "OK", "ALARM", "OK")),
    ("- - - X -", ("ALARM", "keep", "ALARM", "OK")),
]
# An earlier revision of the page had these rows instead of the last ones: a
# single fresh breaching datapoint is not yet enough ("avoiding premature
# transitions"), so the alarm waits in INSUFFICIENT_DATA.
EARLIER_REVISION = [
    (3, "- - - - X", ("INSUFFICIENT_DATA", "keep", "ALARM", "OK")),
    (2, "- - - - X", ("INSUFFICIENT_DATA", "keep", "ALARM", "OK")),
]


def points(row: str) -> list[Point | None]:
    """The row newest first, as the evaluator hands it over."""
    marks = row.split()
    out: list[Point | None] = []
    for age, mark in enumerate(reversed(marks)):
        breaching = mark == "X"
        out.append(None if mark == "-" else Point(-60 * age, float(breaching), breaching))
    return out


def cases(rows, m):
    for row, expected in rows:
        for treat, state in zip(COLUMNS, expected, strict=True):
            yield pytest.param(m, row, treat, state, id=f"{m}of3 {row} {treat}")


@pytest.mark.parametrize(
    ("m", "row", "treat", "expected"),
    [
        *cases(THREE_OF_THREE, 3),
        *cases(TWO_OF_THREE, 2),
        *(p for m, row, exp in EARLIER_REVISION for p in cases([(row, exp)], m)),
    ],
)
def test_documented_rows(m, row, treat, expected):
    verdict = evaluate(points(row), m=m, n=3, treat=treat)
    assert verdict.state == (None if expected == "keep" else expected)


def test_the_documented_figure_three_of_three():
    """Threshold 3, 3 of 3: ALARM from the fifth period, OK at the sixth, and a
    single breach in the ninth does not alarm again."""
    values = [1, 2, 4, 5, 4, 2, 1, 2, 4, 2]
    states = []
    for end in range(3, len(values) + 1):
        window = values[max(0, end - 5) : end][::-1]
        row = [Point(-60 * age, v, v > 3) for age, v in enumerate(window)]
        states.append(evaluate(row, m=3, n=3, treat="missing").state)
    assert states == ["OK", "OK", "ALARM", "OK", "OK", "OK", "OK", "OK"]


def test_with_enough_real_datapoints_only_the_newest_n_count():
    row = points("X X 0 0 0")
    for treat in COLUMNS:
        verdict = evaluate(row, m=1, n=3, treat=treat)
        assert verdict.state == "OK" and len(verdict.points) == 3


def test_real_datapoints_are_used_before_missing_ones_are_filled():
    verdict = evaluate(points("X X - - -"), m=2, n=3, treat="notBreaching")
    assert (verdict.state, verdict.breaching, verdict.filled) == ("ALARM", 2, 1)


def test_filled_datapoints_are_reported():
    verdict = evaluate(points("- - - - -"), m=1, n=3, treat="breaching")
    assert (verdict.state, verdict.filled, verdict.fill_breaching) == ("ALARM", 3, True)
