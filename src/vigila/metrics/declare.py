"""Metrics that packs declare from events: which events, which value, which dimensions."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, NamedTuple, Protocol

import msgspec
import numpy as np
from msgspec import Meta

from vigila.metrics.datapoint import Datapoint, SeriesKey

Path = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")]


class Dimension(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A dimension's value: the string at `path`, or one `split` segment of it."""

    path: Path
    split: str | None = None
    index: int = 0


class MetricSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One metric: from `events` (source, detail-type pairs), the number at `value`
    (None counts events), once per dimension set (a series per set)."""

    name: Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{1,128}$")]
    namespace: str
    """May use `{environment}`, e.g. `Fabric/{environment}`."""
    events: list[tuple[str, str]]
    value: Path | None = None
    dimensions: list[dict[str, Dimension]] = msgspec.field(default_factory=lambda: [{}])
    unit: str = "None"


Getter = Callable[[dict[str, Any]], Any]


def getter(path: str) -> Getter:
    """A function reading `path` (`detail.stream_id`) from an event; None when absent."""
    keys = tuple(path.split("."))

    def get(event: dict[str, Any]) -> Any:
        value: Any = event
        try:
            for key in keys:
                value = value[key]
        except (KeyError, TypeError, IndexError):
            return None
        return value

    return get


DimensionSet = tuple[tuple[str, Getter, str | None, int], ...]


def _dimension_set(dimensions: dict[str, Dimension]) -> DimensionSet:
    return tuple((name, getter(d.path), d.split, d.index) for name, d in dimensions.items())


def _dimensions(dimension_set: DimensionSet, event: dict[str, Any]) -> dict[str, str] | None:
    """The dimension map for one event, or None when a dimension has no value."""
    out: dict[str, str] = {}
    for name, get, split, index in dimension_set:
        text = _text(get(event), split, index)
        if text is None:
            return None
        out[name] = text
    return out


class Rows(Protocol):
    """Events of one `(source, detail-type)`, as the pipeline hands them over in bulk."""

    kind: tuple[str, str]

    def values(self, path: str) -> list[Any]:
        """The value at `path` of every row (None where absent)."""
        ...

    def event_times(self) -> list[float | None]:
        """Each row's `time` in seconds (None when the event has none)."""
        ...


class PointBatch(NamedTuple):
    """Datapoints in columns: point i is of series `keys[series[i]]`."""

    keys: list[SeriesKey]
    series: np.ndarray
    timestamps: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.series)


class _Plan(msgspec.Struct):
    """What to extract from one `(source, detail-type)`: each distinct dimension set is
    read once per event, however many metrics share it."""

    dimension_sets: list[DimensionSet]
    metrics: list[tuple[str, str, Getter | None, list[int]]]
    """(namespace, name, value getter or None to count, indexes into dimension_sets)"""
    columns: list[tuple[str, str, str | None, list[int]]]
    """The same with value paths, for rows in bulk."""
    declared: list[dict[str, Dimension]]
    """Each dimension set's declaration, for rows in bulk."""
    seen: dict[tuple[Any, ...], int]
    """Each distinct dimension set's declaration -> its index."""


class MetricExtractor:
    """All declared metrics, compiled per the `(source, detail-type)` they read.

    >>> spec = MetricSpec(name="Utilization", namespace="Fabric/{environment}",
    ...     events=[("vigila.fabric", "Port Metrics")], value="detail.utilization",
    ...     dimensions=[{"Cluster": Dimension(path="detail.stream_id", split="/", index=0)}])
    >>> event = {"source": "vigila.fabric", "detail-type": "Port Metrics",
    ...          "time": "2026-11-23T10:00:00Z",
    ...          "detail": {"stream_id": "cluster-a/node-01/mlx5_0/1", "utilization": 42.0}}
    >>> [(p.namespace, p.dimensions, p.value)
    ...  for p in MetricExtractor([spec], "dev").datapoints(event)]
    [('Fabric/dev', {'Cluster': 'cluster-a'}, 42.0)]
    """

    def __init__(self, specs: list[MetricSpec], environment: str) -> None:
        self._plans: dict[tuple[str, str], _Plan] = {}
        for spec in specs:
            namespace = spec.namespace.format(environment=environment)
            value = getter(spec.value) if spec.value is not None else None
            for key in spec.events:
                plan = self._plans.setdefault(tuple(key), _Plan(  # type: ignore[arg-type]
                    dimension_sets=[], metrics=[], columns=[], declared=[], seen={}))
                indexes = []
                for dimensions in spec.dimensions:
                    same = tuple(sorted((n, d.path, d.split, d.index)
                                        for n, d in dimensions.items()))
                    if same not in plan.seen:
                        plan.seen[same] = len(plan.dimension_sets)
                        plan.dimension_sets.append(_dimension_set(dimensions))
                        plan.declared.append(dimensions)
                    indexes.append(plan.seen[same])
                plan.metrics.append((namespace, spec.name, value, indexes))
                plan.columns.append((namespace, spec.name, spec.value, indexes))

    def __bool__(self) -> bool:
        return bool(self._plans)

    def datapoints(self, event: dict[str, Any]) -> list[Datapoint]:
        """Every declared metric's datapoints for one event (a metric whose value is not
        a finite number gives none)."""
        plan = self._plans.get((event.get("source"), event.get("detail-type")))  # type: ignore[arg-type]
        if plan is None:
            return []
        timestamp = _timestamp(event.get("time"))
        if timestamp is None:
            return []
        dims = [_dimensions(d, event) for d in plan.dimension_sets]
        points = []
        for namespace, name, get, indexes in plan.metrics:
            value = 1.0
            if get is not None:
                found = get(event)
                if found.__class__ is not float and found.__class__ is not int:
                    continue
                value = float(found)
                if not math.isfinite(value):
                    continue
            for index in indexes:
                if dims[index] is not None:
                    points.append(Datapoint(namespace, name, dims[index], timestamp, value))
        return points


    def extract(self, rows: Rows) -> PointBatch | None:
        """`datapoints` of every row at once, in columns (None when no metric reads the
        kind): each dimension set and value path is read once for the whole batch."""
        plan = self._plans.get(rows.kind)
        if plan is None:
            return None
        times = np.array([math.nan if t is None else t for t in rows.event_times()],
                         dtype=np.float64)
        timed = ~np.isnan(times)
        codes = [_dimension_codes(declared, rows, len(times)) for declared in plan.declared]
        keys: list[SeriesKey] = []
        series, stamps, values = [], [], []
        for namespace, name, path, indexes in plan.columns:
            if path is None:
                found, wanted = np.ones(len(times)), timed
            else:
                found = np.array([number_or_nan(v) for v in rows.values(path)],
                                 dtype=np.float64)
                wanted = timed & np.isfinite(found)
            for index in indexes:
                code, distinct = codes[index]
                take = np.flatnonzero(wanted & (code >= 0))
                series.append(code[take] + len(keys))
                keys += [(namespace, name, dims) for dims in distinct]
                stamps.append(times[take])
                values.append(found[take])
        return PointBatch(keys, np.concatenate(series), np.concatenate(stamps),
                          np.concatenate(values))


def _dimension_codes(declared: dict[str, Dimension], rows: Rows, count: int
                     ) -> tuple[np.ndarray, list[tuple[tuple[str, str], ...]]]:
    """For each of the `count` rows, the index of its dimension pairs among the distinct
    ones returned (-1 when one is missing), pairs sorted as `series_key` sorts them."""
    names = sorted(declared)
    columns = [_dimension_texts(declared[name], rows.values(declared[name].path))
               for name in names]
    seen: dict[tuple[tuple[str, str], ...], int] = {}
    codes = np.full(count, -1, np.int64)
    for row, texts in enumerate(zip(*columns, strict=True) if columns else [()] * count):
        if None in texts:
            continue
        pairs = tuple(zip(names, texts, strict=True))
        code = seen.get(pairs)
        if code is None:
            code = seen[pairs] = len(seen)
        codes[row] = code
    return codes, list(seen)


def _dimension_texts(dimension: Dimension, found: list[Any]) -> list[str | None]:
    """The dimension's text for each value (None when it has none), worked out once
    per distinct value."""
    cache: dict[tuple[type, Any], str | None] = {}
    out: list[str | None] = []
    for value in found:
        key = (value.__class__, value)  # False == 0, yet their texts differ
        try:
            text = cache[key]
        except KeyError:
            text = cache[key] = _text(value, dimension.split, dimension.index)
        except TypeError:  # a list or dict: unhashable, and never a dimension
            text = None
        out.append(text)
    return out


def _text(value: Any, split: str | None, index: int) -> str | None:
    """A dimension's text from the value at its path, or None when it has none."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value)
    if split is None:
        return text
    parts = text.split(split)
    return parts[index] if -len(parts) <= index < len(parts) else None


def number_or_nan(value: Any) -> float:
    """A JSON number (never a bool) as a float; NaN for anything else."""
    cls = value.__class__
    return float(value) if cls is float or cls is int else math.nan


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None
