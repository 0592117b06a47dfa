"""Dashboards, packs and top-N over HTTP; the dashboard and alarm streams."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.server import InThread
from tests.support import T0, make_config
from vigila.api.app import create_app
from vigila.api.auth import create_key
from vigila.clock import ManualClock
from vigila.metrics.datapoint import Datapoint
from vigila.runtime import Runtime

RANGE = {"start": "2026-09-21T14:00:00Z", "end": "2026-09-21T14:15:00Z"}  # T0 is 14:13:20


def utilization(rt: Runtime) -> None:
    """Five minutes (what the rollups still accept late) of two ports of cluster-a, 70 % to
    99 %, ending at the clock."""
    rt.metrics_engine.add(
        Datapoint("Fabric/dev", "Utilization", dims, T0 - 300 + 10 * i, 70.0 + i)
        for i in range(30)
        for dims in ({"Cluster": "cluster-a"},
                     {"Cluster": "cluster-a", "StreamId": f"cluster-a/node-0{i % 2}/mlx5_0/1"}))


def test_packs_and_dashboards_are_listed(client: TestClient) -> None:
    packs = client.get("/v1/packs").json()["items"]
    assert [(p["name"], p["dashboard"]) for p in packs] == [("fabric", "fabric")]
    assert "Utilization" in packs[0]["metrics"]
    boards = client.get("/v1/dashboards").json()["items"]
    assert boards == [
        {"name": "fabric", "title": "InfiniBand fabric", "origin": "pack:fabric"},
        {"name": "system", "title": "System health", "origin": "builtin"}]


def test_a_declaration_is_served_for_this_environment(client: TestClient) -> None:
    board = client.get("/v1/dashboards/fabric").json()
    assert board["namespace"] == "Fabric/dev"
    latency = next(w for w in board["widgets"] if w["id"] == "latency")
    assert latency["kind"] == "percentiles"
    assert latency["query"]["namespace"] == "Fabric/dev"
    missing = client.get("/v1/dashboards/nope")
    assert missing.status_code == 404 and missing.json()["error"]["reason"] == "not_found"


def test_data_covers_the_range_asked(client: TestClient, started: Runtime) -> None:
    utilization(started)
    answer = client.get("/v1/dashboards/fabric/data", params=RANGE)
    assert answer.status_code == 200
    frame = answer.json()
    assert frame["period"] == 10 and frame["since"] == frame["start"]
    lines = frame["widgets"]["utilization"]["series"]
    assert [line["label"] for line in lines] == ["mean cluster-a", "max cluster-a"]
    assert lines[1]["points"][-1] == [T0 - 10, 99.0]
    assert frame["widgets"]["peak-utilization"] == {"value": 99.0, "level": "critical"}
    assert frame["widgets"]["llm-cost"] == {"value": 0.0, "level": None}
    rows = frame["widgets"]["anomalous-ports"]["rows"]
    assert rows == []


@pytest.mark.parametrize(("params", "reason"), [
    ({"start": RANGE["end"], "end": RANGE["start"]}, "bad_range"),
    ({"start": "2026-01-01T00:00:00Z", "end": RANGE["end"]}, "bad_range"),
    ({"start": "2026-09-21T14:00:00"}, "bad_time"),
    ({"start": "not a time"}, "invalid_request"),
])
def test_bad_ranges_are_refused(client: TestClient, params: dict, reason: str) -> None:
    answer = client.get("/v1/dashboards/system/data", params=params)
    assert answer.status_code in (400, 422)
    assert answer.json()["error"]["reason"] == reason


def test_top_ranks_series_by_a_dimension(client: TestClient, started: Runtime) -> None:
    utilization(started)
    answer = client.get("/v1/metrics/top", params={
        "namespace": "Fabric/dev", "name": "Utilization", "by": "StreamId",
        "dimension": ["Cluster=cluster-a", "StreamId=*"], "limit": 1})
    assert answer.status_code == 200
    assert answer.json()["items"] == [{"StreamId": "cluster-a/node-01/mlx5_0/1", "value": 99.0}]
    bad = client.get("/v1/metrics/top", params={"namespace": "Fabric/dev", "name": "Utilization",
                                                "by": "Cluster", "dimension": ["Cluster=x"]})
    assert bad.status_code == 400 and "'by'" in bad.json()["error"]["message"]


@pytest.mark.parametrize(("path", "params", "status"), [
    ("/v1/metrics/top", {"by": "A", "dimension": ["A"]}, 400),
    ("/v1/metrics/top", {"by": "A", "dimension": ["A=*"], "reduce": "median"}, 400),
    ("/v1/metrics/top", {"by": "A", "dimension": ["A=*"], "statistic": "p101"}, 400),
    ("/v1/metrics/top", {"by": "A", "dimension": ["A=*"], "limit": 0}, 422),
    ("/v1/metrics/top", {"dimension": ["A=*"]}, 422),
    ("/v1/dashboards/fabric/stream", {"window": 10}, 422),
    ("/v1/dashboards/fabric/stream", {"window": 10**9}, 422),
])
def test_malformed_queries_are_refused_before_any_work(client: TestClient, path: str,
                                                       params: dict, status: int) -> None:
    answer = client.get(path, params={"namespace": "Fabric/dev", "name": "Utilization", **params})
    assert answer.status_code == status
    assert answer.json()["error"]["message"]


def test_the_page_needs_no_key_but_the_dashboards_do(tmp_path: Path, clock: ManualClock) -> None:
    rt = Runtime(make_config(tmp_path, profile="staging"), clock=clock)
    token = create_key(rt.store, "reader", ["read"], 0)
    try:
        with TestClient(create_app(rt)) as client:
            assert client.get("/").status_code == 200
            assert client.get("/ui/config").json()["auth_required"] is True
            assert client.get("/v1/dashboards").status_code == 401
            assert client.get("/v1/dashboards/system/stream").status_code == 401
            assert client.get("/v1/alarms/stream").status_code == 401
            ok = client.get("/v1/dashboards", headers={"authorization": f"Bearer {token}"})
            assert ok.status_code == 200
    finally:
        rt.stop()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Runtime, str]]:
    rt = Runtime(make_config(tmp_path), clock=ManualClock(T0))
    rt.start(pipeline=False)
    server = InThread(create_app(rt))
    yield rt, server.url
    server.stop()
    rt.stop()


def events(url: str, count: int,
           on_first: Callable[[], object] = lambda: None) -> list[tuple[str, dict]]:
    """The first `count` events of a stream; `on_first` runs after the first arrives."""
    got: list[tuple[str, dict]] = []
    name = ""
    with httpx.stream("GET", url, timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                got.append((name, json.loads(line[6:])))
                if len(got) == 1:
                    on_first()
                if len(got) == count:
                    return got
    return got


def test_the_dashboard_stream_sends_the_window_then_tails(served: tuple[Runtime, str]) -> None:
    rt, url = served
    utilization(rt)
    (_, first), (_, second) = events(f"{url}/v1/dashboards/fabric/stream?window=900", 2)
    assert first["since"] == first["start"] == T0 - 900
    assert len(first["widgets"]["utilization"]["series"][0]["points"]) == 30
    assert second["since"] == T0 - 10
    assert [p[0] for p in second["widgets"]["utilization"]["series"][0]["points"]] == [T0 - 10]
    assert second["widgets"]["peak-utilization"]["value"] == 99.0


def test_the_alarm_stream_sends_the_list_and_each_change(served: tuple[Runtime, str]) -> None:
    rt, url = served
    name = "vigila-dev-consumer-lag"

    def change() -> None:
        rt.alarms.set_state(name, "ALARM", "drill")

    (kind, first), (_, second) = events(f"{url}/v1/alarms/stream", 2, on_first=change)
    assert kind == "alarms"
    states = {a["name"]: a["state"] for a in first["items"]}
    assert states[name] == "INSUFFICIENT_DATA"
    assert {a["name"]: a["state"] for a in second["items"]}[name] == "ALARM"


def test_top_refuses_naive_times_and_spans_over_15_days(client: TestClient) -> None:
    base = {"namespace": "Fabric/dev", "name": "AnomalyScore", "by": "StreamId",
            "dimension": "StreamId=*"}
    naive = client.get("/v1/metrics/top", params={**base, "start": "2026-11-23T10:00:00"})
    assert naive.status_code == 400 and "timezone" in naive.text
    long = client.get("/v1/metrics/top", params={**base, "start": "1970-01-01T00:27:33Z",
                                                  "end": "2026-11-23T10:00:00Z"})
    assert long.status_code == 400 and "15 days" in long.text


def test_the_first_frame_and_the_tails_share_one_period_grid(served: tuple[Runtime, str]
                                                             ) -> None:
    """An hour's window has 30 s periods, and the clock is not on that grid: the first
    frame must start on it, as the tails do, or merging them by timestamp zigzags."""
    rt, url = served
    utilization(rt)
    (_, first), (_, second) = events(f"{url}/v1/dashboards/fabric/stream?window=3600", 2)
    assert first["period"] == second["period"] == 30
    stamps = [p[0] for frame in (first, second)
              for p in frame["widgets"]["utilization"]["series"][0]["points"]]
    assert stamps and all(t % 30 == 0 for t in stamps), stamps[:5]
    assert first["start"] % 30 == 0 and first["start"] <= T0 - 3600
