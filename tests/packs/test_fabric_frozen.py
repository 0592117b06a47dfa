"""The fabric path's outputs on fixed simulator seeds, frozen before batch processing.

The fixtures were written by the per-event pipeline that preceded the batch contract
(`python -m tests.packs.test_fabric_frozen` writes them anew). The batch path must find
the same triggered intervals with the same triggers and scores, the same
insights, the same processor states, and rollup quantiles within the sketch's 1%.

Events go through a whole runtime (ingest, log, pipeline, insight worker), in
request bodies of 500 events, so batches hold many events of each port.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tests.support import T0, body, drain, make_config
from vigila.clock import ManualClock
from vigila.insights.worker import INSIGHT_KIND
from vigila.packs.fabric.simulator import simulate
from vigila.runtime import Runtime
from vigila.store.base import EventQuery

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = (101, 202)
PORTS = (16, 4)
"""Nodes and ports per node."""
INTERVALS = 360
QUERIES = [(name, stat) for name in ("Utilization", "LatencyP99", "BandwidthGbps")
           for stat in ("SampleCount", "Average", "Maximum", "p50", "p99")]


def outputs(seed: int, tmp: Path) -> dict[str, Any]:
    nodes, ports = PORTS
    events = list(simulate(nodes=nodes, ports=ports, seed=seed, start=T0, interval=10.0,
                           count=nodes * ports * INTERVALS, faults="random:12"))
    rt = Runtime(make_config(tmp), clock=ManualClock(T0))
    try:
        for i in range(0, len(events), 500):
            rt.ingest.ingest(body(events[i : i + 500]), rt.log.append,
                             rt.store.add_dead_letters)
        drain(rt)
        triggered = rt.events.query(EventQuery(detail_type="Analysis Triggered",
                                               limit=100_000)).items
        analyses = sorted(
            [d["stream_id"], d["timestamp"], d["triggers"], d["anomaly_score"], d["scores"]]
            for d in (json.loads(e.data)["detail"] for e in triggered))
        insights = sorted(
            [i["entity"], i["evidence"]["timestamp"], i["prediction_type"], i["risk_score"],
             i["confidence"]]
            for i in (json.loads(o.data) for o in rt.store.recent_outputs(
                INSIGHT_KIND, limit=100_000)))
        states = {key: hashlib.sha256(value).hexdigest() for key, value in
                  sorted(rt.store.output_values("state:fabric-enrich").items())}
        end = T0 + 10.0 * INTERVALS
        rollups = {f"{name}/{stat}": rt.metrics_engine.query(
                       "Fabric/dev", name, {"Cluster": "cluster-a"}, T0, end, 60, stat)
                   for name, stat in QUERIES}
    finally:
        rt.stop()
    return {"analyses": analyses, "insights": insights, "states": states, "rollups": rollups}


def fixture(seed: int) -> Path:
    return FIXTURES / f"fabric_frozen_{seed}.json"


@pytest.mark.parametrize("seed", SEEDS)
def test_batch_path_equals_the_frozen_per_event_path(seed, tmp_path):
    expected = json.loads(fixture(seed).read_text())
    got = msgspec.json.decode(msgspec.json.encode(outputs(seed, tmp_path)))
    assert len(expected["analyses"]) > 50 and len(expected["insights"]) > 5
    assert got["analyses"] == expected["analyses"]
    assert got["insights"] == expected["insights"]
    assert got["states"] == expected["states"]
    for query, points in expected["rollups"].items():
        assert [t for t, _ in got["rollups"][query]] == [t for t, _ in points], query
        tolerance = 0.01 if query.split("/")[1].startswith("p") else 1e-9
        for (_, value), (_, want) in zip(got["rollups"][query], points, strict=True):
            assert math.isclose(value, want, rel_tol=tolerance), (query, value, want)


if __name__ == "__main__":
    import tempfile

    FIXTURES.mkdir(exist_ok=True)
    for seed in SEEDS:
        with tempfile.TemporaryDirectory() as tmp:
            fixture(seed).write_text(json.dumps(outputs(seed, Path(tmp))) + "\n")
        print(f"wrote {fixture(seed)}", file=sys.stderr)
