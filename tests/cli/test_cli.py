import gzip
import json
import threading
import time

import pytest
import uvicorn
from typer.testing import CliRunner

from tests.support import drain, make_config, plain_event
from vigila import __version__
from vigila.api.app import create_app
from vigila.cli.main import app
from vigila.runtime import Runtime

cli = CliRunner()


def run(*args, ok=True):
    result = cli.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def data(tmp_path):
    return tmp_path / "data"


def write_events(path, events, ndjson=False, gz=False):
    raw = (b"\n".join(json.dumps(e).encode() for e in events) if ndjson
           else json.dumps(events).encode())
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def test_version():
    assert run("version").output.strip() == __version__


def test_config_show_prints_values_with_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGILA_LOG_PARTITIONS", "6")
    rows = json.loads(run("config", "show", "--profile", "production", "--json").output)
    by_key = {r["key"]: r for r in rows}
    assert by_key["log.partitions"] == {"key": "log.partitions", "value": 6,
                                        "source": "env VIGILA_LOG_PARTITIONS"}
    assert by_key["log.retention_days"]["source"] == "profile production"
    assert by_key["resource_name"]["value"] == "vigila-production-local"
    assert "log.synchronous" in run("config", "show").output


def test_config_errors_exit_2_with_the_key(monkeypatch):
    monkeypatch.setenv("VIGILA_LOG_PARTITIONS", "-1")
    result = run("config", "show", ok=False)
    assert result.exit_code == 2 and "log.partitions" in result.output


def test_ingest_files_into_a_data_dir_then_list(tmp_path, data):
    a = write_events(tmp_path / "a.json", [plain_event(i, id=f"e{i}") for i in range(5)])
    b = write_events(tmp_path / "b.ndjson.gz", [plain_event(i) for i in range(5, 8)],
                     ndjson=True, gz=True)
    summary = json.loads(run("ingest", a, b, "--data-dir", data, "--json").output)
    assert summary["totals"] == {"accepted": 8, "duplicates": 0, "rejected": 0}
    again = json.loads(run("ingest", a, "--data-dir", data, "--json").output)
    assert again["totals"]["duplicates"] == 5
    rt = Runtime(make_config(data))
    drain(rt)
    rt.stop()
    listed = json.loads(run("events", "--data-dir", data, "--json", "--limit", "100").output)
    assert sorted(e["detail"]["n"] for e in listed) == list(range(8))
    assert "Order Placed" in run("events", "--data-dir", data).output


def test_rejections_are_reported_and_exit_1(tmp_path, data):
    f = write_events(tmp_path / "bad.json", [plain_event(0), {"source": 3}, plain_event(2)])
    result = run("ingest", f, "--data-dir", data, "--batch-size", "2", ok=False)
    assert result.exit_code == 1
    assert "accepted 2" in result.output and "rejected 1" in result.output
    assert "$[1].source" in result.output
    letters = json.loads(run("deadletters", "list", "--data-dir", data, "--json").output)
    assert len(letters) == 1 and letters[0]["stage"] == "ingest"
    replay = json.loads(run("deadletters", "replay", "--data-dir", data, "--json").output)
    assert replay[0]["replayed"] is False and "rejected again" in replay[0]["result"]


def test_unreadable_file_is_a_clear_error(tmp_path, data):
    f = tmp_path / "broken.json"
    f.write_bytes(b"[{]")
    result = run("ingest", f, "--data-dir", data, ok=False)
    assert result.exit_code == 1 and "not a valid JSON array" in result.output


def test_apikeys_lifecycle(data):
    token = run("apikeys", "create", "ci", "--scope", "ingest", "--data-dir", data
                ).output.splitlines()[0]
    assert token.startswith("vgl_")
    keys = json.loads(run("apikeys", "list", "--data-dir", data, "--json").output)
    assert keys[0]["name"] == "ci" and keys[0]["scopes"] == ["ingest"]
    assert token not in run("apikeys", "list", "--data-dir", data).output
    run("apikeys", "revoke", "ci", "--data-dir", data)
    assert run("apikeys", "revoke", "ci", "--data-dir", data, ok=False).exit_code == 1
    assert run("apikeys", "create", "x", "--scope", "root", "--data-dir", data,
               ok=False).exit_code == 2


def test_log_partitions_and_seek(tmp_path, data):
    f = write_events(tmp_path / "a.json", [plain_event(i) for i in range(10)])
    run("ingest", f, "--data-dir", data)
    parts = json.loads(run("log", "partitions", "--data-dir", data, "--json").output)
    assert sum(p["lag"] for p in parts) == 10
    run("log", "seek", "--to", "latest", "--data-dir", data)
    parts = json.loads(run("log", "partitions", "--data-dir", data, "--json").output)
    assert sum(p["lag"] for p in parts) == 0
    run("log", "seek", "--offset", "0=0", "--offset", "1=0", "--offset", "2=0",
        "--offset", "3=0", "--data-dir", data)
    parts = json.loads(run("log", "partitions", "--data-dir", data, "--json").output)
    assert sum(p["lag"] for p in parts) == 10
    assert run("log", "seek", "--offset", "zero", "--data-dir", data, ok=False).exit_code == 2
    assert run("log", "seek", "--to", "whenever", "--data-dir", data, ok=False).exit_code == 2


def test_simulate_is_deterministic_for_a_seed(tmp_path):
    a, b, c = (tmp_path / n for n in ("a.ndjson", "b.ndjson", "c.ndjson"))
    args = ["simulate", "fabric", "--count", "300", "--start", "1790000000", "--nodes", "4"]
    run(*args, "--seed", "3", "--out", a)
    run(*args, "--seed", "3", "--out", b)
    run(*args, "--seed", "4", "--out", c)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    lines = a.read_bytes().splitlines()
    assert len(lines) == 300
    assert json.loads(lines[0])["detail-type"] == "Port Metrics"
    assert run("simulate", "nopack", ok=False).exit_code == 2


@pytest.fixture
def server(tmp_path):
    rt = Runtime(make_config(tmp_path / "srv"))
    rt.start()
    config = uvicorn.Config(create_app(rt), host="127.0.0.1", port=0, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.01)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", rt
    srv.should_exit = True
    thread.join(10)
    rt.stop()


def test_ingest_and_simulate_over_http(tmp_path, server):
    url, rt = server
    f = write_events(tmp_path / "a.json", [plain_event(i) for i in range(30)])
    summary = json.loads(run("ingest", f, "--url", url, "--batch-size", "7", "--json").output)
    assert summary["totals"]["accepted"] == 30
    run("simulate", "fabric", "--to", url, "--count", "40", "--rate", "1000", "--nodes", "4")
    deadline = time.monotonic() + 10
    while rt.store.count_events() < 70 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rt.store.count_events() == 70


def test_serve_refuses_unknown_simulated_pack(data):
    result = run("serve", "--data-dir", data, "--simulate", "nopack", ok=False)
    assert result.exit_code == 2 and "unknown pack 'nopack'" in result.output
