"""Metrics that packs declare from events: which events, which value, which dimensions."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from vigila.metrics.datapoint import Datapoint

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
        found = get(event)
        if found is None or isinstance(found, (dict, list)):
            return None
        text = str(found)
        if split is not None:
            parts = text.split(split)
            if not -len(parts) <= index < len(parts):
                return None
            text = parts[index]
        out[name] = text
    return out


class _Plan(msgspec.Struct):
    """What to extract from one `(source, detail-type)`: each distinct dimension set is
    read once per event, however many metrics share it."""

    dimension_sets: list[DimensionSet]
    metrics: list[tuple[str, str, Getter | None, list[int]]]
    """(namespace, name, value getter or None to count, indexes into dimension_sets)"""
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
                plan = self._plans.setdefault(tuple(key), _Plan([], [], {}))  # type: ignore[arg-type]
                indexes = []
                for dimensions in spec.dimensions:
                    same = tuple(sorted((n, d.path, d.split, d.index)
                                        for n, d in dimensions.items()))
                    if same not in plan.seen:
                        plan.seen[same] = len(plan.dimension_sets)
                        plan.dimension_sets.append(_dimension_set(dimensions))
                    indexes.append(plan.seen[same])
                plan.metrics.append((namespace, spec.name, value, indexes))

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


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None
