"""Typed metric input and its validation, with CloudWatch's limits.

A metric is a namespace, a name and a set of dimensions; each distinct set of
dimensions is its own series. A `Datapoint` carries one sample (a counter
increment or a gauge reading); a `Distribution` carries many samples at once,
like CloudWatch's `Values`/`Counts` arrays, and feeds the same sketches.

>>> dp = Datapoint("Vigila/dev", "IngestAccepted", {"Pack": "fabric"}, 1_700_000_000.0, 42.0)
>>> series_key(dp.namespace, dp.name, dp.dimensions)
('Vigila/dev', 'IngestAccepted', (('Pack', 'fabric'),))
>>> try:
...     check_value("value", float("nan"))
... except MetricValidationError as exc:
...     print(exc.field, "-", exc.allowed)
value - a finite number between -2**360 and 2**360
"""

from __future__ import annotations

import re

import msgspec

from vigila.metrics.errors import MetricValidationError

SeriesKey = tuple[str, str, tuple[tuple[str, str], ...]]
"""(namespace, metric name, sorted dimension pairs): the identity of a series."""

MAX_NAME = 255
MAX_DIMENSIONS = 30
MAX_DIMENSION_VALUE = 1024
MAX_VALUES = 150
VALUE_LIMIT = 2.0**360

_NAMESPACE = re.compile(r"[0-9A-Za-z.\-_/#: ]{1,255}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Datapoint(msgspec.Struct, frozen=True):
    """One sample of one series at `timestamp` (seconds since the epoch)."""

    namespace: str
    name: str
    dimensions: dict[str, str]
    timestamp: float
    value: float


class Distribution(msgspec.Struct, frozen=True):
    """Many samples of one series at once; `counts[i]` weighs `values[i]` (default 1)."""

    namespace: str
    name: str
    dimensions: dict[str, str]
    timestamp: float
    values: list[float]
    counts: list[float] | None = None


def series_key(namespace: str, name: str, dimensions: dict[str, str]) -> SeriesKey:
    """The series a datapoint belongs to; dimension order does not matter."""
    return (namespace, name, tuple(sorted(dimensions.items())))


def check_series(namespace: object, name: object, dimensions: object) -> None:
    """Refuse a namespace, metric name or dimension map CloudWatch would refuse."""
    if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace):
        raise MetricValidationError(
            "namespace", namespace, "1-255 of A-Z a-z 0-9 . - _ / # : and space"
        )
    _check_text("name", name, MAX_NAME)
    if not isinstance(dimensions, dict) or len(dimensions) > MAX_DIMENSIONS:
        size = len(dimensions) if isinstance(dimensions, dict) else dimensions
        raise MetricValidationError(
            "dimensions", size, f"a map of at most {MAX_DIMENSIONS} name/value pairs"
        )
    for key, value in dimensions.items():
        _check_text("dimensions.name", key, MAX_NAME)
        if key.startswith(":"):
            raise MetricValidationError("dimensions.name", key, "a name not starting with ':'")
        _check_text(f"dimensions[{key!r}]", value, MAX_DIMENSION_VALUE)


def check_value(field: str, value: object) -> float:
    """The sample as a float, or an error for NaN, infinities and non-numbers."""
    if value.__class__ is not float and value.__class__ is not int:
        raise MetricValidationError(field, value, "a number")
    if not -VALUE_LIMIT <= value <= VALUE_LIMIT:  # NaN fails both comparisons
        raise MetricValidationError(field, value, "a finite number between -2**360 and 2**360")
    return float(value)


def distribution_samples(dist: Distribution) -> list[tuple[float, float]]:
    """(value, weight) pairs of a distribution, each checked."""
    values, counts = dist.values, dist.counts
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_VALUES:
        size = len(values) if isinstance(values, list) else values
        raise MetricValidationError("values", size, f"a list of 1-{MAX_VALUES} numbers")
    if counts is None:
        return [(check_value("values", v), 1.0) for v in values]
    if not isinstance(counts, list) or len(counts) != len(values):
        raise MetricValidationError("counts", counts, "a list as long as values")
    pairs = []
    for v, c in zip(values, counts, strict=True):
        weight = check_value("counts", c)
        if weight <= 0:
            raise MetricValidationError("counts", c, "a positive number")
        pairs.append((check_value("values", v), weight))
    return pairs


def _check_text(field: str, value: object, limit: int) -> None:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= limit
        or value.isspace()
        or _CONTROL.search(value)
    ):
        raise MetricValidationError(
            field, value, f"1-{limit} characters, not all spaces, no control characters"
        )
