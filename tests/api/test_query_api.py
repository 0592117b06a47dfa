import json

import pytest
from fastapi.testclient import TestClient

from tests.support import T0, body, drain, fabric_event, plain_event
from vigila.api.app import create_app


@pytest.fixture
def api(runtime):
    runtime.start(pipeline=False)
    with TestClient(create_app(runtime), raise_server_exceptions=False) as c:
        yield c


def post(api, events):
    return api.post("/v1/events", content=body(events)).json()


def test_filters_and_cursor_pagination(api, runtime):
    post(api, [plain_event(i, time=f"2026-01-01T00:00:{i:02d}Z") for i in range(25)])
    post(api, [fabric_event(i) for i in range(5)])
    drain(runtime)
    pages, cursor = [], None
    while True:
        params = {"source": "app.orders", "limit": 10, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/events", params=params).json()
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [10, 10, 5]
    ns = [e["detail"]["n"] for p in pages for e in p]
    assert ns == list(range(24, -1, -1))  # newest first, each once
    by_type = api.get("/v1/events", params={"detail-type": "Port Metrics"}).json()["items"]
    assert len(by_type) == 5
    by_resource = api.get("/v1/events", params={"resource": "order-7"}).json()["items"]
    assert [e["detail"]["n"] for e in by_resource] == [7]
    window = api.get("/v1/events", params={"start": "2026-01-01T00:00:10Z",
                                           "end": "2026-01-01T00:00:15Z"}).json()["items"]
    assert sorted(e["detail"]["n"] for e in window) == [10, 11, 12, 13, 14]


def test_get_one_event_and_404(api, runtime):
    (event_id,) = post(api, [plain_event(3)])["ids"]
    drain(runtime)
    assert api.get(f"/v1/events/{event_id}").json()["detail"] == {"n": 3}
    missing = api.get("/v1/events/nope")
    assert missing.status_code == 404 and "'nope'" in missing.json()["error"]["message"]


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 100000}, {"cursor": "abc"}, {"cursor": "9" * 50}, {"cursor": "1.x"},
    {"start": "not a time"}, {"start": "2026-01-01T00:00:00"},
])
def test_bad_query_parameters_are_4xx(api, params):
    response = api.get("/v1/events", params=params)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["message"]


def test_dead_letter_replay(api, runtime):
    post(api, [{"source": "s", "detail-type": "t"}])  # no detail: rejected
    (letter,) = api.get("/v1/deadletters").json()["items"]
    result = api.post("/v1/deadletters/replay", json={"ids": [letter["id"], 999]}).json()
    assert result["missing"] == [999]
    (outcome,) = result["outcomes"]
    assert not outcome["replayed"] and "rejected again" in outcome["result"]
    assert len(api.get("/v1/deadletters").json()["items"]) == 1


def test_replaying_a_processing_failure_reprocesses_the_event(api, runtime):
    from vigila.store.base import DeadLetter

    event = json.dumps(plain_event(5, id="evt-5")).encode()
    (letter_id,) = runtime.store.add_dead_letters([DeadLetter(
        stage="process:doubler", reason="boom", raw=event, raw_size=len(event),
        at_ms=int(T0 * 1000), event_id="evt-5")])
    result = api.post("/v1/deadletters/replay", json={"ids": [letter_id]}).json()
    assert result["outcomes"][0]["replayed"]
    drain(runtime)
    assert api.get("/v1/events/evt-5").status_code == 200
    assert api.get("/v1/deadletters").json()["items"] == []
    replayed = api.get("/v1/deadletters", params={"include_replayed": True}).json()["items"]
    assert replayed[0]["replay_result"] == "re-queued event evt-5"


def test_truncated_dead_letters_cannot_be_replayed(tmp_path, clock):
    from tests.support import make_config
    from vigila.runtime import Runtime

    rt = Runtime(make_config(tmp_path, **{"ingest.deadletter_raw_cap": 10}), clock=clock)
    rt.start(pipeline=False)
    try:
        with TestClient(create_app(rt)) as api:
            api.post("/v1/events", content=body([{"source": 1, "detail-type": "long enough"}]))
            (letter,) = api.get("/v1/deadletters").json()["items"]
            assert letter["truncated"] and len(letter["raw"]) == 10
            outcome = api.post("/v1/deadletters/replay",
                               json={"ids": [letter["id"]]}).json()["outcomes"][0]
            assert "only 10 of" in outcome["result"]
    finally:
        rt.stop()
