import msgspec
import pytest

from tests.support import T0, body, drain, make_config
from vigila.clock import ManualClock
from vigila.packs.fabric.simulator import simulate
from vigila.runtime import Runtime
from vigila.store.base import EventQuery


@pytest.fixture
def rt(tmp_path):
    runtime = Runtime(make_config(tmp_path), clock=ManualClock(T0))
    yield runtime
    runtime.stop()


def feed(rt, faults, count=8 * 200, seed=4):
    events = list(simulate(nodes=4, ports=2, seed=seed, start=T0, interval=10.0, count=count,
                           faults=faults))
    rt.ingest.ingest(body(events), rt.log.append, rt.store.add_dead_letters)
    while drain(rt):
        pass
    return events


def insights(rt):
    return [msgspec.json.decode(o.data) for o in rt.store.outputs("insight", limit=1000)]


def test_an_incident_gives_one_insight_with_the_right_type_and_a_critical_event(rt):
    feed(rt, "connection_instability@3:1200+120*1.0")
    found = [i for i in insights(rt) if i["entity"] == "cluster-a/node-01/mlx5_1/1"]
    assert [i["prediction_type"] for i in found] == ["connection_instability"]
    (insight,) = found
    assert insight["risk_score"] >= 80 and insight["source"] == "analyst"
    assert 2 <= len(insight["recommendations"]) <= 4
    assert insight["evidence"]["counters"]["link_downed"] >= 1
    critical = rt.events.query(EventQuery(detail_type="Critical Insight")).items
    assert [e.resources for e in critical] == [["cluster-a/node-01/mlx5_1/1"]]
    assert rt.store.dead_letters().items == []


def test_reprocessing_writes_the_same_insight_once(rt):
    feed(rt, "rdma_timeout@2:1200+60*0.8")
    before = insights(rt)
    for worker in rt.workers:
        worker.runner.seek({p: 0 for p in range(rt.log.partitions)})
    while drain(rt):
        pass
    assert sorted(i["insight_id"] for i in insights(rt)) == sorted(
        i["insight_id"] for i in before)
