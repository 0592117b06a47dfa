import gzip
import json
import threading
import time
from datetime import datetime

import pytest
import uvicorn
from typer.testing import CliRunner

from tests.support import body, drain, make_config, plain_event
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


def test_config_show_never_prints_the_llm_api_key(monkeypatch):
    monkeypatch.setenv("VIGILA_AI_API_KEY", "sk-very-secret")
    shown = run("config", "show", "--json").output
    by_key = {r["key"]: r for r in json.loads(shown)}
    assert by_key["ai.api_key"]["value"] == "(set)" and "sk-very-secret" not in shown
    assert "sk-very-secret" not in run("config", "show").output


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
    from vigila.store.base import EventQuery

    def ingested() -> int:
        return sum(len(rt.events.query(EventQuery(detail_type=t, limit=1000)).items)
                   for t in ("Order Placed", "Port Metrics"))

    deadline = time.monotonic() + 10
    while ingested() < 70 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ingested() == 70


def test_serve_refuses_unknown_simulated_pack(data):
    result = run("serve", "--data-dir", data, "--simulate", "nopack", ok=False)
    assert result.exit_code == 2 and "unknown pack 'nopack'" in result.output


def test_rules_cli(tmp_path, data):
    pattern = tmp_path / "p.json"
    pattern.write_text('{"detail": {"n": [{"numeric": [">", 10]}]}}')
    event = tmp_path / "e.json"
    event.write_text('{"source": "s", "detail": {"n": 5}}')
    result = run("rules", "test", "--pattern", pattern, "--event", event, ok=False)
    assert result.exit_code == 1 and "no match" in result.output and "detail.n" in result.output
    event.write_text('{"source": "s", "detail": {"n": 50}}')
    assert "match" in run("rules", "test", "--pattern", pattern, "--event", event).output
    pattern.write_text('{"detail": "oops"}')
    assert run("rules", "test", "--pattern", pattern, "--event", event,
               ok=False).exit_code == 2

    rule = tmp_path / "rule.json"
    rule.write_text('{"name": "big", "pattern": {"detail": {"n": [{"numeric": [">", 10]}]}},'
                    ' "targets": [{"type": "store", "collection": "big"}]}')
    assert "created rule big" in run("rules", "add", rule, "--data-dir", data).output
    listed = json.loads(run("rules", "list", "--data-dir", data, "--json").output)
    assert [(r["name"], r["origin"]) for r in listed] == [("big", "api")]
    run("rules", "remove", "big", "--data-dir", data)
    assert run("rules", "remove", "big", "--data-dir", data, ok=False).exit_code == 1
    rule.write_text('{"name": "bad", "pattern": {"detail": 3}}')
    assert run("rules", "add", rule, "--data-dir", data, ok=False).exit_code == 2


def test_a_running_server_picks_up_rules_added_by_the_cli(tmp_path, server):
    _, rt = server
    rule = tmp_path / "rule.json"
    rule.write_text('{"name": "cli-rule", "pattern": {"source": ["x"]}}')
    run("rules", "add", rule, "--data-dir", rt.config.data_dir)
    assert rt.rules.reload()
    assert "cli-rule" in rt.router.rules


def test_metrics_cli(tmp_path, data):
    from vigila.clock import ManualClock
    from vigila.packs.fabric.simulator import simulate

    start = time.time() // 60 * 60 - 1200  # recent enough to be kept, closed by now
    events = list(simulate(nodes=2, ports=1, seed=1, start=start, interval=10.0, count=2 * 30))
    clock = ManualClock(start)
    rt = Runtime(make_config(data), clock=clock)
    rt.ingest.ingest(body(events), rt.log.append, rt.store.add_dead_letters)
    drain(rt)
    clock.set(time.time())
    rt.tick()
    rt.stop()
    listed = json.loads(run("metrics", "list", "--data-dir", data, "--json").output)
    assert {"namespace": "Fabric/dev", "name": "Utilization",
            "dimensions": {"Cluster": "cluster-a"}} in listed
    rows = json.loads(run("metrics", "query", "--namespace", "Fabric/dev", "--name",
                          "Utilization", "--dimension", "Cluster=cluster-a", "--statistic",
                          "SampleCount", "--period", "60", "--minutes", "30", "--data-dir",
                          data, "--json").output)
    assert sum(r["value"] for r in rows) == 60
    bad = run("metrics", "query", "--namespace", "x", "--name", "y", "--statistic", "p101",
              "--data-dir", data, ok=False)
    assert bad.exit_code == 2


def test_alarms_cli_against_a_server(server):
    url, _ = server
    listed = json.loads(run("alarms", "list", "--url", url, "--json").output)
    names = [a["name"] for a in listed]
    assert any(n.endswith("processing-health") for n in names)
    name = next(n for n in names if n.endswith("dead-letter-growth"))
    assert name in run("alarms", "describe", name, "--url", url).output
    assert "ALARM" in run("alarms", "set-state", name, "ALARM", "--reason", "drill",
                          "--url", url).output
    history = json.loads(run("alarms", "history", name, "--url", url, "--json").output)
    assert history[0]["summary"].endswith("to ALARM")
    assert run("alarms", "set-state", "nope", "OK", "--url", url, ok=False).exit_code == 2
    assert run("alarms", "list", "--url", "http://127.0.0.1:9", ok=False).exit_code == 1


def test_insights_cli(tmp_path, data):
    from vigila.clock import ManualClock
    from vigila.packs.fabric.simulator import simulate

    events = list(simulate(nodes=4, ports=2, seed=4, start=1_790_000_000.0, interval=10.0,
                           count=8 * 200, faults="connection_instability@3:1200+120*1.0"))
    rt = Runtime(make_config(data), clock=ManualClock(1_790_000_000.0))
    rt.ingest.ingest(body(events), rt.log.append, rt.store.add_dead_letters)
    while drain(rt):
        pass
    rt.stop()
    items = json.loads(run("insights", "--data-dir", data, "--json", "--min-risk", "80").output)
    assert [i["prediction_type"] for i in items] == ["connection_instability"]
    every = json.loads(run("insights", "--data-dir", data, "--json").output)
    assert f"{len(every)} insights" in run("insights", "--data-dir", data).output


def test_eval_cli(tmp_path):
    dataset = tmp_path / "labelled.ndjson"
    run("simulate", "fabric", "--nodes", "8", "--ports", "2", "--count", "16000", "--faults",
        "random:12", "--seed", "21", "--start", "1790000000", "--out", dataset)
    scores = json.loads(run("eval", "fabric", "--dataset", dataset, "--json").output)
    assert scores["incidents"] == scores["detected"] == 12
    assert scores["type_accuracy"] >= 0.8 and scores["risk_mae"] <= 15
    assert scores["false_pages"] == 0 and scores["llm_calls"] == 0
    assert scores["calls_avoided"] == 1.0 and scores["avoided_by_stage"]["dedup"] > 0
    table = run("eval", "fabric", "--dataset", dataset).output
    assert "critical_recall" in table and "avoided_by_stage" in table
    unlabelled = tmp_path / "plain.ndjson"
    run("simulate", "fabric", "--count", "50", "--out", unlabelled)
    assert run("eval", "fabric", "--dataset", unlabelled, ok=False).exit_code == 2
    assert run("eval", "payments", "--dataset", dataset, ok=False).exit_code == 2


def test_replay_writes_one_insight_per_line_on_event_time(tmp_path):
    dataset = tmp_path / "recorded.ndjson"
    run("simulate", "fabric", "--nodes", "4", "--ports", "2", "--count", "4000", "--faults",
        "rdma_timeout@3:1800+120*0.9", "--seed", "2", "--start", "1790000000", "--rate", "0.8",
        "--out", dataset)  # 8 ports at 0.8 events/s: one interval every 10 s
    out = tmp_path / "insights.jsonl"
    result = run("replay", dataset, "--pack", "fabric", "--out", out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert f"{len(lines)} insights" in result.output
    hit = [i for i in lines if i["prediction_type"] == "rdma_timeout"]
    assert hit and hit[0]["entity"] == "cluster-a/node-01/mlx5_1/1"
    assert hit[0]["source"] == "analyst" and hit[0]["fallback_reason"] == "no_provider"
    assert hit[0]["created_at"].startswith("2026-09-21T14:")  # event time, not today
    assert 1800 <= datetime.fromisoformat(hit[0]["created_at"]).timestamp() - 1790000000 <= 1930
    broken = tmp_path / "broken.ndjson"
    broken.write_text('{"source": "vigila.fabric", "detail-type": "Port Metrics", '
                      '"detail": {"stream_id": "x"}}\n')
    failed = run("replay", broken, "--out", out, ok=False)
    assert failed.exit_code == 2 and "event 0" in failed.output and "timestamp" in failed.output
    assert run("replay", dataset, "--pack", "payments", ok=False).exit_code == 2


def test_follow_cursor_pages_through_bursts_and_same_millisecond_records():
    from vigila.store.base import OutputRecord
    from vigila.store.follow import Cursor

    page = 500

    stored = [OutputRecord("insight", f"k{i}", "e", 1000 + i // 3, b"{}")
              for i in range(2 * page + 7)]

    def fetch(since_ms):
        return [r for r in stored if r.time_ms > since_ms][:page]

    cursor = Cursor(1000, {"k0"})
    shown = [r.key for r in cursor.newer(fetch, page)]
    assert shown == [r.key for r in stored[1:]], "every record once, in order, none skipped"
    stored.append(OutputRecord("insight", "late", "e", stored[-1].time_ms, b"{}"))
    assert [r.key for r in cursor.newer(fetch, page)] == ["late"]
    assert list(cursor.newer(fetch, page)) == []


def test_config_show_hides_header_values_and_webhook_tokens(tmp_path):
    config = tmp_path / "vigila.toml"
    config.write_text('[targets.oncall]\ntype = "webhook"\n'
                      'url = "https://hooks.slack.com/services/T0/B0/SECRET"\n'
                      'headers = { authorization = "Bearer TOKEN" }\n')
    shown = run("config", "show", "--config", config, "--json").output
    assert "SECRET" not in shown and "TOKEN" not in shown and "hooks.slack.com" in shown
