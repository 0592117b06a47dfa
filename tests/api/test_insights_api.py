import json
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from tests.support import T0, body, drain, make_config
from vigila.api.app import create_app
from vigila.clock import ManualClock
from vigila.packs.fabric.simulator import simulate
from vigila.runtime import Runtime


def incidents(rt, faults, count=8 * 200):
    events = list(simulate(nodes=4, ports=2, seed=4, start=T0, interval=10.0, count=count,
                           faults=faults))
    rt.ingest.ingest(body(events), rt.log.append, rt.store.add_dead_letters)
    while drain(rt):
        pass


@pytest.fixture
def loaded(tmp_path):
    rt = Runtime(make_config(tmp_path), clock=ManualClock(T0))
    incidents(rt, "connection_instability@3:1200+120*1.0,latency_spike@5:1300+60*0.3")
    yield rt
    rt.stop()


def test_recent_filters_and_lookup(loaded):
    with TestClient(create_app(loaded)) as client:
        items = client.get("/v1/insights/recent").json()["items"]
        types = {i["prediction_type"] for i in items}
        assert {"connection_instability", "latency_spike"} <= types
        times = [i["created_at"] for i in items]
        assert times == sorted(times, reverse=True)
        critical = client.get("/v1/insights/recent", params={"min_risk": 80}).json()["items"]
        assert critical and all(i["risk_score"] >= 80 for i in critical)
        only = client.get("/v1/insights/recent", params={"type": "latency_spike"}).json()
        assert {i["prediction_type"] for i in only["items"]} == {"latency_spike"}
        one = items[0]
        assert client.get(f"/v1/insights/{one['insight_id']}").json() == one
        assert client.get("/v1/insights/nope").status_code == 404
        assert client.get("/v1/insights/recent", params={"min_risk": 101}).status_code == 422


def test_the_stream_delivers_new_insights_live(tmp_path):
    rt = Runtime(make_config(tmp_path), clock=ManualClock(T0))
    rt.start(pipeline=False)
    server = uvicorn.Server(uvicorn.Config(create_app(rt), port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    received: list[dict] = []

    def listen() -> None:
        with httpx.stream("GET", f"{url}/v1/insights/stream", params={"min_risk": 80},
                          headers={"last-event-id": "0"}, timeout=20) as response:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
                    return

    listener = threading.Thread(target=listen)
    listener.start()
    try:
        incidents(rt, "connection_instability@3:1200+120*1.0")
        listener.join(15)
        assert received and received[0]["prediction_type"] == "connection_instability"
    finally:
        server.should_exit = True
        thread.join(10)
        rt.stop()


def test_critical_insights_reach_the_configured_targets(tmp_path):
    from tests.receiver import Receiver

    receiver = Receiver()
    cfg = make_config(tmp_path, targets={"oncall": {"type": "webhook", "url": receiver.url}},
                      **{"alerting.critical_insight_targets": ["oncall"]})
    rt = Runtime(cfg, clock=ManualClock(T0))
    try:
        incidents(rt, "connection_instability@3:1200+120*1.0,latency_spike@5:1300+60*0.3")
        rt.dispatcher.run_once()
        (delivered,) = [json.loads(b) for b in receiver.bodies()]
        assert delivered["detail-type"] == "Critical Insight"
        assert delivered["detail"]["prediction_type"] == "connection_instability"
        assert rt.rules.all()["critical-insights"][1] == "builtin"
    finally:
        rt.stop()
        receiver.stop()
