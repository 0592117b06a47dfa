"""Numbers as EventBridge compares them: exact, in millionths, within +/-5e9.

event-ruler turns every number a `numeric` or `anything-but` pattern names,
and every JSON number in an event, into a comparable form: the value in
millionths, valid from -5.0e9 to +5.0e9 inclusive with at most six digits
after the decimal point. Numbers outside that domain still exist and still
match equal literals, but never take part in numeric comparison.

>>> comparable(5000), comparable(5e3), comparable(5000.0)
(5000000000, 5000000000, 5000000000)
>>> comparable(0.1234567) is None, comparable(6e9) is None
(True, True)
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

LIMIT = 5_000_000_000
"""The largest magnitude a comparable number may have."""

DECIMALS = 6
"""The most digits after the decimal point a comparable number may have."""

_SCALE = 10**DECIMALS
_LIMIT_SCALED = LIMIT * _SCALE


def is_number(value: object) -> bool:
    """True for a JSON number: an int, float or Decimal, never a bool."""
    return type(value) in (int, float, Decimal)


def comparable(value: object) -> int | None:
    """The number in millionths, or None when it is outside the comparable domain."""
    kind = type(value)
    if kind is int:
        return value * _SCALE if -LIMIT <= value <= LIMIT else None  # type: ignore[operator]
    if kind is float:
        return float_comparable(value)  # type: ignore[arg-type]
    if kind is Decimal:
        return _decimal_comparable(value)  # type: ignore[arg-type]
    return None


def float_comparable(value: float) -> int | None:
    """`comparable` for a float."""
    if -1e9 < value < 1e9:
        # Below 1e9 a float is within 1.2e-7 of its decimal, so the nearest
        # millionth is exact, and it is the float's own value iff it round-trips.
        scaled = round(value * 1e6)
        return scaled if scaled / 1e6 == value else None
    if not -LIMIT <= value <= LIMIT:  # also refuses NaN
        return None
    if value.is_integer():
        return int(value) * _SCALE
    # The shortest repr is the JSON text the float came from in all but
    # pathological cases, so its digits are the digits event-ruler sees.
    text = repr(value)
    if "e" in text:
        return _decimal_comparable(Decimal(text))
    whole, _, fraction = text.partition(".")
    if len(fraction) > DECIMALS:
        return None
    return int(whole + fraction.ljust(DECIMALS, "0"))


def _decimal_comparable(value: Decimal) -> int | None:
    if not value.is_finite():
        return None
    exponent = value.normalize().as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -DECIMALS:
        return None
    scaled = int(value * _SCALE)
    return scaled if -_LIMIT_SCALED <= scaled <= _LIMIT_SCALED else None


def literal_key(value: int | float | Decimal) -> tuple[str, object]:
    """The identity of a number outside the comparable domain: its parsed literal."""
    if type(value) is Decimal:
        if value == value.to_integral_value() and value.as_tuple().exponent == 0:  # type: ignore[union-attr]
            return ("i", int(value))
        return ("f", float(value))
    if type(value) is int:
        return ("i", value)
    return ("f", value)


def to_decimal(value: int | float | Decimal) -> Decimal:
    """The exact decimal a pattern number stands for."""
    if type(value) is float:
        if not math.isfinite(value):
            raise InvalidOperation(repr(value))
        return Decimal(repr(value))
    return Decimal(value)


def comparable_or_reason(value: int | float | Decimal) -> tuple[int | None, str]:
    """The comparable form of a pattern number, or None and why EventBridge refuses it."""
    try:
        exact = to_decimal(value)
    except InvalidOperation:
        return None, f"{value!r} is not a finite number"
    exponent = exact.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -DECIMALS:
        return None, f"Only values upto {DECIMALS} decimals are supported, got {value!r}"
    scaled = int(exact * _SCALE)
    if not -_LIMIT_SCALED <= scaled <= _LIMIT_SCALED:
        return None, f"Value must be between -5.0E9 and 5.0E9, inclusive, got {value!r}"
    return scaled, ""
