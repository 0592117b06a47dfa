"""A fabric simulator: per-port diurnal load and noise, labelled faults, same seed same bytes.

>>> events = simulate(nodes=2, ports=1, seed=7, start=1_700_000_000.0, interval=10.0,
...                   faults="latency_spike@1:0+20*0.5")
>>> first, second = next(events), next(events)
>>> first["resources"], "label" in first
(['cluster-a/node-00/mlx5_0/1'], False)
>>> second["label"]["prediction_type"], second["label"]["risk_score"]
('latency_spike', 60)
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import msgspec

from vigila.packs.fabric.faults import Fault, apply, parse_faults
from vigila.packs.fabric.schema import DETAIL_TYPE, LINK_GBPS, SOURCE

HOUR = 3600.0
_FLOATS = ("utilization", "latency_p99", "error_rate", "bandwidth_gbps")


def port_ids(nodes: int, ports: int, clusters: int = 1) -> list[str]:
    return [
        f"cluster-{chr(ord('a') + c)}/node-{n:02d}/mlx5_{p}/1"
        for c in range(clusters) for n in range(nodes) for p in range(ports)
    ]


def simulate(*, nodes: int = 64, ports: int = 2, seed: int = 0, start: float,
             interval: float | None = None, rate: float | None = None,
             count: int | None = None, faults: str = "") -> Iterator[dict[str, Any]]:
    """Yield one `Port Metrics` event per port per `interval` seconds of simulated time.

    Give `rate` (events per second) instead of `interval` to derive it from the port
    count. `faults` injects incidents (see `faults.parse_faults`); events inside one
    carry `label: {prediction_type, risk_score, incident_id}`.
    """
    rng = random.Random(seed)
    streams = port_ids(nodes, ports)
    if interval is None:
        interval = len(streams) / rate if rate else 10.0
    horizon = count / len(streams) * interval if count else HOUR
    active = parse_faults(faults, ports=len(streams), seed=seed, horizon=horizon)
    randoms = ",".join(p for p in faults.split(",") if p.strip().startswith("random:"))
    hour = 0
    base = [{"load": rng.uniform(25, 55), "latency": rng.uniform(1.8, 3.0)} for _ in streams]
    emitted = 0
    tick = 0
    while count is None or emitted < count:
        elapsed = tick * interval
        if count is None and randoms and elapsed >= (hour + 1) * HOUR:
            hour += 1  # an endless run draws each hour's random incidents afresh
            active += [msgspec.structs.replace(f, start=f.start + hour * HOUR,
                                               incident_id=f"{f.incident_id}-h{hour}")
                       for f in parse_faults(randoms, ports=len(streams), seed=seed + hour,
                                             horizon=HOUR)]
            active = [f for f in active if f.start + f.duration > elapsed]
        now = start + elapsed
        stamp = datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
        daily = math.sin(2 * math.pi * ((now % 86_400) / 86_400 - 0.25))
        current = {f.port: f for f in active if f.active(elapsed)}
        for index, stream in enumerate(streams):
            detail = _healthy(stream, stamp, base[index], daily, rng)
            event: dict[str, Any] = {"source": SOURCE, "detail-type": DETAIL_TYPE,
                                     "time": stamp, "resources": [stream], "detail": detail}
            fault = current.get(index)
            if fault is not None:
                _inject(fault, detail, base[index], rng)
                event["label"] = fault.label
            for key in _FLOATS:
                detail[key] = round(detail[key], 6 if key == "error_rate" else 3)
            detail["iops"] = round(detail["iops"])
            yield event
            emitted += 1
            if count is not None and emitted >= count:
                return
        tick += 1


def _healthy(stream: str, stamp: str, base: dict[str, float], daily: float,
             rng: random.Random) -> dict[str, Any]:
    utilization = min(99.0, max(1.0, base["load"] * (1 + 0.3 * daily) + rng.gauss(0, 3)))
    return {
        "stream_id": stream,
        "timestamp": stamp,
        "utilization": utilization,
        "latency_p99": base["latency"] * (1 + utilization / 200) + rng.gauss(0, 0.08),
        "error_rate": abs(rng.gauss(0, 2e-5)),
        "bandwidth_gbps": LINK_GBPS * utilization / 100 * rng.uniform(0.97, 1.0),
        "iops": utilization * 12_000 + rng.gauss(0, 2_000),
        "qp_errors": 0,
        "port_xmit_wait": max(0, int(rng.gauss(utilization * 20, 50))),
    }


def _inject(fault: Fault, detail: dict[str, Any], base: dict[str, float],
            rng: random.Random) -> None:
    apply(fault, detail, base, rng)
    detail["utilization"] = min(100.0, max(0.0, detail["utilization"]))
    detail["error_rate"] = min(1.0, detail["error_rate"])
    detail["bandwidth_gbps"] = min(LINK_GBPS, max(0.0, detail["bandwidth_gbps"]))
    detail["latency_p99"] = max(0.1, detail["latency_p99"])
    detail["iops"] = max(0.0, detail["iops"])
