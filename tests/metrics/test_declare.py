"""Metrics declared by packs, extracted from events as the pipeline sees them."""

from __future__ import annotations

import math

from vigila.metrics.declare import Dimension, MetricExtractor, MetricSpec

EVENTS = [("vigila.fabric", "Port Metrics")]
PER_PORT = {"Cluster": Dimension(path="detail.stream_id", split="/", index=0),
            "StreamId": Dimension(path="detail.stream_id")}
PER_CLUSTER = {"Cluster": Dimension(path="detail.stream_id", split="/", index=0)}


def event(**detail):
    return {"source": "vigila.fabric", "detail-type": "Port Metrics",
            "time": "2026-11-23T10:00:00Z",
            "detail": {"stream_id": "cluster-a/node-01/mlx5_0/1", **detail}}


def extractor(*specs):
    return MetricExtractor(list(specs), "prod")


def spec(name, value, dimensions=(PER_PORT, PER_CLUSTER)):
    return MetricSpec(name=name, namespace="Fabric/{environment}", events=EVENTS,
                      value=value, dimensions=list(dimensions))


def test_each_metric_once_per_dimension_set():
    points = extractor(spec("Utilization", "detail.utilization"),
                       spec("Latency", "detail.latency")).datapoints(
        event(utilization=41.5, latency=3))
    assert [(p.name, p.dimensions, p.value) for p in points] == [
        ("Utilization", {"Cluster": "cluster-a", "StreamId": "cluster-a/node-01/mlx5_0/1"},
         41.5),
        ("Utilization", {"Cluster": "cluster-a"}, 41.5),
        ("Latency", {"Cluster": "cluster-a", "StreamId": "cluster-a/node-01/mlx5_0/1"}, 3.0),
        ("Latency", {"Cluster": "cluster-a"}, 3.0),
    ]
    assert {p.namespace for p in points} == {"Fabric/prod"}
    assert points[0].timestamp == 1795428000.0


def test_values_that_are_not_finite_numbers_give_no_datapoint():
    ex = extractor(spec("U", "detail.u"))
    for bad in (True, "41", None, math.nan, math.inf, {"x": 1}, [1]):
        assert ex.datapoints(event(u=bad)) == [], bad
    assert len(ex.datapoints(event(u=0))) == 2


def test_a_dimension_without_a_value_drops_only_its_series():
    ex = extractor(spec("U", "detail.u", [
        {"Rack": Dimension(path="detail.rack")}, PER_CLUSTER,
        {"Port": Dimension(path="detail.stream_id", split="/", index=7)}]))
    assert [p.dimensions for p in ex.datapoints(event(u=1))] == [{"Cluster": "cluster-a"}]
    hostile = event(u=1)
    hostile["detail"]["stream_id"] = {"nested": "object"}
    assert ex.datapoints(hostile) == []


def test_counts_events_without_a_value_and_ignores_other_events():
    ex = extractor(MetricSpec(name="Seen", namespace="N", events=EVENTS))
    assert [(p.dimensions, p.value) for p in ex.datapoints(event())] == [({}, 1.0)]
    assert ex.datapoints({**event(), "detail-type": "Other"}) == []
    assert ex.datapoints({**event(), "time": "not a time"}) == []
    assert ex.datapoints({"detail": "no source"}) == []
