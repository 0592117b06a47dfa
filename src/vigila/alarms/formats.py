"""How CloudWatch writes numbers and times in alarm reasons, reason data and events.

>>> java_double(50.0), java_double(0.1), java_double(45628000.0), java_double(0.0001)
('50.0', '0.1', '4.5628E7', '1.0E-4')
>>> iso_ms(1570035880.989), iso_seconds(1570035880.989)
('2019-10-02T17:04:40.989+0000', '2019-10-02T17:04:40Z')
>>> datapoint_time(1570035540), long_time(1658505465)
('02/10/19 16:59:00', 'Friday 22 July, 2022 15:57:45 UTC')
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

# Timestamps repeat across alarms within a tick (period starts, the evaluation
# time), so their text is remembered.
_remembered = lru_cache(maxsize=4096)


def java_double(x: float) -> str:
    """`x` as Java's `Double.toString` writes it (CloudWatch's reasons do)."""
    x = float(x)
    if x == 0 or 1e-3 <= abs(x) < 1e7:
        return repr(x)
    sign, digits, exponent = Decimal(repr(x)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) + int(exponent) - 1
    mantissa = f"{text[0]}.{text[1:] or '0'}"
    return f"{'-' if sign else ''}{mantissa}E{power}"


@_remembered
def iso_ms(ts: float) -> str:
    """2019-10-02T17:04:40.989+0000: state and reason-data timestamps."""
    return _utc(ts).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


@_remembered
def iso_seconds(ts: float) -> str:
    """2019-10-02T17:04:40Z: the event envelope's `time`."""
    return _utc(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


@_remembered
def datapoint_time(ts: float) -> str:
    """02/10/19 16:59:00: a datapoint's period start in a state reason."""
    return _utc(ts).strftime("%d/%m/%y %H:%M:%S")


@_remembered
def long_time(ts: float) -> str:
    """Friday 22 July, 2022 15:57:45 UTC: when a composite alarm's child transitioned."""
    t = _utc(ts)
    return f"{t:%A} {t.day} {t:%B}, {t:%Y %H:%M:%S} UTC"


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
