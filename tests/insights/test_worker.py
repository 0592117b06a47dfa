"""The insight worker inside a runtime: requests queued with the batch, judged by a real
local LLM server, stored, published and costed; a crash in between loses nothing."""

from __future__ import annotations

import json

import msgspec
import pytest
from typer.testing import CliRunner

from tests.insights.providers.server import DRAFT, FakeLLM, Reply, chat
from tests.support import T0, body, drain, make_config
from vigila.cli.main import app
from vigila.clock import ManualClock
from vigila.packs.fabric.simulator import simulate
from vigila.runtime import Runtime
from vigila.store.base import EventQuery

MODEL = "qwen2.5-7b-instruct"
FAULT = "connection_instability@3:1200+120*1.0"


def runtime(tmp_path, llm: FakeLLM | None = None, **ai) -> Runtime:
    if llm is not None:
        ai = {"provider": "openai", "base_url": f"{llm.url}/v1", "model": MODEL, **ai}
    return Runtime(make_config(tmp_path, ai=ai), clock=ManualClock(T0))


def feed(rt: Runtime, faults: str = FAULT) -> None:
    events = simulate(nodes=4, ports=2, seed=4, start=T0, interval=10.0, count=8 * 200,
                      faults=faults)
    rt.ingest.ingest(body(list(events)), rt.log.append, rt.store.add_dead_letters)
    for worker in rt.workers:
        worker.runner.run_until_idle(worker.partitions)


def stored(rt: Runtime) -> list[dict]:
    return [msgspec.json.decode(o.data) for o in rt.store.outputs("insight", limit=1000)]


def test_the_llm_writes_the_critical_insight_and_it_is_published(tmp_path, llm):
    llm.script(*[Reply(body=chat(json.dumps({**DRAFT, "prediction_type":
                                            "connection_instability", "risk_score": 91})))
                 for _ in range(20)])
    rt = runtime(tmp_path, llm)
    try:
        feed(rt)
        assert rt.store.outputs("insight") == [], "nothing is judged in the pipeline thread"
        drain(rt)
        found = [i for i in stored(rt) if i["entity"] == "cluster-a/node-01/mlx5_1/1"
                 and i["prediction_type"] == "connection_instability"]
        assert found and found[0]["source"] == f"llm:openai/{MODEL}"
        assert found[0]["risk_score"] == 91
        critical = rt.events.query(EventQuery(detail_type="Critical Insight")).items
        assert ["cluster-a/node-01/mlx5_1/1"] in [e.resources for e in critical]
        assert rt.store.outputs("insight-request") == []
        assert rt.metrics.registry.get_sample_value("vigila_llm_calls_total") == len(
            llm.requests)
    finally:
        rt.stop()


def test_a_failing_llm_still_gives_every_request_an_insight(tmp_path, llm):
    llm.script(*[Reply(500, {"error": "down"}) for _ in range(100)])
    rt = runtime(tmp_path, llm, attempts=1, llm_from_risk=0, breaker_failures=2,
                 max_batch=1)
    try:
        feed(rt)
        queued = len(rt.store.outputs("insight-request", limit=1000))
        drain(rt)
        insights = stored(rt)
        assert len(insights) == queued > 0
        assert all(i["source"] == "analyst" for i in insights)
        reasons = {i["fallback_reason"].split(":")[0] for i in insights}
        assert reasons == {"llm_error", "circuit_open"} and len(llm.requests) == 2
    finally:
        rt.stop()


def test_after_a_crash_between_store_and_publish_the_insight_is_published_not_rejudged(
        tmp_path, llm):
    rt = runtime(tmp_path)
    feed(rt)
    rt.insights._publish = lambda events: (_ for _ in ()).throw(OSError("crash"))
    with pytest.raises(OSError):
        rt.insights.run_once()
    before = {i["insight_id"]: i for i in stored(rt)}
    assert before and rt.store.outputs("insight-request"), "stored, not yet published"
    rt.stop()

    rt = runtime(tmp_path, llm)  # now with an LLM: a re-judged insight would say so
    try:
        drain(rt)
        after = {i["insight_id"]: i for i in stored(rt)}
        assert {k: after[k] for k in before} == before
        events = rt.events.query(EventQuery(source="vigila.insights", limit=1000)).items
        published = {json.loads(e.data)["detail"]["insight_id"] for e in events}
        assert published == set(after), "every stored insight is published, none lost"
    finally:
        rt.stop()


def test_cost_command_reports_calls_tokens_and_avoided_calls(tmp_path, llm):
    llm.script(*[Reply(body=chat(json.dumps(DRAFT), usage=(1000, 200))) for _ in range(50)])
    rt = runtime(tmp_path, llm, llm_from_risk=0, prices={MODEL: (1.0, 2.0)})
    try:
        feed(rt)
        drain(rt)
        calls = len(llm.requests)
    finally:
        rt.stop()
    result = CliRunner().invoke(app, ["insights", "cost", "--data-dir", str(tmp_path),
                                      "--by", "model", "--hours", "100000", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    (row,) = report["rows"]
    assert (row["model"], row["calls"], row["tokens_in"]) == (MODEL, calls, 1000 * calls)
    assert row["cost_usd"] == pytest.approx(calls * 0.0014)
    assert report["calls_avoided_by_stage"]["dedup"] > 0
    text = CliRunner().invoke(app, ["insights", "cost", "--data-dir", str(tmp_path),
                                    "--hours", "100000"]).output
    assert "calls avoided" in text
    bad = CliRunner().invoke(app, ["insights", "cost", "--data-dir", str(tmp_path),
                                   "--by", "week"])
    assert bad.exit_code == 2 and "hour, day or model" in bad.output


def test_a_pass_retried_after_a_publish_failure_keeps_every_ledger_line(tmp_path, llm):
    llm.script(*[Reply(body=chat(json.dumps(DRAFT))) for _ in range(50)])
    rt = runtime(tmp_path, llm, llm_from_risk=0, max_batch=1)
    try:
        feed(rt, "rdma_timeout@2:1200+60*0.9,latency_spike@5:1300+60*0.9")
        publish = rt.insights._publish
        rt.insights._publish = lambda events: (_ for _ in ()).throw(OSError("log down"))
        with pytest.raises(OSError):
            rt.insights.run_once()
        rt.insights._publish = publish
        drain(rt)
        llm_lines = [line for line in rt.ledger(since=0) if line.stage == "llm"]
        assert sum(line.calls for line in llm_lines) == len(llm.requests) > 1
    finally:
        rt.stop()


def test_a_broken_chain_still_ends_every_request_as_an_analyst_insight(tmp_path):
    rt = runtime(tmp_path)
    try:
        feed(rt)
        queued = {o.key for o in rt.store.outputs("insight-request", limit=1000)}
        rt.insights.engine.flags = None  # any bug inside the chain
        drain(rt)
        insights = stored(rt)
        assert {i["insight_id"] for i in insights} == queued
        assert all(i["fallback_reason"].startswith("internal_error") for i in insights)
    finally:
        rt.stop()


def test_an_hourly_spend_over_the_alert_level_reaches_the_on_call_targets(tmp_path, llm,
                                                                           receiver):
    llm.script(*[Reply(body=chat(json.dumps(DRAFT), usage=(1000, 200))) for _ in range(50)])
    rt = Runtime(make_config(
        tmp_path, ai={"provider": "openai", "base_url": f"{llm.url}/v1", "model": MODEL,
                      "llm_from_risk": 0, "prices": {MODEL: (1.0, 2.0)},
                      "spend_alert_usd_per_hour": 0.001},
        targets={"oncall": {"type": "webhook", "url": receiver.url}},
        alerting={"critical_insight_targets": ["oncall"]}), clock=ManualClock(T0))
    try:
        feed(rt)
        drain(rt)
        rt.dispatcher.run_once()
        alerts = [json.loads(b) for b in receiver.bodies()
                  if json.loads(b)["detail-type"] == "LLM Spend Alert"]
        assert len(alerts) == 1, "once per hour"
        assert alerts[0]["detail"]["spend_usd"] >= 0.001
        assert alerts[0]["detail"]["threshold_usd"] == 0.001
    finally:
        rt.stop()
