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
from collections.abc import Iterable, Sequence

import msgspec
import numpy as np

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


def series_keys(namespace: str, name: str, dimension_names: Sequence[str],
                dimension_values: Iterable[Sequence[str]]) -> list[SeriesKey]:
    """`series_key` of many datapoints of one metric that share their dimension names,
    given the values of each datapoint in `dimension_names` order: names sort once.

    >>> series_keys("N", "m", ("b", "a"), [("1", "2"), ("3", "4")])
    [('N', 'm', (('a', '2'), ('b', '1'))), ('N', 'm', (('a', '4'), ('b', '3')))]
    """
    order = sorted(range(len(dimension_names)), key=dimension_names.__getitem__)
    names = [dimension_names[i] for i in order]
    return [(namespace, name, tuple(zip(names, [values[i] for i in order], strict=True)))
            for values in dimension_values]


def check_key(key: object) -> None:
    """Refuse a series key that `series_key` would not have made, or whose names
    `check_series` refuses."""
    if not (isinstance(key, tuple) and len(key) == 3 and isinstance(key[2], tuple)
            and all(isinstance(pair, tuple) and len(pair) == 2 for pair in key[2])):
        raise MetricValidationError("keys", key, "(namespace, name, (dimension, value) pairs)")
    namespace, name, pairs = key
    try:
        dimensions = dict(pairs)
    except TypeError:  # a name that is not hashable
        raise MetricValidationError("keys", key, "dimension names that are text") from None
    check_series(namespace, name, dimensions)
    names = [n for n, _ in pairs]
    if names != sorted(set(names)):
        raise MetricValidationError("keys", key, "dimension pairs sorted by distinct names")


def check_columns(keys: Sequence[SeriesKey], series: object, timestamps: object,
                  values: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch of datapoints as arrays (int64 `series`, indexes into `keys`; float64
    `timestamps` and `values`), or an error naming the argument that is not a 1-d array
    of numbers as long as `series`, or a series index outside `keys`."""
    arrays = []
    for field, column, kinds in (("series", series, "iu"), ("timestamps", timestamps, "iuf"),
                                 ("values", values, "iuf")):
        array = np.asarray(column)
        if array.ndim != 1 or (len(array) and array.dtype.kind not in kinds):
            allowed = "a 1-d array of integers" if kinds == "iu" else "a 1-d array of numbers"
            raise MetricValidationError(field, column, allowed)
        if arrays and len(array) != len(arrays[0]):
            raise MetricValidationError(field, f"{len(array)} items",
                                        f"as many items as series ({len(arrays[0])})")
        arrays.append(array.astype(np.int64 if kinds == "iu" else np.float64))
    index = arrays[0]
    if len(index) and not (index.min() >= 0 and index.max() < len(keys)):
        bad = index[(index < 0) | (index >= len(keys))][0]
        raise MetricValidationError("series", int(bad), f"indexes into keys (0 to {len(keys) - 1})")
    return arrays[0], arrays[1], arrays[2]


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
