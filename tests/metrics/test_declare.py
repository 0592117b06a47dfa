"""Metrics declared by packs, extracted from events as the pipeline sees them."""

from __future__ import annotations

import math

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from vigila.events.envelope import Event
from vigila.events.schemas import DetailSchemas
from vigila.metrics.declare import Dimension, MetricExtractor, MetricSpec
from vigila.pipeline.batch import EntitySlots, Group

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


# -- in bulk: the same points from a batch of events --------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                     st.floats(allow_nan=True, allow_infinity=True),
                     st.sampled_from(["a/b/c", "x", "", "cluster-b/n/1"]))
_details = st.fixed_dictionaries({}, optional={
    "stream_id": st.one_of(_scalars, st.lists(st.integers(), max_size=2)),
    "utilization": _scalars, "nested": st.dictionaries(st.sampled_from(["v", "w"]), _scalars),
})


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_details, st.booleans()), max_size=12))
def test_extract_in_bulk_gives_the_points_of_each_event(rows):
    """The columnar path against the one-event path, on plain (untyped) details."""
    specs = [spec("Utilization", "detail.utilization"), spec("Count", None),
             spec("Nested", "detail.nested.v", [{"W": Dimension(path="detail.nested.w")}, {}]),
             spec("Source", "detail.utilization", [{"S": Dimension(path="source")}])]
    events = [{**event(), "detail": detail} if timed else
              {k: v for k, v in {**event(), "detail": detail}.items() if k != "time"}
              for detail, timed in rows]
    events = [msgspec.json.decode(msgspec.json.encode(e)) for e in events]  # JSON has no inf
    metrics = extractor(*specs)
    expected = sorted((p.name, sorted(p.dimensions.items()), p.timestamp, p.value)
                      for e in events for p in metrics.datapoints(e))
    group = Group(EVENTS[0], DetailSchemas(), None, EntitySlots())
    for i, e in enumerate(events):
        group.add(i, msgspec.json.decode(msgspec.json.encode(e), type=Event[msgspec.Raw]), 0)
    got = metrics.extract(group)
    assert got is not None
    assert sorted((got.keys[s][1], list(got.keys[s][2]), t, v) for s, t, v in zip(
        got.series.tolist(), got.timestamps.tolist(), got.values.tolist(), strict=True)
    ) == expected


def test_extract_reads_typed_details_by_their_json_names():
    class Detail(msgspec.Struct, rename={"util": "utilization"}):
        stream_id: str
        util: float

    group = Group(EVENTS[0], DetailSchemas(), None, EntitySlots())
    head = msgspec.json.decode(msgspec.json.encode(event(utilization=7.5)),
                               type=Event[msgspec.Raw])
    group.add(0, head, 0)
    group._rows = [msgspec.structs.replace(head, detail=msgspec.json.decode(
        head.detail, type=Detail))]
    got = extractor(spec("Utilization", "detail.utilization")).extract(group)
    assert got.values.tolist() == [7.5, 7.5]
    assert [got.keys[s][2] for s in got.series.tolist()] == [
        (("Cluster", "cluster-a"), ("StreamId", "cluster-a/node-01/mlx5_0/1")),
        (("Cluster", "cluster-a"),)]


def test_extract_ignores_kinds_no_metric_reads():
    group = Group(("app", "Other"), DetailSchemas(), None, EntitySlots())
    assert extractor(spec("Utilization", "detail.utilization")).extract(group) is None
