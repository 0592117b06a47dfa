import pytest
from fastapi.testclient import TestClient

from tests.support import T0, body, drain, plain_event
from vigila.api.app import create_app


@pytest.fixture
def api(runtime):
    runtime.start(pipeline=False)
    with TestClient(create_app(runtime), raise_server_exceptions=False) as c:
        yield c


def test_partitions_show_lag_and_iterator_age(api, runtime, clock):
    api.post("/v1/events", content=body([plain_event(i) for i in range(40)]))
    clock.advance(30)
    parts = api.get("/v1/log/partitions").json()["partitions"]
    assert sum(p["lag"] for p in parts) == 40
    assert max(p["iterator_age_seconds"] for p in parts) == pytest.approx(30)
    drain(runtime)
    parts = api.get("/v1/log/partitions").json()["partitions"]
    assert all(p["lag"] == 0 and p["iterator_age_seconds"] == 0 for p in parts)


def test_prometheus_metrics(api, runtime):
    api.post("/v1/events", content=body([plain_event(1), {"source": 2}]))
    api.post("/v1/events", content=b"[", headers={"content-type": "application/json"})
    text = api.get("/metrics").text
    assert 'vigila_ingest_events_total{outcome="accepted"} 1.0' in text
    assert 'vigila_ingest_rejects_total{reason="malformed_body"} 1.0' in text
    assert 'vigila_ingest_rejects_total{reason="invalid_event"} 1.0' in text
    assert 'vigila_consumer_lag_records{group="pipeline"' in text
    assert "vigila_log_append_seconds_bucket" in text
    assert "vigila_dead_letters 1.0" in text
    assert "vigila_log_incoming_records_total" in text


def test_seek_to_earliest_replays_and_bad_seeks_are_400(api, runtime, clock):
    api.post("/v1/events", content=body([plain_event(i) for i in range(6)]))
    drain(runtime)
    response = api.post("/v1/log/seek", json={"to": "earliest"})
    assert response.status_code == 200
    assert sum(p["lag"] for p in api.get("/v1/log/partitions").json()["partitions"]) == 0
    assert drain(runtime) == 6
    for bad in ({"to": "yesterday"}, {"offsets": {"99": 0}}, {"offsets": {"0": -1}}, {},
                {"to": "2026-01-01T00:00:00"}, {"unknown": 1}):
        response = api.post("/v1/log/seek", json=bad)
        assert response.status_code == 400, bad
    future = api.post("/v1/log/seek", json={"to": "2030-01-01T00:00:00Z"}).json()
    assert future["positions"] == {str(s.partition): s.next for s in runtime.log.states()}


def test_health_and_readiness(client, runtime):
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").status_code == 200
    runtime.workers[0].stop()
    response = client.get("/readyz")
    assert response.status_code == 503 and "worker 0 stopped" in response.json()["problems"]


def test_openapi_lists_the_endpoints(api):
    paths = api.get("/openapi.json").json()["paths"]
    for path in ("/v1/events", "/v1/deadletters", "/v1/deadletters/replay", "/healthz",
                 "/v1/log/partitions", "/v1/log/seek"):
        assert path in paths
    assert api.get("/docs").status_code == 200
    body = api.get("/openapi.json").json()
    schema = body["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    assert schema["schema"]["items"] == {"$ref": "#/components/schemas/Event"}
    event = body["components"]["schemas"]["Event"]
    assert event["required"] == ["source", "detail-type", "detail"]


def test_retention_trims_log_and_store(runtime, clock):
    runtime.ingest.ingest(body([plain_event(1)]), runtime.log.append,
                          runtime.store.add_dead_letters)
    drain(runtime)
    clock.set(T0 + 8 * 86_400)  # dev keeps 7 days
    assert runtime.enforce_retention() >= 2
    assert runtime.events.count() == 0
    assert runtime.log.states()[0].first == runtime.log.states()[0].next
