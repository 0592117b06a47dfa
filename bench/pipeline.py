"""Pipeline benchmark: what one core drains from the log, against decoding the same events.

Prints one JSON line. Run: `.venv/bin/python bench/pipeline.py [--ports N] [--intervals N]`.

Every figure reads a log that ingest filled beforehand and times only the pipeline
(`run_until_idle`: read, process, commit), on one thread:
- `decode_eps`: ingest's split and validate of the same fabric events, the reference;
- `noop_eps`: log read -> decode -> commit with a processor that does nothing;
- `fabric_eps`: the fabric pack end to end: its processors, its declared metrics into
  the rollups, and the store commit;
- `rules_eps`: payments-sized events (about 500 bytes) routed by 1,000 rules into the
  outbox.
Figures are medians over `--runs` interleaved rounds, so each ratio compares figures
taken under the same load of the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import msgspec

from vigila.clock import ManualClock
from vigila.config import load_config
from vigila.ingest.decoder import EventDecoder
from vigila.ingest.service import IngestService
from vigila.log.sqlite import SqliteLog
from vigila.metrics.datapoint import Datapoint
from vigila.metrics.declare import MetricExtractor, PointBatch
from vigila.metrics.engine import MetricsEngine
from vigila.packs.base import load_packs, register_schemas
from vigila.packs.fabric.simulator import simulate
from vigila.pipeline.runner import PipelineRunner
from vigila.routing.model import Rule
from vigila.routing.router import Router
from vigila.store.sqlite import SqliteStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import NoOp, medians_of_rounds
from rules import make_events, make_rules  # the rules benchmark's traffic

BATCH = 1000
START = 1_790_000_000.0
RULES = 1_000


def fabric_bodies(ports: int, intervals: int) -> list[bytes]:
    """`ports` ports sampled once a second for `intervals` seconds, in request bodies."""
    events = list(simulate(nodes=ports // 4, ports=4, seed=3, start=START, interval=1.0,
                           count=ports // 4 * 4 * intervals))
    return [msgspec.json.encode(events[i : i + BATCH]) for i in range(0, len(events), BATCH)]


def payment_bodies(count: int) -> list[bytes]:
    events = [e for e in make_events(count * 2, seed=5) if e["source"] == "vigila.payments"]
    for event in events:
        del event["id"]  # vigila mints ids, as for most senders
    events = events[:count]
    return [msgspec.json.encode(events[i : i + BATCH]) for i in range(0, len(events), BATCH)]


class Setup:
    """A log filled once per scenario; each measure drains a fresh copy of it."""

    def __init__(self, root: Path, name: str, bodies: list[bytes], packs: list[str]) -> None:
        self.config = load_config(profile="dev", env={})
        self.packs = load_packs(packs)
        self.schemas = register_schemas(self.packs)
        decoder = EventDecoder(self.schemas, self.config.ingest,
                               partitions=self.config.log.partitions,
                               region=self.config.region, account=self.config.account)
        self.service = IngestService(decoder, self.config.ingest, ManualClock(START))
        self.bodies = bodies
        self.events = sum(len(msgspec.json.decode(b)) for b in bodies)
        self.directory = root / name
        self.directory.mkdir()
        log = SqliteLog(self.directory / "log.db", partitions=self.config.log.partitions)
        store = SqliteStore(self.directory / "store.db")
        for body in bodies:
            self.service.ingest(body, log.append, store.add_dead_letters)
        log.close()
        store.close()

    def decode_eps(self) -> float:
        started = time.perf_counter()
        for body in self.bodies:
            self.service.prepare(body)
        return self.events / (time.perf_counter() - started)

    def drain_eps(self, processors: list[Any], router: Router | None = None,
                  metrics: bool = False) -> float:
        copy = Path(tempfile.mkdtemp(dir=self.directory.parent))
        for name in ("log.db", "store.db"):
            shutil.copy(self.directory / name, copy / name)
        log = SqliteLog(copy / "log.db", partitions=self.config.log.partitions)
        store = SqliteStore(copy / "store.db")
        clock = ManualClock(START + 30)
        engine = MetricsEngine(clock, store)
        extractor = MetricExtractor([m for p in self.packs for m in p.metrics], "dev")
        runner = PipelineRunner(log, store, processors, self.schemas, clock,
                                batch_size=self.config.pipeline.batch_size, router=router,
                                metrics=extractor if metrics else None,
                                on_metrics=partial(add_points, engine) if metrics else None)
        started = time.perf_counter()
        processed = runner.run_until_idle()
        elapsed = time.perf_counter() - started
        log.close()
        store.close()
        shutil.rmtree(copy)
        if processed < self.events:
            raise RuntimeError(f"drained {processed} of {self.events} events")
        return self.events / elapsed


def add_points(engine: MetricsEngine, batches: list[PointBatch]) -> None:
    engine.add(Datapoint(keys[s][0], keys[s][1], dict(keys[s][2]), t, v)
               for keys, series, stamps, values in batches
               for s, t, v in zip(series.tolist(), stamps.tolist(), values.tolist(),
                                  strict=True))


def rules_router() -> Router:
    target = {"type": "store", "collection": "routed"}
    return Router([msgspec.convert({"name": f"rule-{i}", "pattern": pattern,
                                    "targets": [target]}, Rule)
                   for i, pattern in enumerate(make_rules(RULES))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ports", type=int, default=10_000)
    parser.add_argument("--intervals", type=int, default=10,
                        help="one-second samples per port")
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fabric = Setup(root, "fabric", fabric_bodies(args.ports, args.intervals), ["fabric"])
        payments = Setup(root, "payments", payment_bodies(args.payments), [])
        router = rules_router()
        figures = medians_of_rounds(args.runs, {
            "decode_eps": fabric.decode_eps,
            "noop_eps": lambda: fabric.drain_eps([NoOp()]),
            "fabric_eps": lambda: fabric.drain_eps(fabric.packs[0].processors({}),
                                                   metrics=True),
            "rules_eps": lambda: payments.drain_eps([], router=router),
        })
    line = {
        "benchmark": "pipeline",
        "fabric_events": fabric.events,
        "ports": args.ports,
        "payment_events": payments.events,
        "rules": RULES,
        **{name: round(value) for name, value in figures.items()},
        "noop_to_decode": round(figures["noop_eps"] / figures["decode_eps"], 3),
        "fabric_to_decode": round(figures["fabric_eps"] / figures["decode_eps"], 3),
        "runs": args.runs,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
