"""Ingest benchmark: decode-only, durable append, append+process and HTTP, on the same events.

Prints one JSON line. Run: `.venv/bin/python bench/ingest.py [--events N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import msgspec

from vigila.clock import SystemClock
from vigila.config import load_config
from vigila.ingest.decoder import EventDecoder
from vigila.ingest.service import IngestService
from vigila.log.sqlite import SqliteLog
from vigila.packs.base import load_packs, register_schemas
from vigila.packs.fabric.simulator import simulate
from vigila.pipeline.runner import PipelineRunner
from vigila.store.sqlite import SqliteStore

BATCH = 1000


class NoOp:
    name = "noop"
    accepts = None

    def process_batch(self, batch, ctx):  # type: ignore[no-untyped-def]
        return ()


def make_bodies(total: int) -> list[bytes]:
    events = list(simulate(nodes=64, ports=2, seed=1, start=1_790_000_000.0, count=total))
    return [msgspec.json.encode(events[i : i + BATCH]) for i in range(0, total, BATCH)]


def service(config) -> IngestService:  # type: ignore[no-untyped-def]
    schemas = register_schemas(load_packs(["fabric"]))
    decoder = EventDecoder(schemas, config.ingest, partitions=config.log.partitions,
                           region=config.region, account=config.account)
    return IngestService(decoder, config.ingest, SystemClock())


def decode_only(bodies: list[bytes], config) -> float:  # type: ignore[no-untyped-def]
    svc = service(config)
    started = time.perf_counter()
    for body in bodies:
        svc.prepare(body)
    return len(bodies) * BATCH / (time.perf_counter() - started)


def durable(bodies: list[bytes], config, root: Path, process: bool) -> float:  # type: ignore[no-untyped-def]
    directory = Path(tempfile.mkdtemp(dir=root))
    svc = service(config)
    log = SqliteLog(directory / "log.db", partitions=config.log.partitions,
                    synchronous=config.log.synchronous)
    store = SqliteStore(directory / "store.db", synchronous=config.log.synchronous)
    started = time.perf_counter()
    for body in bodies:
        svc.ingest(body, log.append, store.add_dead_letters)
    if process:
        runner = PipelineRunner(log, store, [NoOp()], svc.decoder._schemas, SystemClock(),
                                batch_size=config.pipeline.batch_size)
        assert runner.run_until_idle() == len(bodies) * BATCH
    elapsed = time.perf_counter() - started
    log.close()
    store.close()
    return len(bodies) * BATCH / elapsed


def http(bodies: list[bytes], directory: Path, *, packs: str, workers: int = 0,
         clients: int = 4) -> float:
    """`vigila serve` with `packs` (comma-separated; none: its pipeline only stores each
    event), `workers` ingest processes, and `clients` threads posting the bodies."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "vigila", "serve", "--data-dir", str(directory), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200", "VIGILA_PACKS": packs,
             "VIGILA_INGEST_WORKERS": str(workers)})
    try:
        url = None
        while url is None:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("the server did not start")
            match = re.search(r"listening on (http://\S+)", line)
            url = match.group(1) if match else None
        queue = list(reversed(bodies))
        lock = threading.Lock()

        def post_all() -> None:
            with httpx.Client(base_url=url, timeout=60,
                              headers={"content-type": "application/json"}) as client:
                while True:
                    with lock:
                        if not queue:
                            return
                        body = queue.pop()
                    response = client.post("/v1/events", content=body)
                    if response.status_code != 200:
                        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")

        threads = [threading.Thread(target=post_all) for _ in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return len(bodies) * BATCH / (time.perf_counter() - started)
    finally:
        proc.terminate()
        proc.wait(30)


def medians_of_rounds(runs: int, measures: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Each measure's median over `runs` rounds of all of them: a shared machine's speed
    drifts by up to 2x within minutes, and interleaving exposes every figure to the same
    drift, so the ratios between them hold better than the figures themselves."""
    rounds = [{name: measure() for name, measure in measures.items()} for _ in range(runs)]
    return {name: statistics.median(r[name] for r in rounds) for name in measures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3,
                        help="in-process figures are the median of this many rounds")
    args = parser.parse_args()
    total = args.events // BATCH * BATCH
    bodies = make_bodies(total)
    dev = load_config(profile="dev", env={})
    prod = load_config(profile="production", env={})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        in_process = medians_of_rounds(args.runs, {
            "decode": lambda: decode_only(bodies, dev),
            "normal": lambda: durable(bodies, dev, root, process=False),
            "full": lambda: durable(bodies, prod, root, process=False),
            "processed": lambda: durable(bodies, dev, root, process=True),
        })
        decode, normal, full, processed = in_process.values()
        over_http = http(bodies, root / "http", packs="")
        over_http_fabric = http(bodies, root / "http-fabric", packs="fabric")
        over_http_workers = http(bodies, root / "http-workers", packs="fabric", workers=1)
    figures = {
        "benchmark": "ingest",
        "events": total,
        "event_bytes": round(sum(map(len, bodies)) / total, 1),
        "decode_eps": round(decode),
        "durable_eps": round(normal),
        "durable_full_sync_eps": round(full),
        "processed_eps": round(processed),
        "http_eps": round(over_http),
        "http_fabric_eps": round(over_http_fabric),
        "http_fabric_one_worker_eps": round(over_http_workers),
        "durable_to_decode": round(normal / decode, 3),
        "processed_to_decode": round(processed / decode, 3),
        "http_to_decode": round(over_http / decode, 3),
        "fabric_one_worker_to_in_process": round(over_http_workers / over_http_fabric, 3),
        "runs": args.runs,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
