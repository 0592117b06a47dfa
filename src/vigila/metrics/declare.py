"""Metrics that packs declare from events: which events, which value, which dimensions.

>>> spec = MetricSpec(name="Utilization", namespace="Fabric/{environment}",
...     events=[("vigila.fabric", "Port Metrics")], value="detail.utilization",
...     dimensions=[{"Cluster": Dimension(path="detail.stream_id", split="/", index=0)}])
>>> event = {"time": "2026-11-23T10:00:00Z",
...          "detail": {"stream_id": "cluster-a/node-01/mlx5_0/1", "utilization": 42.0}}
>>> [(p.namespace, p.dimensions, p.value) for p in spec.datapoints(event, 1.0, "dev")]
[('Fabric/dev', {'Cluster': 'cluster-a'}, 42.0)]
"""

from __future__ import annotations

import math
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

    def value_of(self, event: dict[str, Any]) -> str | None:
        found = _at(event, self.path)
        if found is None or isinstance(found, (dict, list)):
            return None
        text = str(found)
        if self.split is None:
            return text
        parts = text.split(self.split)
        return parts[self.index] if -len(parts) <= self.index < len(parts) else None


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

    def datapoints(self, event: dict[str, Any], timestamp: float,
                   environment: str) -> list[Datapoint]:
        """This metric's datapoints for one event (none when its value is not a number)."""
        if self.value is None:
            value = 1.0
        else:
            found = _at(event, self.value)
            if isinstance(found, bool) or not isinstance(found, (int, float)):
                return []
            value = float(found)
            if not math.isfinite(value):
                return []
        namespace = self.namespace.format(environment=environment)
        points = []
        for dimension_set in self.dimensions:
            dims = {name: dim.value_of(event) for name, dim in dimension_set.items()}
            if None not in dims.values():
                points.append(Datapoint(namespace, self.name, dims, timestamp,  # type: ignore[arg-type]
                                        value))
        return points


def _at(event: dict[str, Any], path: str) -> Any:
    value: Any = event
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


class MetricExtractor:
    """All declared metrics, indexed by the `(source, detail-type)` they read."""

    def __init__(self, specs: list[MetricSpec], environment: str) -> None:
        self._environment = environment
        self._by_event: dict[tuple[str, str], list[MetricSpec]] = {}
        for spec in specs:
            for key in spec.events:
                self._by_event.setdefault(tuple(key), []).append(spec)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return bool(self._by_event)

    def datapoints(self, event: dict[str, Any]) -> list[Datapoint]:
        specs = self._by_event.get((event.get("source"), event.get("detail-type")))  # type: ignore[arg-type]
        if not specs:
            return []
        timestamp = _timestamp(event.get("time"))
        if timestamp is None:
            return []
        return [p for spec in specs for p in spec.datapoints(event, timestamp, self._environment)]


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None
