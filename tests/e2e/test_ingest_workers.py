"""`ingest.workers`: bodies are decoded and appended in worker processes, with the same
answers, dead letters, dedup and processing as in the server's own process."""

from __future__ import annotations

import gzip
import json
import os
import signal
import time

import httpx
import pytest

from tests.server import Server
from tests.support import plain_event

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("workers"), env={"VIGILA_INGEST_WORKERS": "2"})
    yield running
    running.stop()


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def until_processed(client: httpx.Client) -> None:
    deadline = time.monotonic() + 30
    while sum(p["lag"] for p in client.get("/v1/log/partitions").json()["partitions"]):
        assert time.monotonic() < deadline, "the pipeline did not catch up"
        time.sleep(0.1)


def test_bodies_are_ingested_by_worker_processes(server, client):
    events = [plain_event(i, source="test.workers") for i in range(50)]
    answer = client.post("/v1/events", json=events)
    assert answer.status_code == 200 and answer.json()["accepted"] == 50
    assert server.children(), "no worker process was started"
    until_processed(client)
    stored = client.get("/v1/events", params={"source": "test.workers", "limit": 100}).json()
    assert sorted(e["id"] for e in stored["items"]) == sorted(answer.json()["ids"])
    metrics = client.get("/metrics").text
    assert 'vigila_ingest_events_total{outcome="accepted"}' in metrics


def test_item_errors_dead_letters_and_duplicates_come_back_from_a_worker(client):
    events = [plain_event(1, source="test.mixed", id="mixed-1"), {"source": 5},
              plain_event(2, source="test.mixed", id="mixed-1")]
    answer = client.post("/v1/events", json=events)
    assert answer.status_code == 207
    result = answer.json()
    assert (result["accepted"], result["duplicates"]) == (2, 1)
    assert [r["index"] for r in result["rejected"]] == [1]
    assert "`$[1].source`" in result["rejected"][0]["error"]
    letters = client.get("/v1/deadletters", params={"limit": 100}).json()["items"]
    assert any(letter["reason"] == result["rejected"][0]["error"] for letter in letters)


def test_an_exported_event_sent_back_is_a_duplicate_across_workers(client):
    ids = client.post("/v1/events", json=[plain_event(i, source="test.export")
                                          for i in range(20)]).json()["ids"]
    until_processed(client)
    exported = client.get("/v1/events", params={"source": "test.export", "limit": 100}
                          ).json()["items"]
    assert len(exported) == 20
    again = [client.post("/v1/events", json=exported).json()["duplicates"] for _ in range(3)]
    assert again == [20, 20, 20] and sorted(e["id"] for e in exported) == sorted(ids)


@pytest.mark.parametrize(("body", "headers", "status", "words"), [
    (b'[{"source": ', {}, 400, "not valid JSON"),
    (b"[]", {}, 400, "empty"),
    (json.dumps([plain_event(i) for i in range(10_001)]).encode(), {}, 413,
     "10001 events; the limit is 10000"),
    (gzip.compress(b" " * 60_000_000), {"content-encoding": "gzip"}, 413, "decompresses"),
    (b"<xml/>", {"content-type": "text/xml"}, 415, "not supported"),
])
def test_whole_request_errors_cross_the_process_boundary(client, body, headers, status, words):
    answer = client.post("/v1/events", content=body,
                         headers={"content-type": "application/json", **headers})
    assert answer.status_code == status
    assert words in answer.json()["error"]["message"]


def test_a_killed_server_leaves_no_worker_behind(tmp_path):
    server = Server(tmp_path, env={"VIGILA_INGEST_WORKERS": "1"})
    assert httpx.post(f"{server.url}/v1/events", json=[plain_event(1)]).status_code == 200
    children = server.children()
    assert children
    server.kill()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in children):
        assert time.monotonic() < deadline, "a worker outlived its server"
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
    finally:
        os.sched_yield()


def worker_pids(server: Server) -> list[int]:
    """The server's ingest workers (its other child is multiprocessing's resource tracker)."""
    pids = []
    for pid in server.children():
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if b"resource_tracker" not in cmdline.read():
                pids.append(pid)
    return pids


def test_a_worker_that_dies_is_replaced_and_the_client_told_to_retry(tmp_path):
    server = Server(tmp_path, env={"VIGILA_INGEST_WORKERS": "1"})
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert client.post("/v1/events", json=[plain_event(1)]).status_code == 200
            (worker,) = worker_pids(server)
            os.kill(worker, signal.SIGKILL)
            statuses = []
            deadline = time.monotonic() + 30
            while not statuses or statuses[-1] != 200:
                assert time.monotonic() < deadline, statuses
                answer = client.post("/v1/events", json=[plain_event(2)])
                statuses.append(answer.status_code)
                if answer.status_code != 200:
                    assert answer.status_code == 503, answer.text
                    assert answer.json()["error"]["reason"] == "worker_lost"
            assert worker not in worker_pids(server)
    finally:
        server.stop()


def test_bare_pack_details_go_through_the_workers_too(client):
    good = {"stream_id": "cluster-w/node-01/mlx5_0/1", "timestamp": "2026-11-23T10:00:00Z",
            "utilization": 40.0, "latency_p99": 2.5, "error_rate": 0.0001,
            "bandwidth_gbps": 160.0}
    answer = client.post("/v1/packs/fabric/metrics", json=[good, {**good, "utilization": 150}])
    assert answer.status_code == 207
    result = answer.json()
    assert result["accepted"] == 1
    assert result["rejected"][0]["error"].endswith("- at `$[1].utilization`")
    until_processed(client)
    stored = client.get("/v1/events", params={"resource": good["stream_id"]}).json()["items"]
    assert [e["detail-type"] for e in stored] == ["Port Metrics"]
