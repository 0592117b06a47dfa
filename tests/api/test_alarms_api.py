"""Alarms end to end: metrics from events, M of N, events on the bus, actions delivered."""

import json

import pytest
from fastapi.testclient import TestClient

from tests.support import T0, body, drain, fabric_event, make_config
from vigila.api.app import create_app
from vigila.clock import ManualClock
from vigila.runtime import Runtime
from vigila.store.base import EventQuery

START = T0 - T0 % 3600
HOT = {"namespace": "Fabric/dev", "metric_name": "Utilization",
       "dimensions": {"Cluster": "cluster-a"}, "statistic": "Maximum", "period": 60,
       "evaluation_periods": 5, "datapoints_to_alarm": 3,
       "comparison_operator": "GreaterThanThreshold", "threshold": 80,
       "treat_missing_data": "notBreaching", "alarm_actions": ["oncall"],
       "ok_actions": ["oncall"]}


@pytest.fixture
def setup(tmp_path, receiver):
    clock = ManualClock(START)
    cfg = make_config(tmp_path, targets={"oncall": {"type": "webhook", "url": receiver.url}},
                      rules=[{"name": "alarm-changes", "pattern": {"source": ["vigila.alarms"]},
                              "targets": [{"type": "store", "collection": "alarm-log"}]}],
                      **{"alerting.late_data_delay_seconds": 0})
    rt = Runtime(cfg, clock=clock)
    yield rt, clock
    rt.stop()


def minute(rt, clock, utilization):
    """One minute of one port at `utilization`, processed; then a tick."""
    at = clock.now()
    events = [fabric_event(1, utilization=utilization, timestamp=_iso(at + s)) | {
        "time": _iso(at + s)} for s in (0, 20, 40)]
    rt.ingest.ingest(body(events), rt.log.append, rt.store.add_dead_letters)
    drain(rt)
    clock.advance(60)
    rt.metrics_engine.tick()
    rt.alarms.tick()
    drain(rt)
    rt.dispatcher.run_once()


def _iso(t):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).isoformat()


def test_three_of_five_breaching_minutes_raise_the_alarm_and_its_actions(setup, receiver):
    rt, clock = setup
    with TestClient(create_app(rt)) as client:
        assert client.put("/v1/alarms/hot-cluster", json=HOT).status_code == 201
        states = []
        for u in (50, 90, 50, 95, 50, 99, 50, 40, 40, 40, 40, 40):
            minute(rt, clock, u)
            states.append(client.get("/v1/alarms/hot-cluster").json()["state"])
        assert states[:5] == ["OK"] * 5
        assert "ALARM" in states and states[-1] == "OK"
        first_alarm = states.index("ALARM")
        assert first_alarm == 5  # the third breaching minute of five
        bodies = [json.loads(b) for b in receiver.bodies()]
        # CloudWatch runs OK actions on any transition to OK, the first one included
        assert [b["detail"]["state"]["value"] for b in bodies] == ["OK", "ALARM", "OK"]
        assert bodies[1]["detail-type"] == "Alarm State Change"
        assert bodies[1]["detail"]["previousState"]["value"] == "OK"
        routed = rt.store.outputs("route:alarm-log", limit=100)
        assert len(routed) >= 3  # INSUFFICIENT_DATA->OK, OK->ALARM, ALARM->OK, on the bus
        stored = rt.events.query(EventQuery(source="vigila.alarms", limit=100)).items
        names = {json.loads(e.data)["detail"]["alarmName"] for e in stored}
        assert "hot-cluster" in names and "vigila-dev-processing-health" in names
        history = client.get("/v1/alarms/hot-cluster/history").json()["items"]
        assert any("to ALARM" in h["summary"] for h in history)


def test_set_state_fires_actions_and_validation(setup, receiver):
    rt, _ = setup
    with TestClient(create_app(rt)) as client:
        client.put("/v1/alarms/hot-cluster", json=HOT)
        response = client.post("/v1/alarms/hot-cluster/state",
                               json={"value": "ALARM", "reason": "testing the pager"})
        assert response.status_code == 200 and response.json()["alarm"]["state"] == "ALARM"
        rt.dispatcher.run_once()
        (delivered,) = [json.loads(b) for b in receiver.bodies()]
        assert delivered["detail"]["state"]["reason"] == "testing the pager"
        assert client.post("/v1/alarms/hot-cluster/state",
                           json={"value": "PANIC", "reason": "x"}).status_code == 400
        assert client.post("/v1/alarms/nope/state",
                           json={"value": "OK", "reason": "x"}).status_code == 404


def test_builtin_alarms_and_composites_are_there_and_read_only(setup):
    rt, _ = setup
    with TestClient(create_app(rt)) as client:
        items = {a["name"]: a for a in client.get("/v1/alarms").json()["items"]}
        assert any(n.endswith("processing-health") for n in items)
        assert any(n.endswith("system-capacity") for n in items)
        composite = next(a for n, a in items.items() if n.endswith("processing-health"))
        assert composite["type"] == "CompositeAlarm" and composite["origin"] == "builtin"
        name = composite["name"]
        assert client.delete(f"/v1/alarms/{name}").status_code == 409


@pytest.mark.parametrize(("spec", "status", "message"), [
    ({**HOT, "period": 45}, 400, "period"),
    ({**HOT, "alarm_actions": ["pager-nobody-set-up"]}, 400, "unknown action target"),
    ({**HOT, "comparison_operator": "Bigger"}, 400, "comparison_operator"),
    ({"rule": "ALARM(hot-cluster) AND", "alarm_actions": []}, 400, ""),
    ({"rule": "ALARM(missing-one)"}, 400, ""),
])
def test_invalid_alarms(setup, spec, status, message):
    rt, _ = setup
    with TestClient(create_app(rt)) as client:
        client.put("/v1/alarms/hot-cluster", json=HOT)
        response = client.put("/v1/alarms/new-alarm", json=spec)
        assert response.status_code == status, response.text
        assert message in response.json()["error"]["message"]


def test_api_alarms_survive_restart_and_delete(setup, tmp_path):
    rt, clock = setup
    with TestClient(create_app(rt)) as client:
        client.put("/v1/alarms/hot-cluster", json=HOT)
    rt.stop()
    again = Runtime(rt.config, clock=clock)
    try:
        with TestClient(create_app(again)) as client:
            assert client.get("/v1/alarms/hot-cluster").json()["origin"] == "api"
            assert client.delete("/v1/alarms/hot-cluster").status_code == 204
            assert client.get("/v1/alarms/hot-cluster").status_code == 404
    finally:
        again.stop()


def test_a_config_alarm_with_unknown_targets_stops_start_up(tmp_path):
    from vigila.config import ConfigError

    cfg = make_config(tmp_path, alarms=[{**HOT, "name": "x"}])
    with pytest.raises(ConfigError, match="unknown action target"):
        Runtime(cfg)
