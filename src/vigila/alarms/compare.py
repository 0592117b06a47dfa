"""Whether a datapoint breaches, for each of CloudWatch's comparison operators.

The static operators compare the statistic (first operand) with the threshold;
the band operators compare it with an anomaly detection band.

>>> breaches("GreaterThanOrEqualToThreshold", 5.0, threshold=5.0)
True
>>> breaches("LessThanLowerOrGreaterThanUpperThreshold", 5.0, band=(1.0, 4.0))
True
"""

from __future__ import annotations

from collections.abc import Callable

Band = tuple[float, float]
"""(lower, upper) edges of an anomaly detection band."""

_STATIC: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
_BAND: dict[str, Callable[[float, float, float], bool]] = {
    "LessThanLowerOrGreaterThanUpperThreshold": lambda v, lo, hi: v < lo or v > hi,
    "LessThanLowerThreshold": lambda v, lo, hi: v < lo,
    "GreaterThanUpperThreshold": lambda v, lo, hi: v > hi,
}


def breaches(
    operator: str, value: float, threshold: float | None = None, band: Band | None = None
) -> bool:
    """Whether `value` breaches: against `threshold`, or `band` for the band operators."""
    if band is None:
        return _STATIC[operator](value, threshold)
    return _BAND[operator](value, band[0], band[1])
