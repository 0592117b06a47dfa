"""Numbers over the whole float64 range: keys, patterns and indexes against plain floats.

The oracle is written from the rule itself, not from the code: a number takes
part in numeric comparison when it is a finite float64 and, within +/-5e9,
has at most six decimals; it then compares as `float(value)`.
"""

from __future__ import annotations

import math
import operator
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigila.rules import Pattern, PatternError, RuleSet
from vigila.rules.numeric import comparable

Number = int | float | Decimal

MAX = sys.float_info.max
EDGE = 5e9
EDGES: list[Number] = [
    0, 0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308,
    1e-6, -1e-6, 1e-7, 0.1, 0.3, 0.1 + 0.2, 4999999999.999999, -4999999999.999999,
    EDGE, -EDGE, 5_000_000_000, -5_000_000_000, 5_000_000_001, -5_000_000_001,
    math.nextafter(EDGE, math.inf), math.nextafter(EDGE, 0), math.nextafter(-EDGE, -math.inf),
    math.nextafter(-EDGE, 0), Decimal("5000000000.0000001"), Decimal("-5000000000.000001"),
    2**53 - 1, 2**53, 2**53 + 1, 2**53 + 2, float(2**53), 2**63, 2**64 + 1, 4e11, 1e308,
    -1e308, MAX, -MAX, math.nextafter(MAX, 0), 10**400, -(10**400), Decimal("1e400"),
]  # fmt: skip
"""Where the key changes its form, or float64 its spacing."""

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq, ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
}  # fmt: skip

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def exact(value: Number) -> Decimal:
    """The decimal a number stands for: a float's is that of its shortest repr."""
    return Decimal(repr(value)) if type(value) is float else Decimal(value)


def keyed(value: Number) -> bool:
    """Whether the number takes part in numeric comparison."""
    try:
        as_float = float(value)
    except OverflowError:
        return False
    if not math.isfinite(as_float):
        return False
    decimal = exact(value)
    return abs(decimal) > EDGE or decimal == decimal.quantize(Decimal("1e-6"))


events = st.one_of(
    st.sampled_from(EDGES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e10, 1e10),
    st.integers(-(2**1030), 2**1030),
    st.integers(-(10**10), 10**10),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.integers(-(10**16), 10**16).map(lambda m: m / 1e6),
)
"""Numbers an event may hold, with a key or without."""

patterns = st.one_of(
    st.sampled_from([v for v in EDGES if keyed(v)]),
    st.floats(EDGE, MAX),
    st.floats(-MAX, -EDGE),
    st.integers(-(2**1000), 2**1000),
    st.integers(-(5 * 10**15), 5 * 10**15).map(lambda m: m / 1e6),
    st.integers(-(5 * 10**15), 5 * 10**15).map(lambda m: Decimal(m).scaleb(-6)),
)
"""Numbers a numeric pattern may name: those with a key."""


@SETTINGS
@given(events, events)
def test_keys_order_as_float64(a: Number, b: Number) -> None:
    key_a, key_b = comparable(a), comparable(b)
    assert (key_a is not None) is keyed(a)
    if key_a is not None and key_b is not None:
        assert (key_a < key_b) is (float(a) < float(b))
        assert (key_a == key_b) is (float(a) == float(b))


@SETTINGS
@given(st.one_of(st.floats(EDGE, math.nextafter(MAX, 0)), st.floats(-MAX, -EDGE)))
def test_beyond_the_domain_the_next_float64_is_the_next_key(value: float) -> None:
    """So `> x`, kept as `>= key(x) + 1`, skips no float64."""
    assert comparable(math.nextafter(value, math.inf)) == comparable(value) + 1  # type: ignore[operator]


@SETTINGS
@given(st.sampled_from(sorted(OPERATORS)), patterns, events)
def test_a_numeric_condition_compares_as_float64(op: str, bound: Number, value: Number) -> None:
    pattern = Pattern({"x": [{"numeric": [op, bound]}]})
    expected = keyed(value) and OPERATORS[op](float(value), float(bound))
    assert pattern.matches({"x": value}) is expected


@SETTINGS
@given(st.sampled_from([">", ">="]), patterns, st.sampled_from(["<", "<="]), patterns, events)
def test_a_range_compares_as_float64(
    low_op: str, low: Number, high_op: str, high: Number, value: Number
) -> None:
    source = {"x": [{"numeric": [low_op, low, high_op, high]}]}
    if float(low) >= float(high):
        try:
            Pattern(source)
        except PatternError as e:
            assert e.reason == "Bottom must be less than top"
            return
        raise AssertionError("a range whose bottom is not below its top was accepted")
    expected = (
        keyed(value)
        and OPERATORS[low_op](float(value), float(low))
        and OPERATORS[high_op](float(value), float(high))
    )
    assert Pattern(source).matches({"x": value}) is expected


def _rule(kind: str, op: str, bound: Number) -> dict[str, Any]:
    if kind == "numeric":
        return {"x": [{"numeric": [op, bound]}]}
    if kind == "exact":
        return {"x": [bound]}
    return {"x": [{"anything-but": [bound]}]}


def _oracle(kind: str, op: str, bound: Number, value: Number) -> bool:
    if kind == "numeric":
        return keyed(value) and OPERATORS[op](float(value), float(bound))
    equal = keyed(value) and float(value) == float(bound)
    return equal if kind == "exact" else not equal


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["numeric", "numeric", "exact", "anything-but"]),
            st.sampled_from(sorted(OPERATORS)),
            patterns,
        ),
        min_size=5,
        max_size=24,
    ),
    st.booleans(),
    st.lists(events, min_size=1, max_size=6),
)
def test_an_indexed_path_agrees_with_float64(
    rules: list[tuple[str, str, Number]], thresholds_only: bool, values: list[Number]
) -> None:
    """Many rules on one path are indexed: thresholds bisected, ranges segmented, values hashed."""
    if thresholds_only:
        rules = [("numeric", op if op.startswith(">") else ">", b) for _, op, b in rules]
    ruleset = RuleSet()
    for index, (kind, op, bound) in enumerate(rules):
        ruleset.add(f"r{index}", _rule(kind, op, bound))
    for value in [*values, *(bound for _, _, bound in rules)]:
        expected = [f"r{i}" for i, rule in enumerate(rules) if _oracle(*rule, value)]
        assert ruleset.matches({"x": value}) == expected
