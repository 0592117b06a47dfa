import gzip
import json

import pytest

from tests.support import body, drain, fabric_event, plain_event


def post(client, data, ctype="application/json", **headers):
    return client.post("/v1/events", content=data, headers={"content-type": ctype, **headers})


def stored_count(client):
    return len(client.get("/v1/events", params={"limit": 1000}).json()["items"])


@pytest.fixture
def writer_only(runtime):
    """The writer runs; the pipeline is driven by the test."""
    runtime.start(pipeline=False)
    return runtime


@pytest.fixture
def api(writer_only):
    from fastapi.testclient import TestClient

    from vigila.api.app import create_app

    with TestClient(create_app(writer_only), raise_server_exceptions=False) as c:
        yield c


def test_accepts_array_ndjson_and_gzip(api, writer_only):
    assert post(api, body([plain_event(1), fabric_event(2)])).status_code == 200
    nd = b"\n".join(json.dumps(plain_event(i)).encode() for i in range(3, 6))
    assert post(api, nd, "application/x-ndjson").json()["accepted"] == 3
    gz = gzip.compress(body([plain_event(9)]))
    assert post(api, gz, **{"content-encoding": "gzip"}).json()["accepted"] == 1
    drain(writer_only)
    assert stored_count(api) == 6


def test_same_id_twice_is_stored_once(api, writer_only):
    event = plain_event(1, id="order-1-placed")
    first = post(api, body([event])).json()
    second = post(api, body([event, event])).json()
    assert (first["accepted"], first["duplicates"]) == (1, 0)
    assert (second["accepted"], second["duplicates"]) == (2, 2)
    drain(writer_only)
    assert stored_count(api) == 1


def test_events_sent_back_with_the_ids_vigila_gave_them_are_duplicates(api, writer_only):
    given = post(api, body([plain_event(i) for i in range(5)])).json()["ids"]
    drain(writer_only)
    exported = api.get("/v1/events", params={"limit": 1000}).json()["items"]
    assert sorted(e["id"] for e in exported) == sorted(given)
    again = post(api, json.dumps(exported).encode()).json()
    assert (again["accepted"], again["duplicates"]) == (5, 5)
    mixed = post(api, body([plain_event(7), {**exported[0], "id": exported[0]["id"].upper()}]))
    assert mixed.json()["duplicates"] == 0  # another spelling is another id
    drain(writer_only)
    assert stored_count(api) == 7


def test_partial_batch_is_207_and_rejects_go_to_dead_letters(api, writer_only):
    events = [plain_event(0), {"source": 1}, plain_event(2), fabric_event(3, utilization=150)]
    response = post(api, body(events))
    assert response.status_code == 207
    result = response.json()
    assert result["accepted"] == 2
    assert [(r["index"], r["error"]) for r in result["rejected"]] == [
        (1, "Expected `str`, got `int` - at `$[1].source`"),
        (3, "Expected `float` <= 100.0 - at `$[3].detail.utilization`"),
    ]
    letters = api.get("/v1/deadletters").json()["items"]
    assert {json.loads(x["raw"]).get("source") for x in letters} == {1, "vigila.fabric"}
    assert all(x["stage"] == "ingest" for x in letters)


def test_all_rejected_is_422(api):
    response = post(api, body([{"source": 1}]))
    assert response.status_code == 422 and response.json()["accepted"] == 0


@pytest.mark.parametrize(("data", "ctype", "headers", "status", "reason", "message"), [
    (b"[{", "application/json", {}, 400, "malformed_body", "not valid JSON"),
    (b"[]", "application/json", {}, 400, "empty_batch", "at least one event"),
    (b"", "application/json", {}, 400, "empty_batch", "at least one event"),
    (b"[NaN]", "application/json", {}, 400, "malformed_body", "not valid JSON"),
    (b"<xml/>", "application/xml", {}, 415, "unsupported_media_type", "application/xml"),
    (b"[]", "application/json", {"content-encoding": "br"}, 415, "unsupported_media_type",
     "'br'"),
    (b"\x1f\x8bnot gzip", "application/json", {"content-encoding": "gzip"}, 400,
     "malformed_body", "gzip"),
    (gzip.compress(b"[" + b" " * 60_000_000 + b"]", 1), "application/json",
     {"content-encoding": "gzip"}, 413, "body_too_large", "decompresses to more than"),
    (b"[" + b",".join([b"{}"] * 10_001) + b"]", "application/json", {}, 413,
     "batch_too_large", "10001 events; the limit is 10000"),
    (body([plain_event(i) for i in range(10_001)]), "application/json", {}, 413,
     "batch_too_large", "10001 events; the limit is 10000"),  # counted by the fast path
    (b"[]x", "application/json", {}, 400, "malformed_body", "not valid JSON"),
    (b"[" * 10_000 + b"]" * 10_000, "application/json", {}, 400, "malformed_body", "deeply"),
])
def test_whole_request_errors(api, writer_only, data, ctype, headers, status, reason,
                              message):
    response = post(api, data, ctype, **headers)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["reason"] == reason and message in error["message"]
    drain(writer_only)
    assert stored_count(api) == 0
    assert not api.get("/v1/deadletters").json()["items"]


def test_body_over_5_mib_is_413_and_nothing_before_is_lost(api, writer_only):
    assert post(api, body([plain_event(1)])).status_code == 200
    big = b"[" + b",".join([json.dumps(plain_event(0, detail={"x": "y" * 900})).encode()]
                          * 11_000) + b"]"
    assert len(big) > 10_000_000
    response = post(api, big)
    assert response.status_code == 413
    assert "limit is 5242880" in response.json()["error"]["message"]
    drain(writer_only)
    assert stored_count(api) == 1


def test_hostile_items_never_cause_5xx(api, writer_only):
    items = [
        b'{"source":"s","detail-type":"x","detail":{"n":1e999}}',
        b'{"source":"s","detail-type":"x","detail":{"n":123456789012345678901234567890}}',
        b'{"source":"s\xff\xfe","detail-type":"x","detail":{}}',
        b'{"source":"s","detail-type":"x","detail":{"a":' + b"[" * 5000 + b"]" * 5000 + b"}}",
        b'{"source":"s","detail-type":"x","detail":{"big":"' + b"x" * 300_000 + b'"}}',
        b'{"source":"s","detail-type":"x","detail":{},"time":"9999-99-99"}',
        b'{"source":"s","detail-type":"x","detail":{},"id":"' + b"i" * 300 + b'"}',
        b"null", b"[]", b"1", b"{}",
    ]
    response = post(api, b"\n".join(items), "application/x-ndjson")
    assert response.status_code == 422
    assert len(response.json()["rejected"]) == len(items)
    assert all(r["error"] for r in response.json()["rejected"])
    assert len(api.get("/v1/deadletters", params={"limit": 100}).json()["items"]) == len(items)


def test_backpressure_is_429_with_retry_after(tmp_path, clock):
    from fastapi.testclient import TestClient

    from tests.support import make_config
    from vigila.api.app import create_app
    from vigila.runtime import Runtime

    rt = Runtime(make_config(tmp_path, **{"log.max_lag_records": 5}), clock=clock)
    rt.start(pipeline=False)
    try:
        with TestClient(create_app(rt)) as api:
            assert post(api, body([plain_event(i) for i in range(6)])).status_code == 200
            response = post(api, body([plain_event(7)]))
            assert response.status_code == 429
            assert int(response.headers["retry-after"]) >= 1
            assert response.json()["error"]["reason"] == "backpressure"
            drain(rt)
            assert post(api, body([plain_event(7)])).status_code == 200
    finally:
        rt.stop()


def test_events_vigila_produces_cannot_be_forged(api):
    forged = [
        {"source": "vigila.insights", "detail-type": "Critical Insight",
         "detail": {"entity": "x", "risk_score": 100}},
        {"source": "vigila.alarms", "detail-type": "Alarm State Change", "detail": {}},
        {"source": "vigila.fabric", "detail-type": "Analysis Triggered", "detail": {}},
    ]
    reply = post(api, body([fabric_event(1), *forged, plain_event(2)])).json()
    assert reply["accepted"] == 2
    assert [r["index"] for r in reply["rejected"]] == [1, 2, 3]
    assert all("produced by vigila itself" in r["error"] and "$[" in r["error"]
               for r in reply["rejected"])


def test_bare_pack_details_are_wrapped_and_errors_name_the_items_as_sent(api, writer_only):
    good = fabric_event(3)["detail"]
    answer = api.post("/v1/packs/fabric/metrics",
                      content=json.dumps([good, {**good, "utilization": 150}, 7]),
                      headers={"content-type": "application/json"})
    assert answer.status_code == 207
    result = answer.json()
    assert result["accepted"] == 1
    assert [r["index"] for r in result["rejected"]] == [1, 2]
    assert result["rejected"][0]["error"].endswith("- at `$[1].utilization`")
    letters = api.get("/v1/deadletters", params={"limit": 10}).json()["items"]
    assert any(json.loads(letter["raw"]) == {**good, "utilization": 150} for letter in letters
               if letter.get("raw"))
    drain(writer_only)
    stored = api.get("/v1/events", params={"resource": good["stream_id"]}).json()["items"]
    assert [e["detail-type"] for e in stored] == ["Port Metrics"]
    assert api.post("/v1/packs/fabric/nothing", content=b"[]").status_code == 404


def test_pretty_printed_events_are_stored_one_per_record_and_mean_the_same(api, writer_only):
    """A newline inside a detail is whitespace; the log keeps one event per line."""
    events = [fabric_event(1), plain_event(2, detail={"a": {"b": [1, "x\ny"]}, "c": None}),
              plain_event(3, id="given-3", detail={"list": [1, 2, 3]})]
    pretty = json.dumps(events, indent=2).encode()
    assert post(api, pretty).json()["accepted"] == 3  # every item valid: the fast path
    minted = [plain_event(i, detail={"n": [i, i]}) for i in range(4, 6)]
    crlf = json.dumps(minted, indent=1).encode().replace(b"\n", b"\r\n")
    assert post(api, crlf).json()["accepted"] == 2
    mixed = json.dumps([plain_event(6, detail={"k": [6]}), {"source": 1}], indent=2).encode()
    assert post(api, mixed).status_code == 207  # one bad item: the per-item path
    drain(writer_only)
    stored = api.get("/v1/events", params={"limit": 100}).json()["items"]
    details = sorted((e["detail"] for e in stored), key=json.dumps)
    expected = [e["detail"] for e in [*events, *minted]] + [{"k": [6]}]
    assert details == sorted(expected, key=json.dumps)
    for state in writer_only.log.states():  # offsets and records agree, one line each
        records = writer_only.log.read(state.partition, 0, 100)
        assert [r.offset for r in records] == list(range(state.next))
        assert all(b"\n" not in r.data and b"\r" not in r.data for r in records)


def test_a_bare_line_cannot_set_envelope_fields_and_bad_bytes_are_placed_as_sent(api, writer_only):
    good = fabric_event(4)["detail"]
    line = json.dumps(good).encode()
    injected = line + b',"id":"chosen","resources":["other"],"time":"2001-01-01T00:00:00Z"'
    bad_text = line[:-1] + b', "note": "\xff"}'
    answer = api.post("/v1/packs/fabric/metrics", content=b"\n".join([line, injected, bad_text]),
                      headers={"content-type": "application/x-ndjson"})
    assert answer.status_code == 207
    rejected = answer.json()["rejected"]
    assert [r["index"] for r in rejected] == [1, 2]
    assert rejected[0]["error"].startswith("malformed JSON at $[1]")
    where = bad_text.index(b"\xff")  # in the item as sent
    assert rejected[1]["error"] == f"invalid UTF-8 at $[2], byte {where}: invalid start byte"
    drain(writer_only)
    stored = api.get("/v1/events", params={"limit": 10}).json()["items"]
    assert [(e["resources"], e["id"] != "chosen") for e in stored] == [([good["stream_id"]], True)]
