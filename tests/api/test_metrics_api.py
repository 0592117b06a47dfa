import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.support import T0, body, drain, make_config
from vigila.api.app import create_app
from vigila.clock import ManualClock
from vigila.packs.fabric.simulator import simulate
from vigila.runtime import Runtime

START = T0 - T0 % 3600  # an hour boundary, so periods line up


def iso(t):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).isoformat()


def fabric(count, seed=2, faults=""):
    return list(simulate(nodes=4, ports=2, seed=seed, start=START, interval=10.0, count=count,
                         faults=faults))


@pytest.fixture
def loaded(tmp_path):
    clock = ManualClock(START)
    rt = Runtime(make_config(tmp_path), clock=clock)
    events = fabric(8 * 60)  # 10 minutes of 8 ports
    rt.ingest.ingest(body(events), rt.log.append, rt.store.add_dead_letters)
    drain(rt)
    clock.set(START + 15 * 60)
    rt.tick()
    yield rt, events, tmp_path
    rt.stop()


def query(client, **params):
    response = client.get("/v1/metrics/query", params=params)
    assert response.status_code == 200, response.text
    return response.json()["datapoints"]


def test_per_cluster_and_per_port_statistics_match_the_events(loaded):
    rt, events, _ = loaded
    with TestClient(create_app(rt)) as client:
        start, end = iso(START), iso(START + 600)
        points = query(client, namespace="Fabric/dev", name="Utilization", statistic="Average",
                       dimension="Cluster=cluster-a", period=60, start=start,
                       end=end)
        assert len(points) == 10
        first_minute = [e["detail"]["utilization"] for e in events[:48]]
        assert points[0]["value"] == pytest.approx(np.mean(first_minute), rel=1e-9)
        port = "cluster-a/node-01/mlx5_0/1"
        latencies = [e["detail"]["latency_p99"] for e in events if e["resources"] == [port]]
        (p99,) = query(client, namespace="Fabric/dev", name="LatencyP99", statistic="p99",
                       dimension=["Cluster=cluster-a", f"StreamId={port}"], period=600,
                       start=start, end=end)
        assert p99["value"] == pytest.approx(np.percentile(latencies, 99), rel=0.03)
        (count,) = query(client, namespace="Fabric/dev", name="Utilization",
                         statistic="SampleCount", dimension="Cluster=cluster-a", period=600,
                         start=start, end=end)
        assert count["value"] == 480
        listed = client.get("/v1/metrics", params={"name": "Utilization"}).json()["items"]
        assert len(listed) == 9  # 8 ports and their cluster


def test_buckets_survive_a_restart(loaded):
    rt, _, tmp_path = loaded
    rt.stop()
    again = Runtime(make_config(tmp_path), clock=ManualClock(START + 20 * 60))
    try:
        points = again.metrics_engine.query("Fabric/dev", "Utilization", {"Cluster": "cluster-a"},
                                            START, START + 600, 60, "SampleCount")
        assert [v for _, v in points] == [48.0] * 10
    finally:
        again.stop()


def test_self_monitoring_metrics(loaded):
    rt, _, _ = loaded
    rt.clock.advance(120)
    rt.tick()
    rt.clock.advance(120)
    rt.tick()
    names = {n for ns, n, _ in rt.metrics_engine.series() if ns == "Vigila/dev"}
    assert {"ConsumerLagRecords", "IteratorAgeSeconds", "DeadLetters", "IngestAccepted",
            "IngestRejected", "NotificationFailures"} <= names


@pytest.mark.parametrize(("params", "message"), [
    ({"statistic": "Median"}, "statistic"),
    ({"period": 7}, "period"),
    ({"dimension": "nope"}, "is not NAME=VALUE"),
])
def test_bad_queries_are_400(loaded, params, message):
    rt, _, _ = loaded
    with TestClient(create_app(rt)) as client:
        response = client.get("/v1/metrics/query", params={
            "namespace": "Fabric/dev", "name": "Utilization", **params})
        assert response.status_code == 400 and message in response.json()["error"]["message"]
