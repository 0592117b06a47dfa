"""Hostile HTTP against a real server process: framing lies, huge and chunked bodies."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from tests.server import Server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("hostile"))
    yield running.url
    running.stop()


def raw_request(url: str, payload: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response else 0


def test_ten_megabyte_body_is_413(server):
    body = b"[" + b",".join([b'{"source":"s","detail-type":"t","detail":{}}'] * 250_000) + b"]"
    response = httpx.post(f"{server}/v1/events", content=body,
                          headers={"content-type": "application/json"}, timeout=30)
    assert response.status_code == 413


def test_chunked_body_over_the_limit_is_413_without_content_length(server):
    def chunks():
        for _ in range(700):
            yield b" " * 10_000

    response = httpx.post(f"{server}/v1/events", content=chunks(),
                          headers={"content-type": "application/json"}, timeout=30)
    assert response.status_code == 413


def test_non_numeric_content_length_is_refused(server):
    response = raw_request(server, b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                   b"application/json\r\nContent-Length: abc\r\n\r\n[]")
    assert 400 <= status_of(response) < 500


def test_body_shorter_than_content_length_is_not_stored(server):
    event = json.dumps([{"id": "short-body", "source": "s", "detail-type": "t", "detail": {}}])
    raw_request(server, b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                        b"\r\nContent-Length: 5000\r\n\r\n" + event.encode())
    assert httpx.get(f"{server}/v1/events/short-body").status_code == 404


@pytest.mark.parametrize("path", ["/v1/events?limit=-1", "/v1/events?start=%00",
                                  "/v1/deadletters?cursor=x", "/v1/events/%ff%fe"])
def test_odd_queries_are_4xx(server, path):
    assert 400 <= httpx.get(f"{server}{path}").status_code < 500


def test_server_still_serves_after_all_that(server):
    ok = httpx.post(f"{server}/v1/events", json=[{"source": "s", "detail-type": "t",
                                                    "detail": {"ok": True}}])
    assert ok.status_code == 200
