import pytest
from fastapi.testclient import TestClient

from tests.support import body, make_config, plain_event
from vigila.api.app import create_app
from vigila.api.auth import create_key, hash_key
from vigila.runtime import Runtime


@pytest.fixture
def secured(tmp_path, clock):
    rt = Runtime(make_config(tmp_path, profile="staging"), clock=clock)
    rt.start(pipeline=False)
    keys = {
        "writer": create_key(rt.store, "writer", ["ingest"], 0),
        "reader": create_key(rt.store, "reader", ["read"], 0),
        "admin": create_key(rt.store, "admin", ["admin"], 0),
    }
    with TestClient(create_app(rt)) as client:
        yield client, keys, rt
    rt.stop()


def auth(token):
    return {"authorization": f"Bearer {token}"}


def test_staging_requires_a_key(secured):
    client, _, _ = secured
    response = client.post("/v1/events", content=body([plain_event()]))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "API key is required" in response.json()["error"]["message"]
    assert client.get("/v1/events").status_code == 401


def test_unknown_and_revoked_keys_are_401(secured):
    client, keys, rt = secured
    assert client.get("/v1/events", headers=auth("vgl_nope")).status_code == 401
    assert client.get("/v1/events", headers=auth(keys["reader"])).status_code == 200
    assert rt.store.revoke_api_key("reader", 1)
    response = client.get("/v1/events", headers=auth(keys["reader"]))
    assert response.status_code == 401 and "revoked" in response.json()["error"]["message"]


def test_scopes_are_enforced_with_403(secured):
    client, keys, _ = secured
    ok = client.post("/v1/events", content=body([plain_event()]), headers=auth(keys["writer"]))
    assert ok.status_code == 200
    denied = client.get("/v1/events", headers=auth(keys["writer"]))
    assert denied.status_code == 403 and "'read' scope" in denied.json()["error"]["message"]
    assert client.post("/v1/events", content=body([plain_event()]),
                       headers=auth(keys["reader"])).status_code == 403
    assert client.post("/v1/deadletters/replay", json={"ids": []},
                       headers=auth(keys["reader"])).status_code == 403
    assert client.get("/v1/events", headers={"x-api-key": keys["admin"]}).status_code == 200


def test_keys_are_stored_hashed(secured):
    _, keys, rt = secured
    token = keys["writer"]
    stored = rt.store.api_key_by_hash(hash_key(token))
    assert stored.name == "writer" and stored.prefix == token[:10]
    raw = (rt.store._db.reader.execute("SELECT * FROM api_keys").fetchall())
    assert all(token not in str(row) for row in raw)


def test_health_and_metrics_need_no_key(secured):
    client, _, _ = secured
    assert client.get("/healthz").json()["resource"] == "vigila-staging-local"
    assert client.get("/metrics").status_code == 200


def test_unknown_scope_is_refused(secured):
    _, _, rt = secured
    with pytest.raises(ValueError, match="unknown scope"):
        create_key(rt.store, "x", ["root"], 0)


def test_a_revoked_key_ends_an_open_stream(tmp_path, clock, monkeypatch):
    import httpx

    from tests.server import InThread

    monkeypatch.setattr("vigila.api.sse.RECHECK_SECONDS", 0.5)
    rt = Runtime(make_config(tmp_path, profile="staging"), clock=clock)
    rt.start(pipeline=False)
    key = create_key(rt.store, "watcher", ["read"], 0)
    server = InThread(create_app(rt))
    try:
        with httpx.stream("GET", f"{server.url}/v1/insights/stream", headers={
                **auth(key), "last-event-id": "9" * 5000}, timeout=20) as response:
            assert response.status_code == 200, "an absurd Last-Event-ID is ignored"
            rt.store.revoke_api_key("watcher", 1)
            lines = list(response.iter_lines())  # returns only when the server ends it
        assert lines[0].startswith("retry:")
    finally:
        server.stop()
        rt.stop()
