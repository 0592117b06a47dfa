"""Numbers as event-ruler compares them: one ordered integer key per number.

event-ruler turns every number a `numeric` or `anything-but` pattern names,
and every JSON number in an event, into a comparable form, which covers
every finite float64 since it encodes the float64 order. vigila keys numbers
over that range too, and keeps the exact decimal domain of earlier releases:

* from -5.0e9 to +5.0e9 inclusive, a number with at most six digits after
  the decimal point is keyed by its value in millionths, exactly; one with
  more digits there (`0.1234567`) has no key, so it never takes part in
  numeric comparison (an exact value still matches its own literal);
* beyond +/-5.0e9 a number is compared as the float64 it is closest to
  (`float(value)`, so integers past 2**53 compare as their float, as in
  event-ruler), and the key goes on past the domain's edge one step per
  float64, up to +/-1.7976931348623157e308;
* NaN, infinities and numbers past the float64 range have no key.

Keys order as the numbers do, and a strict bound is the next key: `> x`
is `>= comparable(x) + 1` everywhere.

>>> comparable(5000), comparable(5e3), comparable(5000.0)
(5000000000, 5000000000, 5000000000)
>>> comparable(0.1234567) is None, comparable(float("nan")) is None
(True, True)
>>> comparable(5e9) < comparable(5000000000.000001) == comparable(5e9) + 1
True
>>> comparable(2**53 + 1) == comparable(2**53)
True
"""

from __future__ import annotations

import math
import struct
from decimal import Decimal

LIMIT = 5_000_000_000
"""The largest magnitude keyed exactly, in millionths."""

DECIMALS = 6
"""The most digits after the decimal point a number within +/-`LIMIT` may have."""

_SPELLED_MAX = "1.7976931348623157E308"  # float64's largest, as event-ruler's messages spell it
_SCALE = 10**DECIMALS
_EDGE = LIMIT * _SCALE
_MILLIONTH = Decimal(1).scaleb(-DECIMALS)
_pack_double = struct.Struct(">d").pack
_EDGE_BITS = int.from_bytes(_pack_double(float(LIMIT)))


def is_number(value: object) -> bool:
    """True for a JSON number: an int, float or Decimal, never a bool."""
    return type(value) in (int, float, Decimal)


def is_finite(value: int | float | Decimal) -> bool:
    """False for NaN and the infinities (a signalling NaN included)."""
    return type(value) is int or (
        math.isfinite(value) if type(value) is float else value.is_finite()  # type: ignore[union-attr]
    )


def comparable(value: object) -> int | None:
    """The number's key, or None when it has none (see the module's docstring)."""
    kind = type(value)
    if kind is int:
        return value * _SCALE if -LIMIT <= value <= LIMIT else _beyond(value)  # type: ignore[operator,arg-type]
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
    if not -LIMIT <= value <= LIMIT:  # also NaN
        return _float_key(value) if math.isfinite(value) else None
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
    if not -LIMIT <= value <= LIMIT:
        return _beyond(value)
    # Exact, unlike `normalize()`, which rounds to the context's 28 digits.
    if value % _MILLIONTH:
        return None
    return int(value * _SCALE)


def _beyond(value: int | Decimal) -> int | None:
    """The key of an int or Decimal beyond +/-`LIMIT`: that of its nearest float64."""
    try:
        number = float(value)
    except OverflowError:  # an int past float64's range
        return None
    return _float_key(number) if math.isfinite(number) else None


def _float_key(value: float) -> int:
    """The key of a finite float of magnitude `LIMIT` or more.

    IEEE-754 bit patterns of non-negative floats order as their values, so the
    float64 steps from the edge to `abs(value)` are a difference of bit patterns.
    """
    steps = int.from_bytes(_pack_double(abs(value))) - _EDGE_BITS
    return _EDGE + steps if value > 0 else -_EDGE - steps


def literal_key(value: int | float | Decimal) -> tuple[str, object]:
    """The identity of a number without a key: its parsed literal."""
    if type(value) is Decimal:
        if value == value.to_integral_value() and value.as_tuple().exponent == 0:  # type: ignore[union-attr]
            return ("i", int(value))
        return ("f", float(value))
    if type(value) is int:
        return ("i", value)
    return ("f", value)


def comparable_or_reason(value: int | float | Decimal) -> tuple[int | None, str]:
    """The key of a pattern number, or None and why it is refused.

    >>> comparable_or_reason(0.5)
    (500000, '')
    >>> comparable_or_reason(0.1234567)
    (None, 'Only values upto 6 decimals are supported, got 0.1234567')
    """
    if not is_finite(value):
        return None, f"{value!r} is not a finite number"
    key = comparable(value)
    if key is not None:
        return key, ""
    if -LIMIT <= value <= LIMIT:
        return None, f"Only values upto {DECIMALS} decimals are supported, got {value!r}"
    bounds = f"-{_SPELLED_MAX} and {_SPELLED_MAX}"
    return None, f"Value must be between {bounds}, inclusive, got {value!r}"
