"""Insight benchmark: event -> stored insight and event -> delivered notification latency in
a running embedded node, chain throughput, and LLM calls avoided over a simulated hour.

Prints one JSON line. Run: `.venv/bin/python bench/insights.py [--trials N]`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec

from vigila.clock import ManualClock
from vigila.config import load_config
from vigila.insights.analyst import analyze
from vigila.insights.engine import InsightEngine
from vigila.insights.evaluate import triggered
from vigila.insights.providers import Completion, Prompt
from vigila.insights.replay import Replay
from vigila.insights.request import InsightRequest
from vigila.insights.scorecard import incidents_of, score
from vigila.packs.base import load_packs
from vigila.packs.fabric.prompts import FabricPrompts
from vigila.packs.fabric.simulator import simulate
from vigila.runtime import Runtime

PORTS = 2
DRAFT = {"prediction_type": "anomaly_detected", "risk_score": 30, "confidence": 0.6,
         "explanation": "latency_p99 above baseline", "recommendations": ["Check", "Watch"]}


class Receiver:
    """A local webhook that notes when each insight arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                receiver.arrivals[body["detail"]["entity"]] = time.perf_counter()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def live_latency(trials: int) -> dict[str, float]:
    """Warm baselines, then one critical fault per port: time from the ingest call's return
    to the stored insight, and to its arrival at a local webhook."""
    receiver = Receiver()
    nodes = trials // PORTS + 1
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(profile="dev", env={}, overrides={
            "data_dir": tmp, "targets": {"hook": {"type": "webhook", "url": receiver.url}},
            "alerting": {"critical_insight_targets": ["hook"], "self_monitoring": False}})
        rt = Runtime(config)
        rt.start()
        now = time.time()
        warm = list(simulate(nodes=nodes, ports=PORTS, seed=1, start=now - 900, interval=10.0,
                             count=nodes * PORTS * 89))
        for start in range(0, len(warm), 5000):
            rt.ingest.ingest(msgspec.json.encode(warm[start:start + 5000]), rt.append,
                             rt.store.add_dead_letters)
        while rt.total_lag():
            time.sleep(0.05)
        ports = sorted({e["detail"]["stream_id"] for e in warm})[:trials]
        stored, delivered = [], []
        for port in ports:
            stamp = datetime.fromtimestamp(time.time(), UTC).isoformat()
            event = {"source": "vigila.fabric", "detail-type": "Port Metrics",
                     "resources": [port], "detail": {
                         "stream_id": port, "timestamp": stamp, "utilization": 12.0,
                         "latency_p99": 40.0, "error_rate": 0.2, "bandwidth_gbps": 20.0,
                         "link_downed": 4, "link_error_recovery": 9, "symbol_errors": 900}}
            rt.ingest.ingest(msgspec.json.encode([event]), rt.append,
                             rt.store.add_dead_letters)
            sent = time.perf_counter()
            while not rt.store.outputs("insight", entity=port, limit=1):
                if time.perf_counter() - sent > 10:
                    raise RuntimeError(f"no insight for {port} within 10 s")
                time.sleep(0.0005)
            stored.append((time.perf_counter() - sent) * 1000)
            while port not in receiver.arrivals and time.perf_counter() - sent < 10:
                time.sleep(0.0005)
            if port in receiver.arrivals:
                delivered.append((receiver.arrivals[port] - sent) * 1000)
        rt.stop()
    receiver.server.shutdown()
    return {"stored_p50_ms": percentile(stored, 0.5), "stored_p99_ms": percentile(stored, 0.99),
            "delivered_p50_ms": percentile(delivered, 0.5),
            "delivered_p99_ms": percentile(delivered, 0.99),
            "delivered": len(delivered), "trials": len(stored)}


def chain_throughput() -> dict[str, float]:
    """Insights per second through the chain: with the analyst alone (no LLM configured),
    and with an in-process LLM that answers at once (every stage runs, cache off)."""
    events = simulate(nodes=16, ports=2, seed=2, start=1_790_000_000.0, interval=10.0,
                      count=32 * 400, faults="random:40")
    requests = [InsightRequest(insight_id=str(i), entity=e.stream_id, analyst=analyze(e),
                               evidence=msgspec.to_builtins(e), at=0.0)
                for i, (e, _) in enumerate(triggered(events))]
    figures = {}
    for name, provider, ai in (
            ("analyst", None, {}),
            ("llm", CountingLLM(), {"provider": "openai", "llm_from_risk": 0,
                                    "cache_entries": 0, "requests_per_minute": 1e9,
                                    "tokens_per_minute": 1e12})):
        config = load_config(env={}, overrides={"ai": ai}).ai
        engine = InsightEngine(config, provider, FabricPrompts(), ManualClock())
        started = time.perf_counter()
        for start in range(0, len(requests), 8):
            engine.run(requests[start:start + 8])
        figures[f"chain_{name}_insights_per_s"] = round(
            len(requests) / (time.perf_counter() - started))
    return figures


class CountingLLM:
    """An in-process provider that answers every prompt validly and counts the calls."""

    name, model = "bench", "bench-model"

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, prompt: Prompt, timeout: float) -> Completion:
        self.calls += 1
        count = prompt.user.count('"index"') or 1
        answer = {"insights": [{"index": i, **DRAFT} for i in range(count)]} \
            if count > 1 else DRAFT
        return Completion(text=json.dumps(answer), tokens_in=800 * count,
                          tokens_out=150 * count, model=self.model, provider=self.name,
                          latency_ms=1.0)


def calls_avoided() -> dict[str, float]:
    """A simulated hour (64 nodes x 2 ports, 10 s interval, 20 incidents) replayed with an
    LLM configured: calls made against one call per triggered interval."""
    events = list(simulate(nodes=64, ports=2, seed=7, start=1_790_000_000.0, interval=10.0,
                           count=128 * 360, faults="random:20"))
    (pack,) = load_packs(["fabric"])
    replay = Replay(pack, load_config(env={}, overrides={"ai": {"provider": "openai"}}))
    llm = CountingLLM()
    replay.engine.provider = llm
    card = score(incidents_of(events), list(replay.run(events)), replay.ledger,
                 replay.triggered)
    return {"triggered": card.triggered, "llm_calls": llm.calls,
            "calls_avoided": round(card.calls_avoided, 4), "incidents": card.incidents,
            "incidents_with_insight": card.detected}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args()
    figures = {"bench": "insights", **live_latency(args.trials), **chain_throughput(),
               **calls_avoided()}
    figures["stored_p99_under_1s"] = figures["stored_p99_ms"] < 1000
    figures["delivered_p99_under_2s"] = figures["delivered_p99_ms"] < 2000
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
